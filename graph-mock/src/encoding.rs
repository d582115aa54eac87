//! Percent-encoding helpers for paths, query strings and nextLinks.

/// Decodes `%XX` escapes (lossy UTF-8). With `plus_is_space`, `+` becomes a space (query strings).
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Encodes everything except RFC 3986 unreserved characters and `$`.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'$') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits a raw query string into decoded `(name, value)` pairs.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// First value of a query parameter, if present.
/// A list's `$top` (a page size of at least 1, when given) and `$skiptoken` (the offset, 0
/// when absent), or Graph's message for a bad one.
pub(crate) fn paging(pairs: &[(String, String)]) -> Result<(Option<usize>, usize), String> {
    let top = match query_param(pairs, "$top") {
        None => None,
        Some(t) => Some(
            t.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("Invalid value '{t}' for $top."))?,
        ),
    };
    let skip = match query_param(pairs, "$skiptoken") {
        None => 0,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| "The $skiptoken is invalid.".to_owned())?,
    };
    Ok((top, skip))
}

pub(crate) fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes() {
        assert_eq!(percent_decode("a%20b+c", true), "a b c");
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%2e%2E", false), "..");
        assert_eq!(encode_component("a b'c"), "a%20b%27c");
        let q = parse_query("%24top=5&$filter=userPrincipalName%20eq%20'x'");
        assert_eq!(query_param(&q, "$top"), Some("5"));
        assert_eq!(query_param(&q, "$filter"), Some("userPrincipalName eq 'x'"));
    }
}
