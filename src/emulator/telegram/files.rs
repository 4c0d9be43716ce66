//! Uploaded photos and documents: checking that an upload is an image, `file_id`s, and
//! photo sizes.

use serde_json::{Value, json};

use super::answers::ApiErr;
use std::sync::Arc;

use super::body::{Part, Parts, Upload};
use super::state::EmulatorState;

/// Resolves a photo reference (`attach://part`, or a `file_id` the emulator issued) to
/// `(file_id, bytes)`; a fresh upload gets a new `file_id`.
pub(super) fn resolve_photo(
    st: &mut EmulatorState,
    reference: Option<&Value>,
    parts: &Parts,
) -> Result<(String, Upload), ApiErr> {
    let Some(reference) = reference.and_then(Value::as_str) else {
        return Err(ApiErr::bad_request("there is no photo in the request"));
    };
    if let Some(part_name) = reference.strip_prefix("attach://") {
        let Some(Part { bytes, .. }) = parts.iter().find(|p| p.name == part_name) else {
            return Err(ApiErr::bad_request("wrong HTTP URL specified"));
        };
        if bytes.is_empty() {
            return Err(ApiErr::bad_request("file must be non-empty"));
        }
        if image_size(bytes).is_none() {
            return Err(ApiErr::bad_request("IMAGE_PROCESS_FAILED"));
        }
        let id = st.new_file_id(Arc::clone(bytes));
        return Ok((id, Arc::clone(bytes)));
    }
    match st.files.get(reference) {
        Some(bytes) => Ok((reference.to_owned(), Arc::clone(bytes))),
        // Covers URLs too: the emulator never fetches anything.
        None => Err(ApiErr::bad_request(
            "wrong file identifier/HTTP URL specified",
        )),
    }
}

/// Resolves a document reference (`attach://part`, or a `file_id` the emulator issued) to
/// `(file_id, bytes, file name)`: any non-empty file; a fresh upload gets a new `file_id`
/// and keeps the name it was uploaded with (a `file_id` sent again has none here).
pub(super) fn resolve_document(
    st: &mut EmulatorState,
    reference: Option<&Value>,
    parts: &Parts,
) -> Result<(String, Upload, Option<String>), ApiErr> {
    let Some(reference) = reference.and_then(Value::as_str) else {
        return Err(ApiErr::bad_request("there is no document in the request"));
    };
    if let Some(part_name) = reference.strip_prefix("attach://") {
        let Some(Part {
            bytes, file_name, ..
        }) = parts.iter().find(|p| p.name == part_name)
        else {
            return Err(ApiErr::bad_request("wrong HTTP URL specified"));
        };
        if bytes.is_empty() {
            return Err(ApiErr::bad_request("file must be non-empty"));
        }
        let id = st.new_file_id(Arc::clone(bytes));
        return Ok((id, Arc::clone(bytes), file_name.clone()));
    }
    match st.files.get(reference) {
        Some(bytes) => Ok((reference.to_owned(), Arc::clone(bytes), None)),
        None => Err(ApiErr::bad_request(
            "wrong file identifier/HTTP URL specified",
        )),
    }
}

/// The `photo` array of a message: a thumbnail (when the image is bigger) and the full size.
pub(super) fn photo_sizes(file_id: &str, bytes: &[u8]) -> Value {
    let (width, height) = image_size(bytes).unwrap_or((512, 512));
    let unique = format!("AQADFake{}", file_id.trim_start_matches("AgACAgFake"));
    let full = json!({
        "file_id": file_id,
        "file_unique_id": unique,
        "file_size": bytes.len(),
        "width": width,
        "height": height,
    });
    let longest = width.max(height);
    if longest <= 90 {
        return json!([full]);
    }
    let thumb_w = (u64::from(width) * 90 / u64::from(longest)).max(1);
    let thumb_h = (u64::from(height) * 90 / u64::from(longest)).max(1);
    json!([
        {
            "file_id": format!("{file_id}-s"),
            "file_unique_id": format!("{unique}-s"),
            "file_size": (bytes.len() / 10).max(1),
            "width": thumb_w,
            "height": thumb_h,
        },
        full
    ])
}
/// `(width, height)` of a PNG or JPEG, or `None` if the bytes are neither.
fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG_SIGNATURE) && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let width = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let height = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return (width > 0 && height > 0).then_some((width, height));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return jpeg_size(bytes);
    }
    None
}

fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let height = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
            let width = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
            return Some((width, height));
        }
        i += 2 + len;
    }
    None
}
