//! The one reading of a currency word, shared by `/charge` (at the amount: `5 dollars`, `៛5000`)
//! and `/currency` (`/currency dollar`): `$`, `USD`, `US$`, `dollar(s)`, `ដុល្លារ` name USD;
//! `៛`, `KHR`, `riel(s)`, `រៀល` name KHR (letters in any case). Other currencies' symbols,
//! names and ISO codes are recognised too, so that `5 EUR` is refused as a currency KHQR does
//! not take rather than read as a note.

use crate::khqr::Currency;

/// A word or symbol that names a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrencyWord {
    /// USD or KHR: a currency KHQR takes.
    Supported(Currency),
    /// ISO code of a currency KHQR does not take (`"EUR"`).
    Unsupported(String),
}

impl CurrencyWord {
    /// The currency `word` names, if any. `word` is one token as typed (no surrounding
    /// whitespace); letters match in any case, other currencies' ISO codes only in capitals.
    pub fn parse(word: &str) -> Option<CurrencyWord> {
        let lower = word.to_lowercase();
        match lower.as_str() {
            "$" | "usd" | "us$" | "dollar" | "dollars" | "ដុល្លារ" => {
                return Some(CurrencyWord::Supported(Currency::Usd));
            }
            "៛" | "khr" | "riel" | "riels" | "រៀល" => {
                return Some(CurrencyWord::Supported(Currency::Khr));
            }
            _ => {}
        }
        let other = OTHER_CURRENCY_WORDS
            .iter()
            .chain(OTHER_CURRENCY_SYMBOLS)
            .find(|(w, _)| *w == lower)
            .map(|(_, code)| (*code).to_owned());
        if let Some(code) = other {
            return Some(CurrencyWord::Unsupported(code));
        }
        let is_iso = word.len() == 3
            && word.bytes().all(|b| b.is_ascii_uppercase())
            && ISO_4217.split_ascii_whitespace().any(|code| code == word);
        is_iso.then(|| CurrencyWord::Unsupported(word.to_owned()))
    }

    /// The KHQR currency `word` names, `None` for anything else (another currency or no
    /// currency at all).
    pub fn supported(word: &str) -> Option<Currency> {
        match CurrencyWord::parse(word) {
            Some(CurrencyWord::Supported(c)) => Some(c),
            Some(CurrencyWord::Unsupported(_)) | None => None,
        }
    }
}

/// Other currencies sellers in Cambodia meet, matched in any case: code or name → ISO code.
const OTHER_CURRENCY_WORDS: &[(&str, &str)] = &[
    ("eur", "EUR"),
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("thb", "THB"),
    ("baht", "THB"),
    ("vnd", "VND"),
    ("dong", "VND"),
    ("cny", "CNY"),
    ("rmb", "CNY"),
    ("yuan", "CNY"),
    ("jpy", "JPY"),
    ("yen", "JPY"),
    ("gbp", "GBP"),
    ("sgd", "SGD"),
    ("aud", "AUD"),
    ("cad", "CAD"),
    ("krw", "KRW"),
    ("won", "KRW"),
    ("myr", "MYR"),
    ("inr", "INR"),
    ("hkd", "HKD"),
    ("twd", "TWD"),
    ("chf", "CHF"),
    ("php", "PHP"),
    ("idr", "IDR"),
    ("lak", "LAK"),
    ("kip", "LAK"),
    ("rub", "RUB"),
    ("nzd", "NZD"),
    ("usdt", "USDT"),
    ("usdc", "USDC"),
    ("btc", "BTC"),
];

/// Currency symbols other than `$` and `៛`.
const OTHER_CURRENCY_SYMBOLS: &[(&str, &str)] = &[
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("￥", "JPY"),
    ("฿", "THB"),
    ("₫", "VND"),
    ("₩", "KRW"),
    ("₹", "INR"),
    ("₱", "PHP"),
    ("₭", "LAK"),
    ("₽", "RUB"),
    ("₿", "BTC"),
];

/// ISO 4217 alphabetic codes, matched only in capitals (several are English words: ALL, CUP,
/// TOP, PEN, MOP, BOB, SOS …, which in lower case start a note).
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND \
    BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP \
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR \
    ISK JMD JOD JPY KES KGS KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD \
    MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN \
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB \
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW \
    ZWL";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_for_usd_and_khr() {
        for word in [
            "$",
            "USD",
            "usd",
            "Usd",
            "US$",
            "dollar",
            "Dollar",
            "dollars",
            "ដុល្លារ",
        ] {
            assert_eq!(
                CurrencyWord::parse(word),
                Some(CurrencyWord::Supported(Currency::Usd)),
                "{word}"
            );
        }
        for word in ["៛", "KHR", "khr", "riel", "RIEL", "riels", "Riels", "រៀល"] {
            assert_eq!(
                CurrencyWord::parse(word),
                Some(CurrencyWord::Supported(Currency::Khr)),
                "{word}"
            );
        }
    }

    #[test]
    fn other_currencies_are_named_by_their_iso_code() {
        for (word, code) in [
            ("€", "EUR"),
            ("euro", "EUR"),
            ("eur", "EUR"),
            ("baht", "THB"),
        ] {
            assert_eq!(
                CurrencyWord::parse(word),
                Some(CurrencyWord::Unsupported(code.to_owned())),
                "{word}"
            );
        }
        // An ISO code that is also an English word counts only in capitals.
        assert_eq!(
            CurrencyWord::parse("CUP"),
            Some(CurrencyWord::Unsupported("CUP".to_owned()))
        );
        assert_eq!(CurrencyWord::parse("cup"), None);
        assert_eq!(CurrencyWord::supported("EUR"), None);
    }

    #[test]
    fn words_that_name_no_currency() {
        for word in ["", "coffee", "5", "dollarz", "us", "r"] {
            assert_eq!(CurrencyWord::parse(word), None, "{word}");
            assert_eq!(CurrencyWord::supported(word), None, "{word}");
        }
        assert_eq!(CurrencyWord::supported("dollars"), Some(Currency::Usd));
        assert_eq!(CurrencyWord::supported("រៀល"), Some(Currency::Khr));
    }
}
