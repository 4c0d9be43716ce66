//! "The customer's banking app": reads a KHQR card the way a phone does (the QR decoded from
//! the card *image* by a ZXing-family decoder, the text parsed by the project's KHQR codec)
//! and pays it through the Bakong sandbox, as a real transfer reaches Bakong.
//!
//! Like a phone's gallery, it keeps what it scanned: a customer can pay a scan after the
//! card in the chat was cancelled or expired (a late payment, which the bot must still find).

use serde::Serialize;

use crate::bakong::sandbox::{Payment, SandboxHandle};
use crate::bakong::types::DecimalAmount;
use crate::khqr;

use super::DemoChat;

/// What the bank app shows for a scanned card.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Scan {
    /// The chat the card was scanned from (the seller's chat with the bot, or the customer
    /// chat an inline card was sent to).
    pub chat: DemoChat,
    /// The chat message the card was scanned from.
    pub message_id: i32,
    /// The KHQR text read from the image.
    pub qr: String,
    /// Lowercase hex md5 of the text: what Bakong is asked about.
    pub md5: String,
    pub merchant: String,
    pub city: String,
    pub account: String,
    /// Decimal text, e.g. "5.00" (absent on a static QR).
    pub amount: Option<String>,
    /// `USD` or `KHR`.
    pub currency: String,
    pub bill: Option<String>,
    /// Last thing the customer did with it ("paid 5.00 USD", "failed"...).
    pub done: Option<String>,
}

/// Why a card could not be read or paid.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("this is not an image the bank app can open: {0}")]
    Image(#[from] image::ImageError),
    #[error("no QR code found in the image: {0}")]
    NoQr(String),
    #[error("the QR code is not a KHQR: {0}")]
    NotKhqr(#[from] khqr::KhqrError),
    #[error("not an amount: {0}")]
    Amount(String),
    #[error("Bakong refused the payment: {0}")]
    Refused(String),
}

/// Decodes the QR in `image` (PNG or JPEG bytes) as a phone's scanner does.
pub fn read_qr_image(image: &[u8]) -> Result<String, BankError> {
    let luma = image::load_from_memory(image)?.to_luma8();
    let (w, h) = luma.dimensions();
    rxing::helpers::detect_in_luma(luma.into_raw(), w, h, Some(rxing::BarcodeFormat::QR_CODE))
        .map(|found| found.getText().to_owned())
        .map_err(|e| BankError::NoQr(e.to_string()))
}

/// Scans a card image from message `message_id` of `chat`.
pub fn scan(chat: DemoChat, message_id: i32, image: &[u8]) -> Result<Scan, BankError> {
    let qr = read_qr_image(image)?;
    let decoded = khqr::decode(&qr)?;
    Ok(Scan {
        chat,
        message_id,
        md5: khqr::md5_hex(&qr),
        merchant: decoded.merchant_name().to_owned(),
        city: decoded.merchant_city().to_owned(),
        account: decoded.account_id().to_owned(),
        amount: decoded.amount().map(|a| a.to_string()),
        currency: decoded.currency().alpha().to_owned(),
        bill: decoded.bill_number().map(str::to_owned),
        qr,
        done: None,
    })
}

/// What the customer does with a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Pays the amount the QR asks for, to the QR's account.
    Pay,
    /// Pays another amount (a customer's typo) to the QR's account.
    PayAmount(String),
    /// The transfer fails at the bank.
    Fail,
}

/// Carries out `action` on `scan` through the sandbox; returns what happened, for the page.
pub fn act(sandbox: &SandboxHandle, scan: &Scan, action: &Action) -> Result<String, BankError> {
    match action {
        Action::Pay => {
            let (_, tx) = sandbox
                .pay_qr(&scan.qr)
                .map_err(|e| BankError::Refused(e.0))?;
            Ok(format!(
                "paid {} {} · ref {}",
                tx.amount.as_str(),
                tx.currency.alpha(),
                short(&tx.hash)
            ))
        }
        Action::PayAmount(text) => {
            let amount = DecimalAmount::parse(text.trim())
                .map_err(|e| BankError::Amount(format!("{text}: {e}")))?;
            let currency = scan
                .currency
                .parse()
                .map_err(|_| BankError::Refused(format!("unknown currency {}", scan.currency)))?;
            let payment = Payment::new(&amount, currency, &scan.account);
            let tx = sandbox
                .pay(&scan.md5, payment)
                .map_err(|e| BankError::Refused(e.0))?;
            Ok(format!(
                "paid {} {} · ref {}",
                tx.amount.as_str(),
                tx.currency.alpha(),
                short(&tx.hash)
            ))
        }
        Action::Fail => {
            sandbox.fail(&scan.md5);
            Ok("failed".to_owned())
        }
    }
}

fn short(hash: &str) -> &str {
    hash.get(..8).unwrap_or(hash)
}
