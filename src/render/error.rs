//! Errors of the render module.

/// Why an image could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The payload is empty: there is nothing to encode.
    #[error("the KHQR payload is empty")]
    EmptyPayload,
    /// The payload does not fit in a QR code at error-correction level M.
    #[error("the payload ({len} bytes) does not fit in a level-M QR code: {source}")]
    PayloadTooLong {
        /// Payload length in UTF-8 bytes.
        len: usize,
        /// The QR encoder's reason.
        source: qrcode::types::QrError,
    },
    /// The QR code needs more modules than the card can show at a scannable module size.
    #[error("the QR code ({modules} modules wide) is too dense to draw on a card")]
    TooDense {
        /// Symbol width in modules, quiet zone excluded.
        modules: usize,
    },
    /// A chart series does not have one value per slot.
    #[error("a chart series has {values} values for {slots} slots")]
    ChartShape {
        /// Slots on the horizontal axis.
        slots: usize,
        /// Values in the series.
        values: usize,
    },
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(#[from] png::EncodingError),
}
