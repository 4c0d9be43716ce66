//! EMVCo tag-length-value plumbing. Lengths count UTF-16 code units (as the JS SDK's
//! `String.length`), so Khmer letters count 1 and an emoji 2.

use super::error::KhqrError;

/// Largest length a 2-digit length field can carry.
pub(crate) const MAX_TLV_LEN: usize = 99;

/// Length of `s` in UTF-16 code units.
#[inline]
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// Encoded size (in UTF-16 units) of a TLV holding a value of `value_len` units.
#[inline]
pub(crate) const fn tlv_len(value_len: usize) -> usize {
    4 + value_len
}

/// Appends tag, 2-digit length and value. `len` must be the UTF-16 length of the value, ≤ 99.
#[inline]
pub(crate) fn push_tlv_with_len(out: &mut String, tag: &str, len: usize, value: &str) {
    push_header(out, tag, len);
    out.push_str(value);
}

/// Appends a TLV, computing the value's UTF-16 length. The value must be ≤ 99 units.
#[inline]
pub(crate) fn push_tlv(out: &mut String, tag: &str, value: &str) {
    push_tlv_with_len(out, tag, utf16_len(value), value);
}

/// Appends tag and 2-digit length (`len` ≤ 99).
#[inline]
pub(crate) fn push_header(out: &mut String, tag: &str, len: usize) {
    debug_assert!(len <= MAX_TLV_LEN);
    out.push_str(tag);
    out.push(char::from(b'0' + (len / 10 % 10) as u8));
    out.push(char::from(b'0' + (len % 10) as u8));
}

/// Appends `n` in decimal.
#[inline]
pub(crate) fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let start = super::amount::write_digits_back(&mut buf, n);
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or("")); // ok: ASCII digits only
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
        let mut s = String::new();
        push_tlv(&mut s, "59", "ចន ស្មីន");
        push_u64(&mut s, 1767225600000);
        assert_eq!(s, "5908ចន ស្មីន1767225600000");
    }
}
