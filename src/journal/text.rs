//! JSON text for journal records: a compact writer and a strict reader for [`Json`], with no
//! float formatting or parsing code (the module's size budget keeps that out).
//!
//! The native tests and fuzzers keep their journals as this text. The wasm build does not use
//! it for records (the edge writes them with `JSON.stringify` and reads them with `JSON.parse`,
//! both exact for every double); there only the writer runs, for the digest's item bodies.
//!
//! Whole numbers up to 2^53 are written as digits. Every other finite number is written as
//! its exact decimal expansion (a double is a dyadic fraction, so one always exists): `1.5`
//! becomes `15e-1`, `0.1` becomes the 55 digits of the double nearest it, then `e-55`. Any
//! JSON reader (`JSON.parse` included) reads that back as the same double, and so does
//! [`parse`], which accepts only numbers that are exactly a double: what it reads is what was
//! written, bit for bit. NaN and infinities (which JSON cannot hold) are written as `null`,
//! as `JSON.stringify` does.

use crate::json::{Json, Map};

/// Appends `value` as compact JSON text.
pub fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => write_number(*n, out),
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (k, (key, v)) in map.0.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

/// `value` as compact JSON text.
pub fn to_text(value: &Json) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53

fn write_number(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n.fract() == 0.0 && n.abs() <= SAFE {
        out.push_str(&(n as i64).to_string());
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    // |n| = m * 2^e with m odd.
    let bits = n.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), exp - 1075)
    };
    let shift = m.trailing_zeros();
    m >>= shift;
    e += shift as i32;
    let mut big = Big::from_u64(m);
    if e >= 0 {
        for _ in 0..e {
            big.mul_small(2);
        }
        big.write(out);
    } else {
        // m / 2^k = m * 5^k / 10^k.
        for _ in 0..-e {
            big.mul_small(5);
        }
        big.write(out);
        out.push_str("e-");
        out.push_str(&(-e).to_string());
    }
}

