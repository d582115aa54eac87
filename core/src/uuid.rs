//! Client request ids: random UUIDs (version 4), formatted from bytes the edge draws from
//! `crypto.getRandomValues`.

/// Formats 16 random bytes as a version 4, variant 1 UUID.
pub fn v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_a_v4_uuid() {
        assert_eq!(
            super::v4([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(super::v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
