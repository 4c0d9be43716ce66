//! Untrusted input (CLI flags, bot dialogue, SDK-style JSON) and its validation into a [`Khqr`].

use super::account;
use super::amount::Amount;
use super::currency::Currency;
use super::error::{KhqrError, KhqrErrorKind};
use super::fields::{
    ACCOUNT_INFORMATION, ACQUIRING_BANK, ALT_MERCHANT_CITY, ALT_MERCHANT_NAME, BILL_NUMBER,
    DEFAULT_MCC, DEFAULT_MERCHANT_CITY, LANGUAGE_PREFERENCE, MERCHANT_CITY, MERCHANT_ID,
    MERCHANT_NAME, MOBILE_NUMBER, PURPOSE, STORE_LABEL, TERMINAL_LABEL, TextField, UPI_ACCOUNT,
    alt_name_required, check_expiry_order, check_template_len, check_timestamp_ms,
    expiration_required, language_preference_required, parse_mcc, upi_with_usd,
};
use super::model::{AccountKind, Dynamic, Khqr, Parts, Timing, template_len};

/// Everything a KHQR can carry, as the SDK (and the `khqr-bot qr` flags) take it.
///
/// Optional text fields treat `Some("")` like `None`. [`KhqrInput::build`] validates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KhqrInput {
    /// `Some` makes a merchant KHQR (tag 30, needs `acquiring_bank`); `None` an individual one.
    pub merchant_id: Option<String>,
    /// Bakong account ID, e.g. `john_smith@devb`.
    pub account_id: String,
    /// Individual KHQR only (29-01); ignored for a merchant KHQR, as by the SDK.
    pub account_information: Option<String>,
    /// Acquiring bank: required for a merchant KHQR, optional for an individual one.
    pub acquiring_bank: Option<String>,
    /// Merchant name, 1..=25 characters.
    pub merchant_name: String,
    /// Merchant city, at most 15 characters; `Phnom Penh` when absent.
    pub merchant_city: Option<String>,
    /// 4-digit merchant category code; `5999` when absent.
    pub merchant_category_code: Option<String>,
    /// Currency of the KHQR (default KHR). Must match `amount`'s currency.
    pub currency: Currency,
    /// `None` or zero: static KHQR; otherwise dynamic.
    pub amount: Option<Amount>,
    pub bill_number: Option<String>,
    pub mobile_number: Option<String>,
    pub store_label: Option<String>,
    pub terminal_label: Option<String>,
    pub purpose: Option<String>,
    /// Language of the alternate name, e.g. `km`; needs `alt_merchant_name`.
    pub language_preference: Option<String>,
    /// Merchant name in the alternate language; needs `language_preference`.
    pub alt_merchant_name: Option<String>,
    pub alt_merchant_city: Option<String>,
    /// UnionPay merchant account (tag 15), KHR only.
    pub upi_merchant_account: Option<String>,
    /// Expiration, Unix epoch milliseconds (13 digits). Required for a dynamic KHQR,
    /// ignored for a static one.
    pub expiration_ms: Option<u64>,
}

/// `Some(s)` unless absent or empty.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.is_empty())
}

