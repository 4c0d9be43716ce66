//! Every field limit and its SDK error code, in one place. Used both when building a KHQR and
//! when decoding one, so the two can never disagree.

use super::error::{KhqrError, KhqrErrorKind as K};
use super::tlv::{MAX_TLV_LEN, utf16_len};

pub(crate) const ACCOUNT_ID_MAX: usize = 32;
pub(crate) const DEFAULT_MERCHANT_CITY: &str = "Phnom Penh";
pub(crate) const DEFAULT_MCC: [u8; 4] = *b"5999";
pub(crate) const COUNTRY_CODE: &str = "KH";
pub(crate) const PAYLOAD_FORMAT: &str = "01";
pub(crate) const STATIC_QR: &str = "11";
pub(crate) const DYNAMIC_QR: &str = "12";
/// Timestamps are Unix epoch milliseconds written with exactly 13 digits.
pub(crate) const TIMESTAMP_DIGITS: usize = 13;

/// A text field: its name (for messages), maximum length in UTF-16 units, and the SDK codes for
/// "empty" and "too long".
pub(crate) struct TextField {
    pub(crate) name: &'static str,
    pub(crate) max: usize,
    pub(crate) empty: K,
    pub(crate) too_long: K,
}

impl TextField {
    pub(crate) fn check(&self, value: &str) -> Result<(), KhqrError> {
        if value.is_empty() {
            return Err(KhqrError::new(
                self.empty,
                format!("{} is empty", self.name),
            ));
        }
        let len = utf16_len(value);
        if len > self.max {
            return Err(KhqrError::new(
                self.too_long,
                format!(
                    "{} is longer than {} characters ({len})",
                    self.name, self.max
                ),
            ));
        }
        Ok(())
    }
}

macro_rules! text_field {
    ($id:ident, $name:literal, $max:literal, $empty:ident, $too_long:ident) => {
        pub(crate) const $id: TextField = TextField {
            name: $name,
            max: $max,
            empty: K::$empty,
            too_long: K::$too_long,
        };
    };
}

text_field!(
    UPI_ACCOUNT,
    "UnionPay merchant account",
    99,
    UpiAccountTooLong,
    UpiAccountTooLong
);
text_field!(
    ACCOUNT_INFORMATION,
    "account information",
    32,
    AccountInformationTooLong,
    AccountInformationTooLong
);
text_field!(
    MERCHANT_ID,
    "merchant ID",
    32,
    MerchantIdRequired,
    MerchantIdTooLong
);
text_field!(
    ACQUIRING_BANK,
    "acquiring bank",
    32,
    AcquiringBankRequired,
    AcquiringBankTooLong
);
text_field!(
    MERCHANT_NAME,
    "merchant name",
    25,
    MerchantNameRequired,
    MerchantNameTooLong
);
text_field!(
    MERCHANT_CITY,
    "merchant city",
    15,
    MerchantCityRequired,
    MerchantCityTooLong
);
text_field!(
    BILL_NUMBER,
    "bill number",
    25,
    BillNumberInvalid,
    BillNumberInvalid
);
text_field!(
    MOBILE_NUMBER,
    "mobile number",
    25,
    MobileNumberInvalid,
    MobileNumberInvalid
);
text_field!(
    STORE_LABEL,
    "store label",
    25,
    StoreLabelInvalid,
    StoreLabelInvalid
);
text_field!(
    TERMINAL_LABEL,
    "terminal label",
    25,
    TerminalLabelInvalid,
    TerminalLabelInvalid
);
text_field!(
    PURPOSE,
    "purpose of transaction",
    25,
    PurposeInvalid,
    PurposeInvalid
);
text_field!(
    LANGUAGE_PREFERENCE,
    "language preference",
    2,
    LanguagePreferenceInvalid,
    LanguagePreferenceInvalid
);
text_field!(
    ALT_MERCHANT_NAME,
    "alternate-language merchant name",
    25,
    AltMerchantNameInvalid,
    AltMerchantNameInvalid
);
text_field!(
    ALT_MERCHANT_CITY,
    "alternate-language merchant city",
    15,
    AltMerchantCityInvalid,
    AltMerchantCityInvalid
);

/// Merchant category code: exactly 4 ASCII digits (the SDK also takes fewer; we don't).
pub(crate) fn parse_mcc(value: &str) -> Result<[u8; 4], KhqrError> {
    if value.is_empty() {
        return Err(KhqrError::new(
            K::MccRequired,
            "merchant category code is empty",
        ));
    }
    if utf16_len(value) > 4 {
        return Err(KhqrError::new(
            K::MccTooLong,
            format!("merchant category code {value:?} is longer than 4 digits"),
        ));
    }
    match <[u8; 4]>::try_from(value.as_bytes()) {
        Ok(mcc) if mcc.iter().all(u8::is_ascii_digit) => Ok(mcc),
        _ => Err(KhqrError::new(
            K::MccInvalid,
            format!("merchant category code {value:?} is not 4 digits"),
        )),
    }
}