/// Reads one JSON value that is the whole of `text`. The error says what is wrong and where.
pub fn parse(text: &str, max_depth: usize) -> Result<Json, String> {
    let mut r = Reader {
        s: text.as_bytes(),
        at: 0,
    };
    r.ws();
    let v = r.value(max_depth)?;
    r.ws();
    if r.at != r.s.len() {
        return Err(r.fail("text after the value"));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

/// The most digits a number may have: a double's exact expansion has at most 767
/// significant digits and 309 before the point.
const MAX_DIGITS: usize = 800;
/// The largest decimal exponent looked at (beyond it no digits make a double).
const MAX_EXP10: i64 = 1100;

impl Reader<'_> {
    fn fail(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, word: &str) -> Result<(), String> {
        if self.s[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.fail("not JSON"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        match self.peek() {
            Some(b'n') => self.eat("null").map(|()| Json::Null),
            Some(b't') => self.eat("true").map(|()| Json::Bool(true)),
            Some(b'f') => self.eat("false").map(|()| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[' | b'{') if depth == 0 => Err(self.fail("nested too deeply")),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth - 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.fail("an array that does not go on")),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut map = Map::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                    return Ok(Json::Object(map));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("an object key that is not a string"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.fail("an object key without a value"));
                    }
                    self.at += 1;
                    self.ws();
                    let v = self.value(depth - 1)?;
                    map.0.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(map));
                        }
                        _ => return Err(self.fail("an object that does not go on")),
                    }
                }
            }
            _ => Err(self.fail("not JSON")),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.fail("a cut \\u escape"))?;
        let mut n = 0;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.fail("a bad \\u escape"))?;
            n = n * 16 + v;
        }
        self.at += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            // The input is a &str and we stopped at ASCII bytes: a char boundary.
            out.push_str(
                std::str::from_utf8(&self.s[start..self.at]).map_err(|_| self.fail("bad UTF-8"))?,
            );
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.peek().ok_or_else(|| self.fail("a cut string"))?;
                    self.at += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&hi) {
                                if !self.s[self.at..].starts_with(b"\\u") {
                                    return Err(self.fail("a lone surrogate"));
                                }
                                self.at += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(self.fail("a lone surrogate"));
                                }
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(code)
                                    .ok_or_else(|| self.fail("a lone surrogate"))?,
                            );
                        }
                        _ => return Err(self.fail("a bad escape")),
                    }
                }
                _ => return Err(self.fail("a cut string or a control character in it")),
            }
        }
    }

    fn digits(&mut self, into: &mut Vec<u8>) -> usize {
        let start = self.at;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            into.push(d);
            self.at += 1;
        }
        self.at - start
    }

    /// A JSON number that is exactly a double.
    fn number(&mut self) -> Result<f64, String> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut digits = Vec::new();
        let int_len = self.digits(&mut digits);
        if int_len == 0 || (int_len > 1 && digits[0] == b'0') {
            return Err(self.fail("a bad number"));
        }
        let mut exp10: i64 = 0;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let n = self.digits(&mut digits);
            if n == 0 {
                return Err(self.fail("a bad number"));
            }
            exp10 -= n as i64;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.at += 1;
                    -1
                }
                Some(b'+') => {
                    self.at += 1;
                    1
                }
                _ => 1,
            };
            let mut e = Vec::new();
            if self.digits(&mut e) == 0 {
                return Err(self.fail("a bad number"));
            }
            let mut value: i64 = 0;
            for d in e {
                value = (value * 10 + i64::from(d - b'0')).min(10 * MAX_EXP10);
            }
            exp10 += sign * value;
        }
        // Leading zeros carry nothing.
        let first = digits.iter().position(|&d| d != b'0');
        let Some(first) = first else {
            return Ok(if negative { -0.0 } else { 0.0 });
        };
        let digits = &digits[first..];
        if digits.len() > MAX_DIGITS || exp10.abs() > MAX_EXP10 {
            return Err(self.fail("a number that is not a double"));
        }
        let mut big = Big::from_digits(digits);
        let mut e2: i64 = 0;
        if exp10 >= 0 {
            for _ in 0..exp10 {
                big.mul_small(10);
            }
        } else {
            for _ in 0..-exp10 {
                if big.div_small(5) != 0 {
                    return Err(self.fail("a number that is not exactly a double"));
                }
            }
            e2 = exp10;
        }
        while big.0[0] % 2 == 0 {
            big.div_small(2);
            e2 += 1;
        }
        let m = big
            .to_u64()
            .filter(|&m| m < 1 << 53)
            .ok_or_else(|| self.fail("a number that is not exactly a double"))?;
        let top = e2 + i64::from(63 - m.leading_zeros());
        if e2 < -1074 || top > 1023 {
            return Err(self.fail("a number out of a double's range"));
        }
        // m * 2^e2, in exact steps (each intermediate is a normal double).
        let mut x = m as f64;
        while e2 != 0 {
            let step = e2.clamp(-1000, 1000);
            x *= f64::from_bits(((step + 1023) as u64) << 52);
            e2 -= step;
        }
        Ok(if negative { -x } else { x })
    }
}

/// An unsigned integer in base 10^9 limbs, least significant first: just what exact decimal
/// numbers need. Never empty; zero is `[0]`.
struct Big(Vec<u32>);

const LIMB: u64 = 1_000_000_000;

impl Big {
    fn from_u64(mut n: u64) -> Self {
        let mut limbs = vec![(n % LIMB) as u32];
        n /= LIMB;
        while n > 0 {
            limbs.push((n % LIMB) as u32);
            n /= LIMB;
        }
        Big(limbs)
    }

    fn from_digits(digits: &[u8]) -> Self {
        let limbs = digits
            .rchunks(9)
            .map(|chunk| {
                chunk
                    .iter()
                    .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
            })
            .collect();
        Big(limbs)
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(k) + carry;
            *limb = (v % LIMB) as u32;
            carry = v / LIMB;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// Divides in place; returns the remainder.
    fn div_small(&mut self, k: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = rem * LIMB + u64::from(*limb);
            *limb = (v / u64::from(k)) as u32;
            rem = v % u64::from(k);
        }
        while self.0.len() > 1 && self.0.last() == Some(&0) {
            self.0.pop();
        }
        rem as u32
    }

