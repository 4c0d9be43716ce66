-- Tokens that proved themselves, and quotas for what people may ask of Bakong.
--
-- PostgreSQL twin: migrations-postgres/20261207000300_token_acceptance_and_quotas.sql.
--
-- merchants.token_accepted_at: when Bakong first answered an authenticated call made with
-- the stored token version (the /setup or /token proof, a renewed token's proof, or any
-- answered poll); NULL = never seen accepted. Only an accepted token is renewed
-- automatically (src/watcher/renewer.rs). Rows stored before this migration start NULL:
-- the first answered poll (or the renewer's own proof of an expiring token) marks them.
ALTER TABLE merchants ADD COLUMN token_accepted_at INTEGER;

-- quotas: how often one subject (a merchant, a Telegram user) used something limited
-- (email changes, button presses that ask Bakong, token proofs) in its current fixed
-- window: `used` uses since `window_start` (unix seconds). One row per scope and
-- subject, claimed by one guarded upsert (src/store/quotas.rs).
CREATE TABLE quotas (
    scope        TEXT    NOT NULL,
    subject      INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL CHECK (used >= 1),
    PRIMARY KEY (scope, subject)
);
