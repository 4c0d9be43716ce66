//! The handler tree: which handler serves which update. Nothing else in `src/bot` imports
//! this module (only `mod.rs`, to build the dispatcher); the helpers handlers share live in
//! [`super::turn`] and [`super::caller`].
//!
//! ```text
//! update ─ Shedding::claim (the update's place in flight, until its handler returns)
//!        ─ caller::resolve (once: language, user, merchant)      → Caller
//!  ├─ message ─ Turn::new                                       → Turn
//!  │   ├─ command outside a private chat, the group's answer already given this interval
//!  │   │                                          → private::on_unanswered_group_command
//!  │   ├─ merchant command outside a private chat → private::on_group_command
//!  │   └─ dialogue (per chat)
//!  │       ├─ command
//!  │       │   ├─ needs a shop ─ Caller::shop → on_shop_command (Shop)
//!  │       │   │                 └─ none     → on_not_set_up (the one "finish /setup first")
//!  │       │   └─ anyone                      → on_open_command
//!  │       ├─ wizard steps (State::…)         → setup::…, setup::email::on_email
//!  │       └─ anything else                   → on_other_message (a hint, once a minute)
//!  ├─ button press ─ pay link (lks:, lnq:)    → links::on_callback
//!  │               ├─ charge the missing (dif:) → difference::on_callback
//!  │               └─ any other             → callbacks::on_callback
//!  ├─ inline query (settled, per user)        → inline::on_inline_query
//!  └─ chosen inline result                    → inline::on_chosen
//! ```

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::ErasedStorage;
use teloxide::prelude::*;

use crate::t;

use super::caller::{self, Caller, Shop};
use super::commands::{OpenCommand, ShopCommand};
use super::dialogue::{BotDialogue, State};
use super::turn::Turn;
use super::{
    Command, HandlerError, HandlerResult, Shedding, callbacks, charge, inline, links, private,
    reports, setup, simple_commands,
};

/// The handler tree (see the module documentation for its shape).
pub fn schema() -> UpdateHandler<HandlerError> {
    use dptree::case;

    // A group's commands get at most one answer per FLOOD_GROUP_ANSWER_SECS: the others
    // only have a pasted token deleted. (The filter takes the group's answer when it is
    // there to take, and lets the command go on to the branches that answer it.)
    let group_quota = teloxide::filter_command::<Command, _>()
        .filter(|msg: Message, shedding: Arc<Shedding>| {
            !msg.chat.is_private() && !shedding.may_answer_group(msg.chat.id)
        })
        .endpoint(private::on_unanswered_group_command);

    // Merchant commands outside a private chat: one "talk to me in private", nothing else
    // (ahead of the dialogue, so a group's command never touches wizard state).
    let group_guard = teloxide::filter_command::<Command, _>()
        .filter(private::outside_private_chat)
        .endpoint(private::on_group_command);

    // Commands that need a configured shop: the guard is this branch, written once.
    let shop_commands = dptree::filter_map(Command::shop)
        .branch(dptree::filter_map(|caller: Caller| caller.shop()).endpoint(on_shop_command))
        .endpoint(on_not_set_up);

    let commands = teloxide::filter_command::<Command, _>()
        .branch(shop_commands)
        .branch(dptree::filter_map(Command::open).endpoint(on_open_command));

    let conversation = dptree::entry()
        .enter_dialogue::<Message, ErasedStorage<State>, State>()
        .branch(commands)
        .branch(case![State::AwaitAccount].endpoint(setup::on_account))
        .branch(case![State::AwaitShop { account }].endpoint(setup::on_shop))
        .branch(case![State::AwaitCity { account, shop }].endpoint(setup::on_city))
        .branch(
            case![State::AwaitToken {
                account,
                shop,
                city
            }]
            .endpoint(setup::on_token),
        )
        .branch(
            case![State::FixAccount {
                shop,
                city,
                sealed_token
            }]
            .endpoint(setup::on_fixed_account),
        )
        .branch(case![State::AwaitNewToken].endpoint(setup::on_new_token))
        .branch(case![State::AwaitEmail].endpoint(setup::email::on_email))
        .branch(case![State::AwaitLinkAmount { link }].endpoint(links::buy::on_amount))
        .endpoint(on_other_message);

    let messages = Update::filter_message()
        .map(Turn::new)
        .branch(group_quota)
        .branch(group_guard)
        .branch(conversation);

    let callbacks = Update::filter_callback_query()
        .branch(dptree::filter(links::is_link_callback).endpoint(links::on_callback))
        .branch(
            dptree::filter(charge::difference::is_difference_callback)
                .endpoint(charge::difference::on_callback),
        )
        .endpoint(callbacks::on_callback);
    let inline_queries = Update::filter_inline_query().endpoint(inline::on_inline_query);
    let chosen = Update::filter_chosen_inline_result().endpoint(inline::on_chosen);

    dptree::entry()
        // First: the update's place in flight, held until its handler has returned (dptree
        // keeps this value with the update until the endpoint completes).
        .map(|update: Update, shedding: Arc<Shedding>| shedding.claim(&update))
        .filter_map_async(caller::resolve)
        .branch(messages)
        .branch(callbacks)
        .branch(inline_queries)
        .branch(chosen)
}

