//! EMVCo tag-length-value plumbing. Lengths count UTF-16 code units (as the JS SDK's
//! `String.length`), so Khmer letters count 1 and an emoji 2. Numbers (lengths, timestamps,
//! amounts) are written as ASCII digits straight into the output, without allocating.

use super::error::KhqrError;

/// Largest length a 2-digit length field can carry.
pub(crate) const MAX_TLV_LEN: usize = 99;

/// Length of `s` in UTF-16 code units.
#[inline]
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        // One unit per UTF-8 lead byte, one more for 4-byte sequences (surrogate pairs).
        s.bytes()
            .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
            .sum()
    }
}

/// Encoded size (in UTF-16 units) of a TLV holding a value of `value_len` units.
#[inline]
pub(crate) const fn tlv_len(value_len: usize) -> usize {
    4 + value_len
}

/// Appends tag, 2-digit length and value. `len` must be the UTF-16 length of the value, ≤ 99.
#[inline]
pub(crate) fn push_tlv_with_len(out: &mut Vec<u8>, tag: &str, len: usize, value: &str) {
    push_header(out, tag, len);
    out.extend_from_slice(value.as_bytes());
}

/// Appends a TLV, computing the value's UTF-16 length. The value must be ≤ 99 units.
#[inline]
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: &str, value: &str) {
    push_tlv_with_len(out, tag, utf16_len(value), value);
}

/// Appends tag and 2-digit length (`len` ≤ 99).
#[inline]
pub(crate) fn push_header(out: &mut Vec<u8>, tag: &str, len: usize) {
    debug_assert!(len <= MAX_TLV_LEN && tag.len() == 2);
    out.extend_from_slice(tag.as_bytes());
    push_ascii(
        out,
        &[b'0' + (len / 10 % 10) as u8, b'0' + (len % 10) as u8],
    );
}

/// Appends `n` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let start = write_digits_back(&mut buf, n);
    push_ascii(out, &buf[start..]);
}

/// Writes `n` right-aligned at the end of `buf`; returns where the digits start.
/// `buf` must hold at least 20 bytes.
pub(crate) fn write_digits_back(buf: &mut [u8], mut n: u64) -> usize {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return pos;
        }
    }
}

/// Appends ASCII bytes (digits, `.`, hex).
#[inline]
pub(crate) fn push_ascii(out: &mut Vec<u8>, bytes: &[u8]) {
    debug_assert!(bytes.is_ascii());
    out.extend_from_slice(bytes);
}

/// Splits `s` after `units` UTF-16 code units. `None` if `s` is shorter or the cut would
/// fall inside a surrogate pair (a character outside the BMP).
fn split_units(s: &str, units: usize) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut counted = 0;
    while counted < units {
        let lead = *bytes.get(i)?;
        let (width, n) = match lead {
            0x00..=0x7F => (1, 1),
            0x80..=0xDF => (2, 1),
            0xE0..=0xEF => (3, 1),
            _ => (4, 2),
        };
        i += width;
        counted += n;
    }
    if counted != units {
        return None;
    }
    Some((s.get(..i)?, s.get(i..)?))
}

/// Walks a sequence of TLVs: yields `(tag, value)` with a numeric tag 0..=99. A tag or length
/// that is not two ASCII digits, or a value running past the end, is an error (code 8); the
/// walk then stops. Always advances, so it terminates on any input.
pub(crate) struct TlvReader<'a> {
    rest: &'a str,
    /// Template tag for messages (`None` at top level).
    within: Option<u8>,
}

impl<'a> TlvReader<'a> {
    pub(crate) fn new(s: &'a str, within: Option<u8>) -> Self {
        Self { rest: s, within }
    }

    fn fail(&mut self, what: String) -> Option<Result<(u8, &'a str), KhqrError>> {
        self.rest = "";
        let place = match self.within {
            Some(t) => format!(" inside tag {t:02}"),
            None => String::new(),
        };
        Some(Err(KhqrError::invalid(format!("{what}{place}"))))
    }
}

impl<'a> Iterator for TlvReader<'a> {
    type Item = Result<(u8, &'a str), KhqrError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let header = match self.rest.as_bytes().get(..4) {
            Some(h) if h.iter().all(u8::is_ascii_digit) => h,
            _ => {
                let shown: String = self.rest.chars().take(4).collect();
                return self.fail(format!(
                    "expected a 2-digit tag and 2-digit length, found {shown:?}"
                ));
            }
        };
        let tag = (header[0] - b'0') * 10 + (header[1] - b'0');
        let len = usize::from((header[2] - b'0') * 10 + (header[3] - b'0'));
        let after = self.rest.get(4..).unwrap_or(""); // ok: 4 ASCII bytes checked above
        match split_units(after, len) {
            Some((value, rest)) => {
                self.rest = rest;
                Some(Ok((tag, value)))
            }
            None => self.fail(format!(
                "tag {tag:02} declares length {len} but the value is truncated or splits a character"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_lengths() {
        assert_eq!(utf16_len("John Smith"), 10);
        assert_eq!(utf16_len("ចន ស្មីន"), 8);
        assert_eq!(utf16_len("😀"), 2);
    }

    #[test]
    fn reads_by_utf16_units() {
        let items: Vec<_> = TlvReader::new("5908ចន ស្មីន0102😀", None)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(items, vec![(59, "ចន ស្មីន"), (1, "😀")]);
    }

    #[test]
    fn errors_never_panic() {
        for bad in [
            "5",
            "59",
            "590",
            "59a1x",
            "5905abc",
            "0101😀",
            "ab05hello",
            "-4",
            "59-4abcd",
        ] {
            let r: Result<Vec<_>, _> = TlvReader::new(bad, None).collect();
            assert_eq!(r.unwrap_err().code(), 8, "{bad:?}");
        }
    }

    #[test]
    fn writes() {
        let mut s = Vec::new();
        push_tlv(&mut s, "59", "ចន ស្មីន");
        push_u64(&mut s, 1767225600000);
        assert_eq!(String::from_utf8(s).unwrap(), "5908ចន ស្មីន1767225600000");
    }
}
