//! The codec's error type. Every failure carries the error code NBC's official SDK reports for
//! the same condition (SPEC §7), so messages can be matched against the SDK and bank support.

/// What was wrong, one variant per SDK error code the codec can raise.
///
/// [`KhqrErrorKind::code`] gives the SDK's numeric code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KhqrErrorKind {
    /// 1: Bakong account ID empty or missing.
    AccountIdRequired,
    /// 2: merchant name empty or missing.
    MerchantNameRequired,
    /// 3: Bakong account ID without exactly one `@`.
    AccountIdInvalid,
    /// 4: amount invalid (negative, too many decimals, too long, not a number).
    AmountInvalid,
    /// 5: neither tag 29 nor tag 30 present.
    MerchantTypeRequired,
    /// 6: Bakong account ID longer than 32.
    AccountIdTooLong,
    /// 7: merchant name longer than 25.
    MerchantNameTooLong,
    /// 8: not a well-formed KHQR (CRC, lengths, structure).
    InvalidKhqr,
    /// 9: currency (tag 53) missing.
    CurrencyRequired,
    /// 10: bill number empty or longer than 25.
    BillNumberInvalid,
    /// 11: store label empty or longer than 25.
    StoreLabelInvalid,
    /// 12: terminal label empty or longer than 25.
    TerminalLabelInvalid,
    /// 16: payload format indicator not `01`.
    PayloadFormatInvalid,
    /// 17: point of initiation value longer than 2.
    PointOfInitiationLengthInvalid,
    /// 18: merchant category code longer than 4.
    MccTooLong,
    /// 19: currency value longer than 3.
    CurrencyTooLong,
    /// 20: country code longer than 3.
    CountryCodeInvalid,
    /// 21: merchant city longer than 15.
    MerchantCityTooLong,
    /// 22: CRC value not 4 characters.
    CrcLengthInvalid,
    /// 23: payload format indicator (tag 00) missing.
    PayloadFormatRequired,
    /// 24: CRC (tag 63) missing.
    CrcRequired,
    /// 25: merchant category code (tag 52) missing.
    MccRequired,
    /// 26: country code (tag 58) missing.
    CountryCodeRequired,
    /// 27: merchant city (tag 60) missing or empty.
    MerchantCityRequired,
    /// 28: currency other than 116 (KHR) or 840 (USD).
    UnsupportedCurrency,
    /// 30: merchant ID missing in a merchant KHQR.
    MerchantIdRequired,
    /// 31: acquiring bank missing in a merchant KHQR.
    AcquiringBankRequired,
    /// 32: merchant ID longer than 32.
    MerchantIdTooLong,
    /// 33: acquiring bank longer than 32.
    AcquiringBankTooLong,
    /// 34: mobile number empty or longer than 25.
    MobileNumberInvalid,
    /// 35: account information longer than 32.
    AccountInformationTooLong,
    /// 37: language preference missing while an alternate-language name is given.
    LanguagePreferenceRequired,
    /// 38: language preference empty or longer than 2.
    LanguagePreferenceInvalid,
    /// 39: language preference given without an alternate-language merchant name.
    AltMerchantNameRequired,
    /// 40: alternate-language merchant name empty or longer than 25.
    AltMerchantNameInvalid,
    /// 41: alternate-language merchant city empty or longer than 15.
    AltMerchantCityInvalid,
    /// 42: purpose of transaction empty or longer than 25.
    PurposeInvalid,
    /// 43: UnionPay merchant account longer than 99.
    UpiAccountTooLong,
    /// 44: UnionPay merchant account with a USD KHQR.
    UpiAccountWithUsd,
    /// 45: dynamic KHQR without expiration timestamp.
    ExpirationRequired,
    /// 46: dynamic KHQR expired at verification time.
    Expired,
    /// 47: dynamic KHQR (01 = 12) without amount.
    DynamicWithoutAmount,
    /// 48: point of initiation not `11`/`12`, or inconsistent with the amount.
    PointOfInitiationInvalid,
    /// 49: timestamp not 13 digits (milliseconds).
    TimestampLengthInvalid,
    /// 50: expiration earlier than creation.
    ExpirationBeforeCreation,
    /// 51: merchant category code not 4 digits.
    MccInvalid,
}

impl KhqrErrorKind {
    /// The error code NBC's SDK (`bakong-khqr` 1.0.20) uses for this condition.
    pub const fn code(self) -> u8 {
        use KhqrErrorKind::*;
        match self {
            AccountIdRequired => 1,
            MerchantNameRequired => 2,
            AccountIdInvalid => 3,
            AmountInvalid => 4,
            MerchantTypeRequired => 5,
            AccountIdTooLong => 6,
            MerchantNameTooLong => 7,
            InvalidKhqr => 8,
            CurrencyRequired => 9,
            BillNumberInvalid => 10,
            StoreLabelInvalid => 11,
            TerminalLabelInvalid => 12,
            PayloadFormatInvalid => 16,
            PointOfInitiationLengthInvalid => 17,
            MccTooLong => 18,
            CurrencyTooLong => 19,
            CountryCodeInvalid => 20,
            MerchantCityTooLong => 21,
            CrcLengthInvalid => 22,
            PayloadFormatRequired => 23,
            CrcRequired => 24,
            MccRequired => 25,
            CountryCodeRequired => 26,
            MerchantCityRequired => 27,
            UnsupportedCurrency => 28,
            MerchantIdRequired => 30,
            AcquiringBankRequired => 31,
            MerchantIdTooLong => 32,
            AcquiringBankTooLong => 33,
            MobileNumberInvalid => 34,
            AccountInformationTooLong => 35,
            LanguagePreferenceRequired => 37,
            LanguagePreferenceInvalid => 38,
            AltMerchantNameRequired => 39,
            AltMerchantNameInvalid => 40,
            AltMerchantCityInvalid => 41,
            PurposeInvalid => 42,
            UpiAccountTooLong => 43,
            UpiAccountWithUsd => 44,
            ExpirationRequired => 45,
            Expired => 46,
            DynamicWithoutAmount => 47,
            PointOfInitiationInvalid => 48,
            TimestampLengthInvalid => 49,
            ExpirationBeforeCreation => 50,
            MccInvalid => 51,
        }
    }
}

/// A KHQR that cannot be built or does not verify.
///
/// Displays as `KHQR error <code>: <what is wrong, naming the field>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("KHQR error {}: {}", .kind.code(), .detail)]
pub struct KhqrError {
    kind: KhqrErrorKind,
    detail: String,
}

impl KhqrError {
    /// An error of `kind`; `detail` says what is wrong and names the field.
    pub fn new(kind: KhqrErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// The SDK's numeric error code.
    pub fn code(&self) -> u8 {
        self.kind.code()
    }

    /// What went wrong.
    pub fn kind(&self) -> KhqrErrorKind {
        self.kind
    }

    /// The human-readable part of the message, without the `KHQR error N:` prefix.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Structural problem (code 8).
    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Self::new(KhqrErrorKind::InvalidKhqr, detail)
    }
}
