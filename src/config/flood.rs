//! The flood settings: how many updates a user and a chat may send before the bot drops
//! the excess, and how often a group gets an answer (`FLOOD_*`; docs/deploy.md, "Floods").
//! The bot applies them in `bot::shedding`, before any handler runs.

use std::time::Duration;

use super::ConfigError;

/// A token bucket's shape: `burst` updates at once, then one more every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most tokens saved up (at least 1).
    pub burst: u32,
    /// One token comes back every `every` (at least 1 ms).
    pub every: Duration,
}

impl Budget {
    /// `burst` at once, then `per_minute` a minute (both at least 1).
    pub const fn per_minute(burst: u32, per_minute: u32) -> Self {
        let per_minute = if per_minute == 0 { 1 } else { per_minute };
        Self {
            burst: if burst == 0 { 1 } else { burst },
            every: Duration::from_millis(60_000 / per_minute as u64),
        }
    }

    /// One at a time, at most one every `every`.
    pub const fn once_every(every: Duration) -> Self {
        Self { burst: 1, every }
    }
}

/// `FLOOD_*`: the budgets every update passes before it reaches a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimits {
    /// `FLOOD_USER_BURST` / `FLOOD_USER_PER_MINUTE`: messages and button presses of one
    /// Telegram user, in every chat together.
    pub user: Budget,
    /// `FLOOD_CHAT_BURST` / `FLOOD_CHAT_PER_MINUTE`: updates of one chat, from all its
    /// members together (in a private chat the user's budget is the tighter one).
    pub chat: Budget,
    /// `FLOOD_GROUP_ANSWER_SECS`: a group or channel gets at most one answer to its
    /// commands in this time.
    pub group_answer: Duration,
}

pub const DEFAULT_USER_BURST: u32 = 20;
pub const DEFAULT_USER_PER_MINUTE: u32 = 30;
pub const DEFAULT_CHAT_BURST: u32 = 30;
pub const DEFAULT_CHAT_PER_MINUTE: u32 = 60;
pub const DEFAULT_GROUP_ANSWER_SECS: u64 = 60;
const MAX_BURST: u32 = 10_000;
const MAX_PER_MINUTE: u32 = 60_000;
const MAX_GROUP_ANSWER_SECS: u64 = 86_400;

impl Default for FloodLimits {
    fn default() -> Self {
        Self {
            user: Budget::per_minute(DEFAULT_USER_BURST, DEFAULT_USER_PER_MINUTE),
            chat: Budget::per_minute(DEFAULT_CHAT_BURST, DEFAULT_CHAT_PER_MINUTE),
            group_answer: Duration::from_secs(DEFAULT_GROUP_ANSWER_SECS),
        }
    }
}

impl FloodLimits {
    /// The `FLOOD_*` settings from `get` (trimmed, non-empty values only).
    pub fn from_source(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let user = Budget::per_minute(
            whole(get, "FLOOD_USER_BURST", DEFAULT_USER_BURST, MAX_BURST)?,
            whole(
                get,
                "FLOOD_USER_PER_MINUTE",
                DEFAULT_USER_PER_MINUTE,
                MAX_PER_MINUTE,
            )?,
        );
        let chat = Budget::per_minute(
            whole(get, "FLOOD_CHAT_BURST", DEFAULT_CHAT_BURST, MAX_BURST)?,
            whole(
                get,
                "FLOOD_CHAT_PER_MINUTE",
                DEFAULT_CHAT_PER_MINUTE,
                MAX_PER_MINUTE,
            )?,
        );
        let group_answer = super::secs(
            "FLOOD_GROUP_ANSWER_SECS",
            get("FLOOD_GROUP_ANSWER_SECS"),
            DEFAULT_GROUP_ANSWER_SECS,
            1..=MAX_GROUP_ANSWER_SECS,
        )?;
        Ok(Self {
            user,
            chat,
            group_answer,
        })
    }
}

/// A whole number in `1..=max` (default `default` when unset).
fn whole(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let Some(value) = get(name) else {
        return Ok(default);
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| ConfigError::new(name, format!("not a whole number in 1..={max}: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)]) -> Result<FloodLimits, ConfigError> {
        FloodLimits::from_source(&|name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn unset_settings_give_the_defaults() {
        let defaults = limits(&[]).unwrap();
        assert_eq!(defaults, FloodLimits::default());
        assert_eq!(defaults.user.burst, 20);
        assert_eq!(defaults.user.every, Duration::from_secs(2));
        assert_eq!(defaults.chat.every, Duration::from_secs(1));
        assert_eq!(defaults.group_answer, Duration::from_secs(60));
    }

    #[test]
    fn each_setting_is_read_and_checked_by_name() {
        let set = limits(&[
            ("FLOOD_USER_BURST", "5"),
            ("FLOOD_USER_PER_MINUTE", "120"),
            ("FLOOD_CHAT_BURST", "7"),
            ("FLOOD_CHAT_PER_MINUTE", "6"),
            ("FLOOD_GROUP_ANSWER_SECS", "300"),
        ])
        .unwrap();
        assert_eq!(set.user, Budget::per_minute(5, 120));
        assert_eq!(set.user.every, Duration::from_millis(500));
        assert_eq!(set.chat.every, Duration::from_secs(10));
        assert_eq!(set.group_answer, Duration::from_secs(300));
        for (name, bad) in [
            ("FLOOD_USER_BURST", "0"),
            ("FLOOD_USER_PER_MINUTE", "-3"),
            ("FLOOD_CHAT_BURST", "lots"),
            ("FLOOD_CHAT_PER_MINUTE", "60001"),
            ("FLOOD_GROUP_ANSWER_SECS", "0"),
        ] {
            let err = limits(&[(name, bad)]).unwrap_err();
            assert_eq!(err.name, name, "{bad}");
        }
    }
}
