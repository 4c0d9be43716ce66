//! The commands the bot understands. Arguments are taken raw and parsed by the handlers,
//! which know the merchant (default currency, language) and can explain errors.

use teloxide::utils::command::BotCommands;

use crate::i18n::Lang;
use crate::t;

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Welcome and first steps.
    Start(String),
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
    /// A pay link: /link 5 USD coffee max 20 until 2026-12-31.
    Link(String),
    /// Your pay links.
    Links,
    /// Daily closing summary: /close 21:30, /close off.
    Close(String),
    /// Spreadsheet of a period: /export month.
    Export(String),
}

/// A command anyone may send (in a private chat): it works before /setup too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum OpenCommand {
    /// With the `start` payload (a pay link's code, `setup`, or nothing).
    Start(String),
    Help,
    Setup,
    Cancel,
    Lang(String),
}

/// A command that works only for a caller who finished /setup (a configured shop). The
/// handler tree answers the others with [`ShopCommand::refusal`], in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ShopCommand {
    Charge(String),
    Settings,
    Token,
    Email(String),
    Currency(String),
    History(String),
    Pending,
    Check(String),
    Link(String),
    Links,
    Close(String),
    Export(String),
}

/// Which side of the handler tree serves a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Routed {
    Open(OpenCommand),
    Shop(ShopCommand),
}

impl Command {
    /// Exhaustive on purpose: a new command must say whether it needs a configured shop.
    pub(super) fn route(self) -> Routed {
        match self {
            // `/start setup` comes from the inline "set up first" button: a welcome all the
            // same; `/start <code>` is a pay link opened by a buyer (`links::buy`).
            Command::Start(payload) => Routed::Open(OpenCommand::Start(payload)),
            Command::Help => Routed::Open(OpenCommand::Help),
            Command::Setup => Routed::Open(OpenCommand::Setup),
            Command::Cancel => Routed::Open(OpenCommand::Cancel),
            Command::Lang(arg) => Routed::Open(OpenCommand::Lang(arg)),
            Command::Charge(arg) => Routed::Shop(ShopCommand::Charge(arg)),
            Command::Settings => Routed::Shop(ShopCommand::Settings),
            Command::Token => Routed::Shop(ShopCommand::Token),
            Command::Email(arg) => Routed::Shop(ShopCommand::Email(arg)),
            Command::Currency(arg) => Routed::Shop(ShopCommand::Currency(arg)),
            Command::History(arg) => Routed::Shop(ShopCommand::History(arg)),
            Command::Pending => Routed::Shop(ShopCommand::Pending),
            Command::Check(arg) => Routed::Shop(ShopCommand::Check(arg)),
            Command::Link(arg) => Routed::Shop(ShopCommand::Link(arg)),
            Command::Links => Routed::Shop(ShopCommand::Links),
            Command::Close(arg) => Routed::Shop(ShopCommand::Close(arg)),
            Command::Export(arg) => Routed::Shop(ShopCommand::Export(arg)),
        }
    }

    /// For the handler tree: the command if anyone may send it.
    pub(super) fn open(self) -> Option<OpenCommand> {
        match self.route() {
            Routed::Open(cmd) => Some(cmd),
            Routed::Shop(_) => None,
        }
    }

    /// For the handler tree: the command if it needs a configured shop.
    pub(super) fn shop(self) -> Option<ShopCommand> {
        match self.route() {
            Routed::Shop(cmd) => Some(cmd),
            Routed::Open(_) => None,
        }
    }
}

impl ShopCommand {
    /// What a caller without a configured shop is told instead.
    pub(super) fn refusal(&self, lang: Lang) -> String {
        match self {
            ShopCommand::Charge(_)
            | ShopCommand::Currency(_)
            | ShopCommand::History(_)
            | ShopCommand::Pending
            | ShopCommand::Check(_)
            | ShopCommand::Link(_)
            | ShopCommand::Links => t!(lang, "charge-needs-setup"),
            ShopCommand::Close(_) | ShopCommand::Export(_) => t!(lang, "charge-needs-setup"),
            ShopCommand::Token | ShopCommand::Email(_) => t!(lang, "token-needs-setup"),
            ShopCommand::Settings => t!(lang, "settings-not-configured"),
        }
    }
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
        "link" => t!(lang, "cmd-link"),
        "links" => t!(lang, "cmd-links"),
        "close" => t!(lang, "cmd-close"),
        "export" => t!(lang, "cmd-export"),
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
            assert_eq!(menu.len(), 17);
            for c in menu {
                assert!(c.description.chars().count() >= 3, "{c:?}");
                assert!(!c.command.starts_with('/'));
            }
        }
        assert_ne!(describe("help", Lang::En), describe("help", Lang::Km));
    }

    #[test]
    fn commands_before_setup_and_commands_for_a_shop() {
        let p = |s| Command::parse(s, "khqr_bot").unwrap();
        for open in ["/start", "/help", "/setup", "/cancel", "/lang km"] {
            assert!(matches!(p(open).route(), Routed::Open(_)), "{open}");
            assert!(p(open).shop().is_none(), "{open}");
        }
        for shop in [
            "/charge 5",
            "/settings",
            "/token",
            "/email off",
            "/currency KHR",
            "/history",
            "/pending",
            "/check abc",
            "/close 21:30",
            "/export month",
        ] {
            assert!(p(shop).open().is_none(), "{shop}");
            let cmd = p(shop).shop().unwrap();
            for lang in Lang::ALL {
                assert!(cmd.refusal(lang).contains("/setup"), "{shop}");
            }
        }
        assert_eq!(
            p("/charge 5 USD tea").shop(),
            Some(ShopCommand::Charge("5 USD tea".into()))
        );
    }
}
