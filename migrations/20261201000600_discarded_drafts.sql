-- no-transaction
-- Issue 12 (discard12): an inline draft nobody chose ends as a `discarded` charge instead of
-- being deleted. Its QR was seen (the inline picker's preview; the record copy for a moment),
-- so a payment to it must still be found: the late watch covers `discarded` like
-- `cancelled`, and a payment found then is recorded with `paid_after = 'discarded'`.
-- The record copy is deleted as soon as its file_id is known, so `inline_drafts`'
-- `record_message_id` becomes NULL once it is gone.
--
-- SQLite cannot change a CHECK constraint: `charges` is rebuilt with the 12-step pattern
-- (see 20261201000200). NOTE for merges: every column of `charges` is listed below; a later
-- migration adding a column adds it with ALTER TABLE after this one.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE charges_new (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants (id),
    chat_id             INTEGER NOT NULL,
    message_id          INTEGER,
    bill_number         TEXT    NOT NULL UNIQUE,
    khqr                TEXT    NOT NULL,
    md5                 TEXT    NOT NULL UNIQUE,
    to_account_id       TEXT    NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    currency            TEXT    NOT NULL CHECK (currency IN ('USD', 'KHR')),
    note                TEXT,
    -- 'discarded': an inline draft (issue 12) nobody chose; its QR was seen (in the
    -- inline picker), so it is late-watched like a cancelled charge.
    -- 'mismatch': a transaction for this QR arrived that does not match it (paid_* hold
    -- what arrived); never counted as paid. 'unverified': Bakong could not be asked about it
    -- (token refused, Bakong unreachable) until long after its expiry; the seller was told.
    status              TEXT    NOT NULL
        CHECK (status IN ('creating', 'pending', 'paid', 'mismatch', 'failed', 'expired',
                          'cancelled', 'unverified', 'discarded')),
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    -- Pending charges: next check. Cancelled/expired charges are still watched (at a lower
    -- cadence) until 15 minutes after expires_at: a copy of the QR can still be paid.
    next_poll_at        INTEGER NOT NULL,
    last_check_at       INTEGER,
    settled_at          INTEGER,
    bakong_hash         TEXT,
    payer_account_id    TEXT,
    paid_amount_minor   INTEGER,
    paid_currency       TEXT,
    paid_to_account_id  TEXT,
    -- When the customer paid (Bakong's createdDateMs, else acknowledgement time), unix
    -- seconds; set for 'paid' and 'mismatch'. /history counts payments by this time.
    paid_at             INTEGER,
    -- The status the charge had when the payment was found ('cancelled', 'expired' or
    -- 'discarded'), when it was found by the late watch; NULL for a payment found while
    -- pending.
    paid_after          TEXT CHECK (paid_after IN ('cancelled', 'expired', 'discarded')),
    -- Issue 12 (20261201000500_inline_cards.sql).
    inline_message_id   TEXT,
    card_file_id        TEXT,
    guest_check_at      INTEGER,
    CHECK (status IN ('creating', 'pending') OR settled_at IS NOT NULL),
    CHECK (status NOT IN ('paid', 'mismatch') OR paid_at IS NOT NULL),
    CHECK (expires_at > created_at)
);

INSERT INTO charges_new (id, merchant_id, chat_id, message_id, bill_number, khqr, md5,
        to_account_id, amount_minor, currency, note, status, created_at, expires_at,
        next_poll_at, last_check_at, settled_at, bakong_hash, payer_account_id,
        paid_amount_minor, paid_currency, paid_to_account_id, paid_at, paid_after,
        inline_message_id, card_file_id, guest_check_at)
SELECT id, merchant_id, chat_id, message_id, bill_number, khqr, md5,
        to_account_id, amount_minor, currency, note, status, created_at, expires_at,
        next_poll_at, last_check_at, settled_at, bakong_hash, payer_account_id,
        paid_amount_minor, paid_currency, paid_to_account_id, paid_at, paid_after,
        inline_message_id, card_file_id, guest_check_at
FROM charges;

DROP TABLE charges;
ALTER TABLE charges_new RENAME TO charges;

CREATE INDEX charges_due ON charges (status, next_poll_at);
CREATE INDEX charges_merchant_created ON charges (merchant_id, created_at);
CREATE INDEX charges_merchant_settled ON charges (merchant_id, settled_at);
CREATE INDEX charges_merchant_paid ON charges (merchant_id, paid_at);

CREATE TABLE inline_drafts_new (
    charge_id          INTEGER PRIMARY KEY REFERENCES charges (id),
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    -- The record copy in the seller's private chat; NULL once deleted.
    record_message_id  INTEGER,
    created_at         INTEGER NOT NULL
);
INSERT INTO inline_drafts_new (charge_id, merchant_id, record_message_id, created_at)
SELECT charge_id, merchant_id, record_message_id, created_at FROM inline_drafts;
DROP TABLE inline_drafts;
ALTER TABLE inline_drafts_new RENAME TO inline_drafts;
CREATE INDEX inline_drafts_created ON inline_drafts (created_at);

COMMIT;

PRAGMA foreign_keys = ON;