    fn to_u64(&self) -> Option<u64> {
        self.0.iter().rev().try_fold(0u64, |n, &limb| {
            n.checked_mul(LIMB)?.checked_add(u64::from(limb))
        })
    }

    fn write(&self, out: &mut String) {
        let mut limbs = self.0.iter().rev();
        if let Some(top) = limbs.next() {
            out.push_str(&top.to_string());
        }
        for limb in limbs {
            let s = limb.to_string();
            out.extend(std::iter::repeat_n('0', 9 - s.len()));
            out.push_str(&s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(n: f64) {
        let text = to_text(&Json::Number(n));
        let back = parse(&text, 4).unwrap();
        let Json::Number(b) = back else { panic!() };
        assert_eq!(
            b.to_bits(),
            if n == 0.0 { b.to_bits() } else { n.to_bits() },
            "{n} as {text}"
        );
        // Another JSON reader reads the same double (serde_json without its float_roundtrip
        // feature may be an ulp off, and refuses 300-digit numbers; JSON.parse is exact).
        if let Ok(theirs) = serde_json::from_str::<f64>(&text) {
            let ulps = (theirs.to_bits() as i64).wrapping_sub(n.to_bits() as i64);
            assert!(ulps.abs() <= 1, "{text} read as {theirs}");
        }
    }

    #[test]
    fn numbers_round_trip_exactly() {
        for n in [
            0.0,
            1.0,
            -1.0,
            2.0,
            1.5,
            -1.5,
            0.1,
            0.2,
            1e-7,
            3.25,
            9007199254740992.0,
            9007199254740993.0,
            1e20,
            -1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::from_bits(0x000f_ffff_ffff_ffff), // the largest subnormal
            123456.789,
            4503599627370495.5,
        ] {
            round_trip(n);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = f64::from_bits(x);
            if n.is_finite() {
                round_trip(n);
            }
        }
        assert_eq!(to_text(&Json::Number(1.5)), "15e-1");
        assert_eq!(to_text(&Json::Number(2.0)), "2");
        assert_eq!(to_text(&Json::Number(f64::NAN)), "null");
    }

    #[test]
    fn numbers_that_are_not_exactly_a_double_are_refused() {
        for bad in ["0.1", "1e400", "01", "1.", "-", "1e", "3.3e-1"] {
            assert!(parse(bad, 2).is_err(), "{bad}");
        }
        assert_eq!(parse("5e-1", 2), Ok(Json::Number(0.5)));
        assert_eq!(parse("2.5E+0", 2), Ok(Json::Number(2.5)));
        assert_eq!(parse("-0", 2), Ok(Json::Number(-0.0)));
    }

    #[test]
    fn strings_and_structure_round_trip() {
        let v: Json = serde_json::from_str(
            r#"{"a":"x\"y\\z\n\u0001\u00e9 😀","b":[1,true,null,{"c":[]}],"":{}}"#,
        )
        .unwrap();
        let text = to_text(&v);
        assert_eq!(parse(&text, 8), Ok(v.clone()));
        let theirs: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(theirs, v);
        assert_eq!(
            parse(r#" { "k" : "\ud83d\ude00\/" } "#, 4),
            Ok(serde_json::from_str(r#"{"k":"😀/"}"#).unwrap())
        );
        for bad in [
            r#"{"a":1"#,
            r#"{"a" 1}"#,
            r#"["\ud83d"]"#,
            r#"["\x"]"#,
            "[1,]",
            "{} {}",
            "\"a\nb\"",
            "",
            "nul",
        ] {
            assert!(parse(bad, 4).is_err(), "{bad}");
        }
        assert!(parse("[[[[1]]]]", 3).is_err());
        assert!(parse("[[[1]]]", 3).is_ok());
    }
}
