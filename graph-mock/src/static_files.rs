//! `--static DIR`: plain file serving for the project's pages, without directory traversal.

use std::path::{Path, PathBuf};

use crate::encoding::percent_decode;
use crate::http::Reply;

/// Serves `path` from `dir` for GET/HEAD; 404 when there is no such file or no static dir.
pub(crate) fn serve(dir: Option<&Path>, method: &str, path: &str) -> Reply {
    let Some(dir) = dir else {
        return Reply::text(404, "Not Found");
    };
    if method != "GET" && method != "HEAD" {
        return Reply::text(404, "Not Found");
    }
    let Some(rel) = safe_relative(path) else {
        return Reply::text(400, "Bad Request");
    };
    let mut file = dir.join(rel);
    if file.is_dir() {
        file.push("index.html");
    }
    // Symlinks must not lead out of the directory either.
    let (Ok(root), Ok(real)) = (dir.canonicalize(), file.canonicalize()) else {
        return Reply::text(404, "Not Found");
    };
    if !real.starts_with(&root) || !real.is_file() {
        return Reply::text(404, "Not Found");
    }
    match std::fs::read(&real) {
        Ok(body) => Reply {
            status: 200,
            headers: vec![
                ("Content-Type".into(), content_type(&real).into()),
                ("Cache-Control".into(), "no-store".into()),
            ],
            body,
        },
        Err(_) => Reply::text(404, "Not Found"),
    }
}

/// The decoded path as a relative path, or `None` when it tries to leave the directory.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path, false);
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut rel = PathBuf::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s if s.contains(':') => return None,
            s => rel.push(s),
        }
    }
    Some(rel)
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "csv" => "text/csv",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_traversal() {
        assert!(safe_relative("/../etc/passwd").is_none());
        assert!(safe_relative("/a/%2e%2e/b").is_none());
        assert!(safe_relative("/a/..%2fb").is_none());
        assert!(safe_relative("/a\\b").is_none());
        assert_eq!(safe_relative("/pkg/x.js"), Some(PathBuf::from("pkg/x.js")));
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
    }
}
