-- khqr-bot schema. Portable SQL: times are unix seconds (INTEGER), money is INTEGER minor
-- units (cents for USD, riel for KHR), queries use $N placeholders.

-- A Telegram user who talks to the bot. The Bakong profile columns are all set together
-- when /setup completes, or all NULL before that.
CREATE TABLE merchants (
    id                  INTEGER PRIMARY KEY,
    telegram_user_id    INTEGER NOT NULL UNIQUE,
    chat_id             INTEGER NOT NULL,
    language            TEXT    NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'km')),
    -- 1 when the user chose the language with /lang (then Telegram's hint no longer applies).
    language_chosen     INTEGER NOT NULL DEFAULT 0 CHECK (language_chosen IN (0, 1)),
    default_currency    TEXT    NOT NULL DEFAULT 'USD' CHECK (default_currency IN ('USD', 'KHR')),
    bakong_account_id   TEXT,
    shop_name           TEXT,
    city                TEXT,
    -- XChaCha20-Poly1305 blob (version ‖ nonce ‖ ciphertext+tag), AAD = "merchant:<id>".
    token_sealed        BLOB,
    -- JWT exp of the token (unix seconds); NULL when the token carries none.
    token_expires_at    INTEGER,
    -- Bumped each time a token is stored, so a 401 for an old token never marks a new one.
    token_version       INTEGER NOT NULL DEFAULT 0,
    -- Set when Bakong answered 401 for this token; cleared when a new token is stored.
    token_rejected_at   INTEGER,
    -- Last expiry reminder sent (issue 6: once a day in the last three days).
    token_reminded_at   INTEGER,
    email               TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    CHECK (
        (bakong_account_id IS NULL AND shop_name IS NULL AND city IS NULL AND token_sealed IS NULL)
        OR
        (bakong_account_id IS NOT NULL AND shop_name IS NOT NULL AND city IS NOT NULL
            AND token_sealed IS NOT NULL)
    )
);

-- One dynamic KHQR shown in a chat.
-- 'creating': the row reserves bill number and md5 while the photo is being sent; it becomes
-- 'pending' with its message id once Telegram accepted the photo, or is deleted if not.
-- message_id stays NULL only for a charge recovered after a crash during the send (the photo
-- may or may not have reached the chat): it is polled like any pending charge, and follow-ups
-- go out as new messages.
CREATE TABLE charges (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    chat_id             INTEGER NOT NULL,
    message_id          INTEGER,
    bill_number         TEXT    NOT NULL UNIQUE,
    khqr                TEXT    NOT NULL,
    md5                 TEXT    NOT NULL UNIQUE,
    -- The receiving account written in the QR (the merchant may change theirs later).
    to_account_id       TEXT    NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    currency            TEXT    NOT NULL CHECK (currency IN ('USD', 'KHR')),
    note                TEXT,
    status              TEXT    NOT NULL
        CHECK (status IN ('creating', 'pending', 'paid', 'failed', 'expired', 'cancelled')),
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    next_poll_at        INTEGER NOT NULL,
    -- First "not found" answer after expiry (the guide's one last check before 'expired').
    last_check_at       INTEGER,
    settled_at          INTEGER,
    bakong_hash         TEXT,
    payer_account_id    TEXT,
    -- What actually arrived, when it differs from the charge (amount/currency/account mismatch).
    paid_amount_minor   INTEGER,
    paid_currency       TEXT,
    paid_to_account_id  TEXT,
    CHECK (status IN ('creating', 'pending') OR settled_at IS NOT NULL),
    CHECK (expires_at > created_at)
);
CREATE INDEX charges_due ON charges (status, next_poll_at);
CREATE INDEX charges_merchant_created ON charges (merchant_id, created_at);
CREATE INDEX charges_merchant_settled ON charges (merchant_id, settled_at);

-- Append-only audit log. Triggers below refuse UPDATE and DELETE.
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER REFERENCES merchants (id),
    charge_id           INTEGER REFERENCES charges (id),
    kind                TEXT    NOT NULL,
    detail              TEXT    NOT NULL DEFAULT '{}',
    at                  INTEGER NOT NULL
);
CREATE INDEX events_charge ON events (charge_id);
CREATE INDEX events_merchant ON events (merchant_id, at);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- Telegram follow-ups committed together with the state change that needs them, delivered
-- (and retried) by the watcher until Telegram accepts them.
CREATE TABLE telegram_outbox (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    charge_id           INTEGER REFERENCES charges (id),
    kind                TEXT    NOT NULL,
    payload             TEXT    NOT NULL DEFAULT '{}',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    done_at             INTEGER
);
CREATE INDEX telegram_outbox_due ON telegram_outbox (done_at, next_attempt_at);

-- teloxide dialogue state (JSON) per chat, so a wizard survives a restart.
CREATE TABLE dialogues (
    chat_id             INTEGER PRIMARY KEY,
    state               TEXT    NOT NULL,
    updated_at          INTEGER NOT NULL
);
