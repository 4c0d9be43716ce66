//! The commands the bot understands. Arguments are taken raw and parsed by the handlers,
//! which know the merchant (default currency, language) and can explain errors.

use teloxide::utils::command::BotCommands;

use crate::i18n::Lang;
use crate::t;

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Welcome and first steps.
    Start,
    /// Connect your shop and Bakong account.
    Setup,
    /// Ask for a payment: /charge 5 USD coffee.
    Charge(String),
    /// Show your shop settings.
    Settings,
    /// Replace your Bakong API token.
    Token,
    /// Email for automatic token renewal: /email you@example.com, /email off.
    Email(String),
    /// Language: /lang en or /lang km.
    Lang(String),
    /// Default currency for /charge: /currency KHR or /currency USD.
    Currency(String),
    /// Stop the current setup.
    Cancel,
    /// How to use this bot.
    Help,
    /// Payments received: /history today, week, month.
    History(String),
    /// Open payment requests.
    Pending,
    /// Verify a transaction: /check <hash>.
    Check(String),
}

/// The localized menu description of a command.
pub fn describe(command: &str, lang: Lang) -> String {
    match command {
        "start" => t!(lang, "cmd-start"),
        "setup" => t!(lang, "cmd-setup"),
        "charge" => t!(lang, "cmd-charge"),
        "settings" => t!(lang, "cmd-settings"),
        "token" => t!(lang, "cmd-token"),
        "email" => t!(lang, "cmd-email"),
        "lang" => t!(lang, "cmd-lang"),
        "currency" => t!(lang, "cmd-currency"),
        "cancel" => t!(lang, "cmd-cancel"),
        "history" => t!(lang, "cmd-history"),
        "pending" => t!(lang, "cmd-pending"),
        "check" => t!(lang, "cmd-check"),
        _ => t!(lang, "cmd-help"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_with_raw_arguments() {
        let p = |s| Command::parse(s, "khqr_bot").ok();
        assert_eq!(
            p("/charge 5 USD iced coffee"),
            Some(Command::Charge("5 USD iced coffee".into()))
        );
        assert_eq!(p("/charge@khqr_bot 5"), Some(Command::Charge("5".into())));
        assert_eq!(p("/charge"), Some(Command::Charge(String::new())));
        assert_eq!(p("/lang km"), Some(Command::Lang("km".into())));
        assert_eq!(p("/currency KHR"), Some(Command::Currency("KHR".into())));
        assert_eq!(p("/setup"), Some(Command::Setup));
        assert_eq!(p("/email a@b.kh"), Some(Command::Email("a@b.kh".into())));
        assert_eq!(p("hello"), None);
    }

    #[test]
    fn every_menu_entry_has_both_descriptions() {
        for lang in Lang::ALL {
            let menu = crate::bot::command_menu(lang);
            assert_eq!(menu.len(), 13);
            for c in menu {
                assert!(c.description.chars().count() >= 3, "{c:?}");
                assert!(!c.command.starts_with('/'));
            }
        }
        assert_ne!(describe("help", Lang::En), describe("help", Lang::Km));
    }
}