/// A template's value must fit a 2-digit length (the SDK writes 3 digits and breaks).
pub(crate) fn check_template_len(tag: &str, name: &str, len: usize) -> Result<(), KhqrError> {
    if len > MAX_TLV_LEN {
        return Err(KhqrError::invalid(format!(
            "{name} (tag {tag}) would be {len} characters long; a template holds at most \
             {MAX_TLV_LEN}, so shorten its fields"
        )));
    }
    Ok(())
}

/// A timestamp value inside tag 99: exactly 13 ASCII digits.
pub(crate) fn parse_timestamp(value: &str, name: &str) -> Result<u64, KhqrError> {
    if value.len() == TIMESTAMP_DIGITS && value.bytes().all(|b| b.is_ascii_digit()) {
        let mut n: u64 = 0;
        for b in value.bytes() {
            n = n * 10 + u64::from(b - b'0');
        }
        return Ok(n);
    }
    Err(timestamp_length(name, value))
}

/// A timestamp given as a number: it must have exactly 13 digits (milliseconds).
pub(crate) fn check_timestamp_ms(ms: u64, name: &str) -> Result<u64, KhqrError> {
    if super::amount::digit_count(ms) == TIMESTAMP_DIGITS {
        Ok(ms)
    } else {
        Err(timestamp_length(name, &ms.to_string()))
    }
}

fn timestamp_length(name: &str, value: &str) -> KhqrError {
    KhqrError::new(
        K::TimestampLengthInvalid,
        format!("{name} {value:?} is not 13 digits (Unix epoch milliseconds)"),
    )
}

/// Expiration must not precede creation.
pub(crate) fn check_expiry_order(created_ms: u64, expires_ms: u64) -> Result<(), KhqrError> {
    if expires_ms < created_ms {
        return Err(KhqrError::new(
            K::ExpirationBeforeCreation,
            format!("expiration timestamp {expires_ms} is earlier than creation {created_ms}"),
        ));
    }
    Ok(())
}

pub(crate) fn expiration_required() -> KhqrError {
    KhqrError::new(
        K::ExpirationRequired,
        "expiration timestamp is required for a dynamic KHQR (one with an amount)",
    )
}

pub(crate) fn upi_with_usd() -> KhqrError {
    KhqrError::new(
        K::UpiAccountWithUsd,
        "UnionPay merchant account is only allowed with KHR",
    )
}

pub(crate) fn language_preference_required() -> KhqrError {
    KhqrError::new(
        K::LanguagePreferenceRequired,
        "language preference is required with an alternate-language merchant name",
    )
}

pub(crate) fn alt_name_required() -> KhqrError {
    KhqrError::new(
        K::AltMerchantNameRequired,
        "alternate-language merchant name is required with a language preference",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_utf16() {
        assert!(MERCHANT_NAME.check(&"ក".repeat(25)).is_ok());
        assert_eq!(MERCHANT_NAME.check(&"ក".repeat(26)).unwrap_err().code(), 7);
        assert_eq!(MERCHANT_NAME.check(&"😀".repeat(13)).unwrap_err().code(), 7);
        assert_eq!(MERCHANT_NAME.check("").unwrap_err().code(), 2);
        let e = MERCHANT_NAME.check(&"A".repeat(26)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "KHQR error 7: merchant name is longer than 25 characters (26)"
        );
    }

    #[test]
    fn mcc() {
        assert_eq!(parse_mcc("5411").unwrap(), *b"5411");
        assert_eq!(parse_mcc("0000").unwrap(), *b"0000");
        assert_eq!(parse_mcc("").unwrap_err().code(), 25);
        assert_eq!(parse_mcc("59990").unwrap_err().code(), 18);
        assert_eq!(parse_mcc("1A2B").unwrap_err().code(), 51);
        assert_eq!(parse_mcc("-100").unwrap_err().code(), 51);
        assert_eq!(parse_mcc("599").unwrap_err().code(), 51);
        assert_eq!(parse_mcc("ក៥៥៥").unwrap_err().code(), 51);
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            parse_timestamp("1767225600000", "x").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(parse_timestamp("176722560000", "x").unwrap_err().code(), 49);
        assert_eq!(
            parse_timestamp("17672256000000", "x").unwrap_err().code(),
            49
        );
        assert_eq!(
            parse_timestamp("176722560000a", "x").unwrap_err().code(),
            49
        );
        assert_eq!(
            check_timestamp_ms(1_767_226_200, "x").unwrap_err().code(),
            49
        );
        assert_eq!(check_expiry_order(2, 1).unwrap_err().code(), 50);
    }
}
