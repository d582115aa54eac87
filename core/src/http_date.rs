//! HTTP-dates (RFC 9110 §5.6.7) as seconds since the epoch, for `Retry-After` and `Date`.
//!
//! Written here rather than taken from the `httpdate` crate: it is the only date the module
//! reads, and this reading of it is a fraction of that crate's code in the module (see
//! docs/size.md). It accepts exactly what `httpdate` 1 accepts (the
//! IMF-fixdate and the obsolete RFC 850 and asctime forms, years 1970 to 9999, a weekday that
//! matches the date), which a native differential test and a fuzz target check against it.

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A date's fields: year, month (1-12), day, hours, minutes, seconds, weekday (0 = Monday).
type Fields = [u32; 7];

/// `s` as seconds since 1970-01-01T00:00:00Z, or `None` when it is not an HTTP-date.
pub fn parse(s: &str) -> Option<u64> {
    if !s.is_ascii() {
        return None;
    }
    let b = s.trim().as_bytes();
    let [year, mon, day, hour, min, sec, wday] = imf_fixdate(b)
        .or_else(|| rfc850(b))
        .or_else(|| asctime(b))?;
    let month_days = match mon {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1970..=9999).contains(&year) || day == 0 || day > month_days {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(year, mon, day);
    // 1970-01-01 was a Thursday (3, counting Monday as 0).
    if (days + 3) % 7 != u64::from(wday) {
        return None;
    }
    Some(days * 86_400 + u64::from(hour * 3600 + min * 60 + sec))
}

/// Days from 1970-01-01 to the given date (Howard Hinnant's `days_from_civil`, for years
/// from 1970 on).
fn days_from_civil(year: u32, mon: u32, day: u32) -> u64 {
    let y = u64::from(if mon <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y - era * 400;
    let m = u64::from(mon);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

fn month(s: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m[..] == *s)
        .map(|i| i as u32 + 1)
}

/// The weekday whose name (`Mon`, or `Monday` when `full`) starts `s`, and the rest.
fn weekday(s: &[u8], full: bool) -> Option<(u32, &[u8])> {
    DAYS.iter().enumerate().find_map(|(i, name)| {
        let name = if full {
            name.as_bytes()
        } else {
            &name.as_bytes()[..3]
        };
        s.strip_prefix(name).map(|rest| (i as u32, rest))
    })
}

/// `hh:mm:ss`.
fn time(s: &[u8]) -> Option<(u32, u32, u32)> {
    match s {
        [h1, h2, b':', m1, m2, b':', s1, s2] => Some((
            digits(&[*h1, *h2])?,
            digits(&[*m1, *m2])?,
            digits(&[*s1, *s2])?,
        )),
        _ => None,
    }
}

/// The fields of a date whose parts have been found: the month's name, the `hh:mm:ss`.
fn fields(year: u32, mon: &[u8], day: u32, hms: &[u8], wday: u32) -> Option<Fields> {
    let (hour, min, sec) = time(hms)?;
    Some([year, month(mon)?, day, hour, min, sec, wday])
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(s: &[u8]) -> Option<Fields> {
    let (wday, s) = weekday(s, false)?;
    let s = s.strip_prefix(b", ")?.strip_suffix(b" GMT")?;
    if s.len() != 20 || s[2] != b' ' || s[6] != b' ' || s[11] != b' ' {
        return None;
    }
    fields(
        digits(&s[7..11])?,
        &s[3..6],
        digits(&s[..2])?,
        &s[12..],
        wday,
    )
}

/// `Sunday, 06-Nov-94 08:49:37 GMT` (a two-digit year below 70 is 20xx, else 19xx).
fn rfc850(s: &[u8]) -> Option<Fields> {
    let (wday, s) = weekday(s, true)?;
    let s = s.strip_prefix(b", ")?.strip_suffix(b" GMT")?;
    if s.len() != 18 || s[2] != b'-' || s[6] != b'-' || s[9] != b' ' {
        return None;
    }
    let yy = digits(&s[7..9])?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    fields(year, &s[3..6], digits(&s[..2])?, &s[10..], wday)
}

/// `Sun Nov  6 08:49:37 1994`
fn asctime(s: &[u8]) -> Option<Fields> {
    let (wday, s) = weekday(s, false)?;
    if s.len() != 21 || s[0] != b' ' || s[4] != b' ' || s[7] != b' ' || s[16] != b' ' {
        return None;
    }
    let day = match &s[5..7] {
        [b' ', d] => digits(&[*d])?,
        d => digits(d)?,
    };
    fields(digits(&s[17..21])?, &s[1..4], day, &s[8..16], wday)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_three_forms() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse(s), Some(784_111_777), "{s}");
        }
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse("Tue, 29 Feb 2000 23:59:59 GMT"), Some(951_868_799));
        assert_eq!(
            parse("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
    }

    /// The same answers as the `httpdate` crate, on every date form and on near-misses.
    #[test]
    fn agrees_with_httpdate() {
        let reference = |s: &str| {
            httpdate::parse_http_date(s.trim())
                .ok()
                .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
        };
        let mut samples = vec![];
        for secs in (0..253_402_300_799u64)
            .step_by(7_777_777)
            .chain([951_868_799, 0])
        {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            let imf = httpdate::fmt_http_date(t);
            let (wday, rest) = imf.split_once(", ").unwrap();
            let f: Vec<&str> = rest.split(' ').collect();
            let full = super::DAYS
                .into_iter()
                .find(|d| d.starts_with(wday))
                .unwrap();
            let day: u32 = f[0].parse().unwrap();
            samples.push(format!(
                "{full}, {}-{}-{} {} GMT",
                f[0],
                f[1],
                &f[2][2..],
                f[3]
            ));
            samples.push(format!("{wday} {} {day:>2} {} {}", f[1], f[3], f[2]));
            samples.push(imf.replace(" GMT", " GMX"));
            samples.push(imf.replacen(wday, "Mon", 1));
            samples.push(imf);
        }
        for s in &samples {
            assert_eq!(parse(s), reference(s), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for s in [
            "",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Thu, 29 Feb 2001 00:00:00 GMT", // no such day
            "Wed, 31 Dec 1969 23:59:59 GMT", // before the epoch
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:3x GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sün, 06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
