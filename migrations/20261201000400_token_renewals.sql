-- Automatic Bakong token renewal (issue 17).
--
-- One row per attempt to replace a merchant's token `token_version` through `renew_token`
-- with `email`. The row is claimed (inserted) BEFORE Bakong is called, so a renewal runs at
-- most once per token version and email, whatever the number of tasks or restarts.
--   claimed  → renew_token is being asked (attempts so far; retried at next_attempt_at after
--              a failure without an answer, or after a restart in the middle of the call)
--   staged   → Bakong issued a token: it is kept here, sealed like merchants.token_sealed
--              (AAD "merchant:<id>"), until one cheap call proves it works
--   renewed  → the token was stored in merchants (token_version bumped); token_sealed cleared
--   mailed   → Bakong said it emailed the token instead
--   refused  → Bakong refused (unknown email, email server down, …) or the issued token
--              did not work
--   failed   → no answer after the last attempt
CREATE TABLE token_renewals (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    token_version       INTEGER NOT NULL,
    email               TEXT    NOT NULL,
    state               TEXT    NOT NULL
        CHECK (state IN ('claimed', 'staged', 'renewed', 'mailed', 'refused', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    token_sealed        BLOB,
    token_expires_at    INTEGER,
    -- Why it ended (`not_registered`, `email_server_down`, `error_code_5`, `token_refused`…).
    outcome             TEXT,
    claimed_at          INTEGER NOT NULL,
    finished_at         INTEGER,
    UNIQUE (merchant_id, token_version, email),
    CHECK ((state = 'staged') = (token_sealed IS NOT NULL)),
    CHECK ((state IN ('claimed', 'staged')) = (finished_at IS NULL))
);
CREATE INDEX token_renewals_open ON token_renewals (state, next_attempt_at);
