//! Searching text by its bytes. `str`'s own searching with a `&str` pattern (`contains`,
//! `replace`, `split_once`) brings the two-way searcher and, through the slicing inside it,
//! the panic message that prints a `char` with `Debug` (its escape and printable tables): a
//! large share of the module (measured in docs/size.md) for the few short searches this crate
//! makes, in error texts, header values and URLs.

/// Where `needle` first starts in `hay`. A match of a whole `str` in a `str` starts and ends
/// on character boundaries.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// Replaces every occurrence of `secret` in `s` by `[redacted]`, left to right as
/// `str::replace` does. When the marker itself rebuilds the secret ("redacted",
/// `"ab[redacted]"`), nothing of the text is kept: it becomes `***` (three bytes cannot hold a
/// secret of eight or more).
pub fn scrub(s: &mut String, secret: &str) {
    if find(s, secret).is_none() {
        return;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = find(rest, secret) {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push_str("[redacted]");
        rest = rest.get(i + secret.len()..).unwrap_or_default();
    }
    out.push_str(rest);
    *s = if find(&out, secret).is_some() {
        "***".to_owned()
    } else {
        out
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_str_find() {
        let hays = [
            "",
            "a",
            "abc",
            "ab://c",
            "://",
            "xx://yy://",
            "héllo wörld",
            "aaaa",
            "日本語テキスト",
        ];
        let needles = ["", "a", "://", "b", "aa", "ö", "wörld", "テキ", "abcd"];
        for hay in hays {
            for needle in needles {
                assert_eq!(find(hay, needle), hay.find(needle), "{hay:?} {needle:?}");
            }
        }
    }

    #[test]
    fn scrub_agrees_with_replace() {
        let secret = "s3cr3t-token";
        for text in [
            "no secret here",
            "s3cr3t-token",
            "a s3cr3t-token b s3cr3t-token",
            "s3cr3t-tokens3cr3t-token",
            "ünïcödé s3cr3t-token ünïcödé",
        ] {
            let mut s = text.to_owned();
            scrub(&mut s, secret);
            assert_eq!(s, text.replace(secret, "[redacted]"), "{text:?}");
        }
        // The marker rebuilding the secret.
        let mut s = "token redacted".to_owned();
        scrub(&mut s, "redacted");
        assert_eq!(s, "***");
    }
}
