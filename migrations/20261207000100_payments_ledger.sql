-- no-transaction
-- The payments ledger: one row per Bakong transaction credited to one of our charges, so
-- every payment is counted once whatever the customer did (paid after a failed attempt, paid
-- more or less than asked, paid a QR twice, paid after Cancel or expiry). Totals read this
-- table, never the charges; a charge's status follows from its payments.
--
-- 1. `charges` gains the status 'underpaid' (money arrived, less than asked), the
--    `paid_after` values 'failed' and 'unverified' (money found after those endings), and
--    `difference_of`: the charge this one asks the missing part of ("Charge the missing").
--    SQLite cannot change a CHECK constraint: `charges` is rebuilt with the 12-step pattern
--    (see 20261201000200). NOTE for merges: every column of `charges` is listed below; a
--    later migration adding a column adds it with ALTER TABLE after this one, and a later
--    rebuild must carry `difference_of`.
-- 2. `payments`: the ledger. `hash` is Bakong's transaction hash, trimmed and lowercase, and
--    UNIQUE: one transaction settles at most one charge.
-- 3. `payment_conflicts`: a transaction Bakong reported for a charge although it already
--    belongs to another one (a relay garbling answers): recorded once per (charge, hash), so
--    the seller is told once; the charge is not changed by it.
-- 4. The ledger is filled from today's 'paid' and 'mismatch' charges, and mismatches whose
--    money reached the seller's account in the charge's currency become 'paid' (as much or
--    more than asked) or 'underpaid' (less).
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
    -- 'paid': the charge's payments in its currency reach what it asked (or more).
    -- 'underpaid': money arrived in its currency, less than it asked.
    -- 'mismatch': a transfer for this QR arrived, none in its currency to the seller's
    -- account (another currency, another account, or unreadable).
    -- 'discarded': an inline draft nobody chose (issue 12). 'unverified': Bakong could not
    -- be asked about it until long after its expiry.
    status              TEXT    NOT NULL
        CHECK (status IN ('creating', 'pending', 'paid', 'underpaid', 'mismatch', 'failed',
                          'expired', 'cancelled', 'unverified', 'discarded')),
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    -- Pending charges: next check. Ended charges (cancelled, expired, discarded, failed, and
    -- settled ones, for a second payment) are still watched at a lower cadence until 15
    -- minutes after expires_at: a copy of the QR can still be paid.
    next_poll_at        INTEGER NOT NULL,
    last_check_at       INTEGER,
    settled_at          INTEGER,
    -- The card's summary of the payment that first settled the charge; totals read the
    -- `payments` ledger.
    bakong_hash         TEXT,
    payer_account_id    TEXT,
    paid_amount_minor   INTEGER,
    paid_currency       TEXT,
    paid_to_account_id  TEXT,
    paid_at             INTEGER,
    -- The status the charge had when its first payment was found, when that was not
    -- 'pending'; NULL for a payment found while pending.
    paid_after          TEXT CHECK (paid_after IN ('cancelled', 'expired', 'discarded',
                                                   'failed', 'unverified')),
    -- Issue 12 (20261201000500_inline_cards.sql).
    inline_message_id   TEXT,
    card_file_id        TEXT,
    guest_check_at      INTEGER,
    -- The under-paid charge whose missing part this charge asks for.
    difference_of       INTEGER REFERENCES charges (id),
    CHECK (status IN ('creating', 'pending') OR settled_at IS NOT NULL),
    CHECK (status NOT IN ('paid', 'underpaid', 'mismatch') OR paid_at IS NOT NULL),
    CHECK (expires_at > created_at)
);

INSERT INTO charges_new (id, merchant_id, chat_id, message_id, bill_number, khqr, md5,
        to_account_id, amount_minor, currency, note, status, created_at, expires_at,
        next_poll_at, last_check_at, settled_at, bakong_hash, payer_account_id,
        paid_amount_minor, paid_currency, paid_to_account_id, paid_at, paid_after,
        inline_message_id, card_file_id, guest_check_at, difference_of)
SELECT id, merchant_id, chat_id, message_id, bill_number, khqr, md5,
        to_account_id, amount_minor, currency, note, status, created_at, expires_at,
        next_poll_at, last_check_at, settled_at, bakong_hash, payer_account_id,
        paid_amount_minor, paid_currency, paid_to_account_id, paid_at, paid_after,
        inline_message_id, card_file_id, guest_check_at, NULL
FROM charges;

DROP TABLE charges;
ALTER TABLE charges_new RENAME TO charges;

CREATE INDEX charges_due ON charges (status, next_poll_at);
CREATE INDEX charges_merchant_created ON charges (merchant_id, created_at);
CREATE INDEX charges_merchant_settled ON charges (merchant_id, settled_at);
CREATE INDEX charges_merchant_paid ON charges (merchant_id, paid_at);
CREATE INDEX charges_difference_of ON charges (difference_of) WHERE difference_of IS NOT NULL;

