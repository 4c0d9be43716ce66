-- issue 10 (guard10): the secret key's check value, and tokens that cannot be opened.

-- One row: a fixed text sealed under KHQR_BOT_SECRET_KEY when the database was first used
-- (crypto::SecretBox::key_check_value). A start with another key cannot open it and refuses
-- to run; `khqr-bot rotate-key` replaces it together with every sealed token.
CREATE TABLE secret_key_check (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    sealed              BLOB    NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- Set when the stored token could not be opened with the (right) key: a damaged row. The
-- seller is told once (per token version) to send /token; cleared when a token is stored.
ALTER TABLE merchants ADD COLUMN token_unreadable_at INTEGER;
