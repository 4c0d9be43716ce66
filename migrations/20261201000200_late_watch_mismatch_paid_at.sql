-- no-transaction
-- Issue 10 (late10): `mismatch` and `unverified` become statuses of their own, and a paid
-- charge records when the customer paid (`paid_at`, Bakong's createdDateMs) and whether it
-- was paid after it had been cancelled or had expired (`paid_after`).
--
-- SQLite cannot change a CHECK constraint, so `charges` is rebuilt (the documented
-- 12-step pattern: foreign keys off, new table, copy, drop, rename, indexes, foreign keys
-- on). The rebuild runs in its own transaction; PRAGMA foreign_keys cannot change inside one.
-- NOTE for merges: every column of `charges` must be listed below (add any column another
-- migration ordered before this one adds).
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
    -- 'mismatch': a transaction for this QR arrived that does not match it (paid_* hold
    -- what arrived); never counted as paid. 'unverified': Bakong could not be asked about it
    -- (token refused, Bakong unreachable) until long after its expiry; the seller was told.
    status              TEXT    NOT NULL
        CHECK (status IN ('creating', 'pending', 'paid', 'mismatch', 'failed', 'expired',
                          'cancelled', 'unverified')),
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
    -- The status the charge had when the payment was found ('cancelled' or 'expired'), when
    -- it was found by the late watch; NULL for a payment found while pending.
    paid_after          TEXT CHECK (paid_after IN ('cancelled', 'expired')),
    CHECK (status IN ('creating', 'pending') OR settled_at IS NOT NULL),
    CHECK (status NOT IN ('paid', 'mismatch') OR paid_at IS NOT NULL),
    CHECK (expires_at > created_at)
);

INSERT INTO charges_new (id, merchant_id, chat_id, message_id, bill_number, khqr, md5,
        to_account_id, amount_minor, currency, note, status, created_at, expires_at,
        next_poll_at, last_check_at, settled_at, bakong_hash, payer_account_id,
        paid_amount_minor, paid_currency, paid_to_account_id, paid_at, paid_after)
SELECT c.id, c.merchant_id, c.chat_id, c.message_id, c.bill_number, c.khqr, c.md5,
        c.to_account_id, c.amount_minor, c.currency, c.note,
        -- A mismatch used to be 'failed' with what arrived in the paid_* columns.
        CASE WHEN c.status = 'failed'
                  AND (c.paid_currency IS NOT NULL OR c.paid_to_account_id IS NOT NULL)
             THEN 'mismatch' ELSE c.status END,
        c.created_at, c.expires_at, c.next_poll_at, c.last_check_at, c.settled_at,
        c.bakong_hash, c.payer_account_id, c.paid_amount_minor, c.paid_currency,
        c.paid_to_account_id,
        -- The payment time was kept in the settlement event; the settlement time otherwise.
        CASE WHEN c.status = 'paid'
                  OR (c.status = 'failed'
                      AND (c.paid_currency IS NOT NULL OR c.paid_to_account_id IS NOT NULL))
             THEN COALESCE(
                 (SELECT CAST(COALESCE(json_extract(e.detail, '$.paid_at'),
                                       json_extract(e.detail, '$.at')) AS INTEGER)
                    FROM events e
                   WHERE e.charge_id = c.id AND e.kind IN ('charge_paid', 'charge_mismatch')
                   ORDER BY e.id LIMIT 1),
                 c.settled_at)
        END,
        NULL
FROM charges c;

DROP TABLE charges;
ALTER TABLE charges_new RENAME TO charges;

CREATE INDEX charges_due ON charges (status, next_poll_at);
CREATE INDEX charges_merchant_created ON charges (merchant_id, created_at);
CREATE INDEX charges_merchant_settled ON charges (merchant_id, settled_at);
CREATE INDEX charges_merchant_paid ON charges (merchant_id, paid_at);

COMMIT;

PRAGMA foreign_keys = ON;
