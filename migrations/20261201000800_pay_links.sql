-- Issue 15 (links15): pay links. One link (a `t.me/<bot>?start=<code>` URL and its poster)
-- gives every buyer who opens it a fresh dynamic KHQR of the seller's.
--
-- `pay_links`: the seller's link. `amount_minor` NULL is a variable amount (the buyer types
-- it); `max_uses` NULL is no limit; `until_at` NULL is no end date (else the end of a Phnom
-- Penh day, unix seconds, exclusive). Uses and totals are never stored: they are counted
-- from the charges (see `link_charges`), so they cannot drift.
CREATE TABLE pay_links (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    code          TEXT NOT NULL UNIQUE,
    amount_minor  INTEGER CHECK (amount_minor IS NULL OR amount_minor > 0),
    currency      TEXT NOT NULL,
    note          TEXT,
    max_uses      INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    until_at      INTEGER,
    state         TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'closed')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX pay_links_merchant ON pay_links (merchant_id, created_at);

-- A charge bought through a link: the charge itself is an ordinary row of `charges` (the
-- seller's merchant, its card in the buyer's private chat: `charges.chat_id`), this row
-- says which link and which buyer. A row whose charge is `creating` or `pending` holds one
-- unit of the link's `max_uses` (see `Store::reserve_link_charge`); a paid one used it.
-- Kept apart from `charges` so that a rebuild of `charges` need not carry it.
CREATE TABLE link_charges (
    charge_id      INTEGER PRIMARY KEY REFERENCES charges (id) ON DELETE CASCADE,
    link_id        INTEGER NOT NULL REFERENCES pay_links (id),
    buyer_user_id  INTEGER NOT NULL,
    buyer_name     TEXT NOT NULL,
    buyer_lang     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX link_charges_link ON link_charges (link_id, buyer_user_id);

-- The per-buyer rate limit of /start <code> and "New QR": the last time a buyer was given
-- (or refused) a QR of any link.
CREATE TABLE link_buyers (
    buyer_user_id  INTEGER PRIMARY KEY,
    last_request_at INTEGER NOT NULL
);