/// Checks an optional text field.
fn optional<'a>(field: &'a Option<String>, rule: &TextField) -> Result<Option<&'a str>, KhqrError> {
    match given(field) {
        Some(v) => {
            rule.check(v)?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

impl KhqrInput {
    /// Validates in the SDK's order, reporting the first failure with the SDK's error code,
    /// and returns the KHQR. `now_ms` (Unix epoch ms) becomes the creation timestamp of a
    /// dynamic KHQR; inject it for reproducible output.
    ///
    /// Beyond the SDK, it also rejects what the SDK accepts but emits broken: a template
    /// longer than 99 (code 8), an alternate name without language preference (37), an MCC of
    /// fewer than 4 digits (51), an amount in another currency than `currency` (4).
    pub fn build(&self, now_ms: u64) -> Result<Khqr, KhqrError> {
        // 15: UnionPay account.
        let upi_merchant_account = optional(&self.upi_merchant_account, &UPI_ACCOUNT)?;

        // 29/30: account template.
        account::check(&self.account_id)?;
        let account = match &self.merchant_id {
            Some(merchant_id) => {
                MERCHANT_ID.check(merchant_id)?;
                let bank = self.acquiring_bank.as_deref().unwrap_or("");
                ACQUIRING_BANK.check(bank)?;
                AccountKind::Merchant {
                    merchant_id: merchant_id.as_str(),
                    acquiring_bank: bank,
                }
            }
            None => AccountKind::Individual {
                account_information: optional(&self.account_information, &ACCOUNT_INFORMATION)?,
                acquiring_bank: optional(&self.acquiring_bank, &ACQUIRING_BANK)?,
            },
        };
        check_account_template(&self.account_id, account)?;

        // 52: merchant category code.
        let mcc = match given(&self.merchant_category_code) {
            Some(m) => parse_mcc(m)?,
            None => DEFAULT_MCC,
        };

        // 53: currency is typed; the UnionPay/USD rule comes right after it.
        if upi_merchant_account.is_some() && self.currency == Currency::Usd {
            return Err(upi_with_usd());
        }

        // 54: amount.
        let amount = match self.amount {
            Some(a) if a.currency() != self.currency => {
                return Err(KhqrError::new(
                    KhqrErrorKind::AmountInvalid,
                    format!(
                        "amount is in {} but the KHQR currency is {}",
                        a.currency(),
                        self.currency
                    ),
                ));
            }
            Some(a) if !a.is_zero() => Some(a),
            _ => None,
        };

        // 59, 60.
        MERCHANT_NAME.check(&self.merchant_name)?;
        let city = given(&self.merchant_city).unwrap_or(DEFAULT_MERCHANT_CITY);
        MERCHANT_CITY.check(city)?;

        // 62: additional data.
        let additional = additional_data([
            given(&self.bill_number),
            given(&self.mobile_number),
            given(&self.store_label),
            given(&self.terminal_label),
            given(&self.purpose),
        ])?;

        // 64: language template.
        let (alt_name, alt_merchant_city) = language_template(
            given(&self.language_preference),
            given(&self.alt_merchant_name),
            given(&self.alt_merchant_city),
        )?;

        // 99: timestamps of a dynamic KHQR.
        let timing = match amount {
            Some(amount) => {
                let expires = self
                    .expiration_ms
                    .filter(|&ms| ms != 0)
                    .ok_or_else(expiration_required)?;
                let expires_at_ms = check_timestamp_ms(expires, "expiration timestamp")?;
                let created_at_ms = check_timestamp_ms(now_ms, "creation timestamp (clock)")?;
                check_expiry_order(created_at_ms, expires_at_ms)?;
                Timing::Dynamic(Dynamic {
                    amount,
                    created_at_ms,
                    expires_at_ms,
                })
            }
            None => Timing::STATIC,
        };

        Ok(Khqr::assemble(Parts {
            account_id: &self.account_id,
            account,
            upi_merchant_account,
            mcc,
            currency: self.currency,
            timing,
            merchant_name: &self.merchant_name,
            merchant_city: city,
            additional,
            alt_name,
            alt_merchant_city,
        }))
    }
}

/// The account template must fit a 2-digit length (at most 99).
pub(crate) fn check_account_template(
    account_id: &str,
    account: AccountKind<&str>,
) -> Result<(), KhqrError> {
    let (tag, name, first, second) = match account {
        AccountKind::Individual {
            account_information,
            acquiring_bank,
        } => (
            "29",
            "individual account template",
            account_information,
            acquiring_bank,
        ),
        AccountKind::Merchant {
            merchant_id,
            acquiring_bank,
        } => (
            "30",
            "merchant account template",
            Some(merchant_id),
            Some(acquiring_bank),
        ),
    };
    check_template_len(tag, name, template_len(&[Some(account_id), first, second]))
}

/// Tag 62 sub-fields (bill, mobile, store, terminal, purpose): each present one must be
/// 1..=25 characters, and together they must fit the template.
pub(crate) fn additional_data(values: [Option<&str>; 5]) -> Result<[Option<&str>; 5], KhqrError> {
    const RULES: [&TextField; 5] = [
        &BILL_NUMBER,
        &MOBILE_NUMBER,
        &STORE_LABEL,
        &TERMINAL_LABEL,
        &PURPOSE,
    ];
    for (value, rule) in values.iter().zip(RULES) {
        if let Some(v) = value {
            rule.check(v)?;
        }
    }
    check_template_len("62", "additional data template", template_len(&values))?;
    Ok(values)
}

/// Tag 64 sub-fields with the SDK's rules: a language preference needs an alternate name
/// (39), an alternate name needs a language preference (37; the SDK crashes), then each
/// present value is checked (38, 40, 41). An alternate city may stand alone.
#[allow(clippy::type_complexity)]
pub(crate) fn language_template<'a>(
    language: Option<&'a str>,
    alt_name: Option<&'a str>,
    alt_city: Option<&'a str>,
) -> Result<(Option<(&'a str, &'a str)>, Option<&'a str>), KhqrError> {
    if language.is_some_and(|l| !l.is_empty()) && alt_name.is_none_or(str::is_empty) {
        return Err(alt_name_required());
    }
    let alt = match alt_name {
        Some(name) => {
            let language = language.ok_or_else(language_preference_required)?;
            LANGUAGE_PREFERENCE.check(language)?;
            ALT_MERCHANT_NAME.check(name)?;
            Some((language, name))
        }
        None => {
            if let Some(language) = language {
                // Only an empty one gets here (a non-empty one failed with 39 above).
                LANGUAGE_PREFERENCE.check(language)?;
            }
            None
        }
    };
    if let Some(city) = alt_city {
        ALT_MERCHANT_CITY.check(city)?;
    }
    // At most 2 + 25 + 15 characters plus 3 headers: always fits a template.
    Ok((alt, alt_city))
}