CREATE TABLE payments (
    id                INTEGER PRIMARY KEY,
    charge_id         INTEGER NOT NULL REFERENCES charges (id),
    merchant_id       INTEGER NOT NULL REFERENCES merchants (id),
    -- Bakong's transaction hash, trimmed and lowercase: one transaction, one charge.
    hash              TEXT    NOT NULL UNIQUE,
    payer_account_id  TEXT    NOT NULL,
    -- The account the money went to, the currency and the amount, as Bakong sent them.
    to_account_id     TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount            TEXT    NOT NULL,
    -- The amount in minor units, when the currency is one we know and the amount has no
    -- more decimals than it allows.
    known_currency    TEXT    CHECK (known_currency IN ('USD', 'KHR')),
    amount_minor      INTEGER CHECK (amount_minor >= 0),
    -- 1: the money reached the charge's account in a known currency with a readable amount;
    -- it is in the seller's totals. 0: it did not (another account, unreadable).
    counted           INTEGER NOT NULL CHECK (counted IN (0, 1)),
    -- How the transfer fits the charge's asked amount: 'exact', 'over', 'under',
    -- 'other_currency' (counted in that currency), 'not_counted'.
    fit               TEXT    NOT NULL
        CHECK (fit IN ('exact', 'over', 'under', 'other_currency', 'not_counted')),
    -- The charge's status when the payment was found: 'pending' for one found while the QR
    -- was open; a late one (after cancel, expiry, a failure…) or an extra one (the charge
    -- already had a payment) otherwise.
    charge_was        TEXT    NOT NULL
        CHECK (charge_was IN ('pending', 'paid', 'underpaid', 'mismatch', 'failed', 'expired',
                              'cancelled', 'unverified', 'discarded')),
    -- When the customer paid (Bakong's createdDateMs, else acknowledgement, else the check).
    paid_at           INTEGER NOT NULL,
    -- When the bot found it.
    found_at          INTEGER NOT NULL,
    CHECK ((counted = 1) = (fit <> 'not_counted')),
    CHECK (counted = 0 OR (known_currency IS NOT NULL AND amount_minor IS NOT NULL)),
    CHECK ((known_currency IS NULL) = (amount_minor IS NULL))
);
CREATE INDEX payments_merchant_paid ON payments (merchant_id, paid_at);
CREATE INDEX payments_charge ON payments (charge_id);

CREATE TABLE payment_conflicts (
    charge_id        INTEGER NOT NULL REFERENCES charges (id),
    hash             TEXT    NOT NULL,
    -- The charge the transaction belongs to.
    other_charge_id  INTEGER NOT NULL REFERENCES charges (id),
    at               INTEGER NOT NULL,
    PRIMARY KEY (charge_id, hash)
);

-- The ledger from the charges that already hold a payment, oldest payment first. A hash
-- that an older charge already holds is skipped: one transaction was reported for two QRs
-- (a relay garbling answers) and counted twice until now. The older charge keeps it; the
-- younger one keeps its status and its card, but is in no total any more, and /check names
-- the older bill.
WITH settled AS (
    SELECT c.*, lower(trim(c.bakong_hash)) AS h,
        ROW_NUMBER() OVER (PARTITION BY lower(trim(c.bakong_hash)) ORDER BY c.paid_at, c.id) AS n
    FROM charges c
    WHERE c.status IN ('paid', 'mismatch') AND c.bakong_hash IS NOT NULL
        AND trim(c.bakong_hash) <> '' AND c.paid_at IS NOT NULL
),
arrived AS (
    SELECT s.*,
        CASE WHEN s.status = 'paid' THEN s.currency
             WHEN upper(trim(s.paid_currency)) IN ('USD', 'KHR') AND s.paid_amount_minor IS NOT NULL
                 THEN upper(trim(s.paid_currency))
        END AS known,
        CASE WHEN s.status = 'paid' THEN s.amount_minor
             WHEN upper(trim(s.paid_currency)) IN ('USD', 'KHR') THEN s.paid_amount_minor
        END AS minor,
        CASE WHEN s.status = 'paid' THEN s.to_account_id
             ELSE COALESCE(trim(s.paid_to_account_id), '')
        END AS to_account
    FROM settled s WHERE s.n = 1
),
judged AS (
    SELECT a.*,
        CASE WHEN a.known IS NOT NULL AND lower(a.to_account) = lower(trim(a.to_account_id))
             THEN 1 ELSE 0 END AS is_counted
    FROM arrived a
)
INSERT INTO payments (charge_id, merchant_id, hash, payer_account_id, to_account_id, currency,
        amount, known_currency, amount_minor, counted, fit, charge_was, paid_at, found_at)
SELECT j.id, j.merchant_id, j.h, COALESCE(j.payer_account_id, ''), j.to_account,
    CASE WHEN j.status = 'paid' THEN j.currency ELSE COALESCE(j.paid_currency, '') END,
    CASE WHEN j.minor IS NULL THEN '?'
         WHEN j.known = 'USD'
             THEN CAST(j.minor / 100 AS TEXT) || '.' || substr('0' || CAST(j.minor % 100 AS TEXT), -2)
         ELSE CAST(j.minor AS TEXT) END,
    j.known, j.minor, j.is_counted,
    CASE WHEN j.is_counted = 0 THEN 'not_counted'
         WHEN j.known <> j.currency THEN 'other_currency'
         WHEN j.minor > j.amount_minor THEN 'over'
         WHEN j.minor < j.amount_minor THEN 'under'
         ELSE 'exact' END,
    COALESCE(j.paid_after, 'pending'),
    j.paid_at, COALESCE(j.settled_at, j.paid_at)
FROM judged j
ORDER BY j.paid_at, j.id;

UPDATE charges SET status = CASE
        WHEN (SELECT p.fit FROM payments p WHERE p.charge_id = charges.id) = 'under'
            THEN 'underpaid'
        ELSE 'paid' END
WHERE status = 'mismatch'
    AND id IN (SELECT charge_id FROM payments WHERE fit IN ('exact', 'over', 'under'));

COMMIT;

PRAGMA foreign_keys = ON;