/// A command anyone may send.
async fn on_open_command(turn: Turn, cmd: OpenCommand, dialogue: BotDialogue) -> HandlerResult {
    let result = match cmd {
        // A pay link opens the buyer's private chat; elsewhere `/start` is the welcome.
        OpenCommand::Start(payload) => match crate::store::LinkCode::parse(payload.trim()) {
            Ok(code) if turn.msg.chat.is_private() => {
                links::buy::start(&turn, &dialogue, &code).await
            }
            _ => simple_commands::start(&turn).await,
        },
        OpenCommand::Help => simple_commands::help(&turn).await,
        OpenCommand::Setup => setup::start(&turn, &dialogue).await,
        OpenCommand::Cancel => simple_commands::cancel(&turn, &dialogue).await,
        OpenCommand::Lang(arg) => simple_commands::set_lang(&turn, &arg).await,
    };
    if let Err(e) = result {
        turn.apologise(&e).await;
    }
    Ok(())
}

/// A command for a configured shop, from a caller who has one.
async fn on_shop_command(
    turn: Turn,
    shop: Shop,
    cmd: ShopCommand,
    dialogue: BotDialogue,
) -> HandlerResult {
    let result = match cmd {
        ShopCommand::Charge(args) => charge::handle(&turn, &shop, &args).await,
        ShopCommand::Settings => simple_commands::settings(&turn, &shop).await,
        ShopCommand::Token => setup::start_token(&turn, &dialogue).await,
        // Private chats only, like /token (it carries personal data).
        ShopCommand::Email(arg) => setup::email::command(&turn, &shop, &arg).await,
        ShopCommand::Currency(arg) => simple_commands::set_currency(&turn, &shop, &arg).await,
        ShopCommand::History(arg) => reports::history::command(&turn, &shop, &arg).await,
        ShopCommand::Pending => reports::pending::command(&turn, &shop).await,
        ShopCommand::Check(arg) => reports::check::command(&turn, &shop, &arg).await,
        ShopCommand::Link(arg) => links::create(&turn, &shop, &arg).await,
        ShopCommand::Links => links::list(&turn, &shop).await,
        ShopCommand::Close(arg) => reports::close::command(&turn, &shop, &arg).await,
        ShopCommand::Export(arg) => reports::export::command(&turn, &shop, &arg).await,
    };
    if let Err(e) = result {
        turn.apologise(&e).await;
    }
    Ok(())
}

/// A command for a configured shop from a caller without one: "finish /setup first".
async fn on_not_set_up(turn: Turn, cmd: ShopCommand) -> HandlerResult {
    if let Err(e) = turn.reply(cmd.refusal(turn.lang())).await {
        turn.apologise(&e).await;
    }
    Ok(())
}

/// A message that is neither a command nor an expected wizard answer: in a private chat,
/// a hint at most once a minute (a stranger's chatter, forwarded messages).
async fn on_other_message(turn: Turn, shedding: Arc<Shedding>) -> HandlerResult {
    let msg = &turn.msg;
    // A Bakong token pasted outside /setup or /token must not stay in the chat.
    let pasted_token = msg.text().is_some_and(private::contains_jwt);
    if pasted_token && let Err(e) = turn.bot.delete_message(msg.chat.id, msg.id).await {
        tracing::warn!(chat_id = msg.chat.id.0, error = %e, "could not delete a pasted token");
    }
    if !msg.chat.is_private() {
        return Ok(());
    }
    if pasted_token {
        return turn.reply(t!(turn.lang(), "token-outside-wizard")).await;
    }
    if !shedding.may_hint(msg.chat.id) {
        return Ok(());
    }
    turn.reply(t!(turn.lang(), "unknown-message")).await
}

#[cfg(test)]
mod tests {
    /// The rule in ARCHITECTURE.md: no module in `src/bot` imports the router (only `mod.rs`
    /// does, to build the dispatcher), so handlers and helpers never form a circle with it.
    #[test]
    fn no_module_in_src_bot_imports_the_router() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bot");
        let mut checked = 0;
        // The feature folders too: only the top `mod.rs` may name the router.
        let mut dirs = vec![dir.clone()];
        while let Some(here) = dirs.pop() {
            for entry in std::fs::read_dir(&here).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let name = path
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if !name.ends_with(".rs") || name == "mod.rs" || name == "router.rs" {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let imports_router = source.lines().any(|line| {
                    let line = line.trim_start();
                    // Any mention of the module in code (`use super::router`, `use super::{…,
                    // router}`, `router::schema()`), not in comments.
                    !line.starts_with("//")
                        && line
                            .split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|word| word == "router")
                });
                assert!(!imports_router, "{name} imports the router");
                checked += 1;
            }
        }
        assert!(
            checked >= 15,
            "only {checked} modules found in {}",
            dir.display()
        );
    }
}
