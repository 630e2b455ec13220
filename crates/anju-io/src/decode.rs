//! Bytes to text. Offices save CSV from Excel on Chinese Windows in GB18030 (GBK); newer
//! tools write UTF-8, sometimes with a BOM. Valid UTF-8 is taken as UTF-8 (a GB18030
//! file of Chinese text is almost never valid UTF-8), anything else is decoded as
//! GB18030 strictly: bytes valid in neither are an error naming their line.

use encoding_rs::{DecoderResult, GB18030};

use crate::RowError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// Decodes a whole file; a UTF-8 BOM is dropped.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), RowError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok((s.to_owned(), Encoding::Utf8)),
        Err(utf8) => decode_gb18030(body).map(|s| (s, Encoding::Gb18030)).map_err(|gb| {
            // Name the bad bytes in whichever encoding read further: that is most likely
            // the one the file was saved in.
            let at = gb.max(utf8.valid_up_to());
            let line = 1 + body[..at].iter().filter(|b| **b == b'\n').count() as u64;
            RowError::new(
                line,
                "",
                format!(
                    "bytes at offset {at} are neither UTF-8 nor GB18030; save the file as UTF-8 or GB18030 (GBK)"
                ),
            )
        }),
    }
}

/// The text, or the offset of the first byte that is not GB18030.
fn decode_gb18030(bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, _) => Err(read.saturating_sub(usize::from(bad))),
        // The buffer is sized for the worst case, so this does not happen.
        DecoderResult::OutputFull => Err(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("户主,x".as_bytes()).unwrap(),
            ("户主,x".into(), Encoding::Utf8)
        );
        let mut b = b"\xEF\xBB\xBF".to_vec();
        b.extend_from_slice("户主".as_bytes());
        assert_eq!(decode(&b).unwrap().0, "户主");
    }

    #[test]
    fn gb18030_is_detected() {
        let (bytes, _, _) = GB18030.encode("户主姓名,地址\n张三,万州\n");
        let (s, e) = decode(&bytes).unwrap();
        assert_eq!(e, Encoding::Gb18030);
        assert_eq!(s, "户主姓名,地址\n张三,万州\n");
    }

    #[test]
    fn bytes_in_no_encoding_name_their_line() {
        let (mut bytes, _, _) = GB18030.encode("户主姓名\n张三\n");
        let bytes = bytes.to_mut();
        bytes.extend_from_slice(b"\xFF\xFF\n");
        let e = decode(bytes).unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
    }
}
