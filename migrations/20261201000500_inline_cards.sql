-- Issue 12 (inline12): the live KHQR card in a customer's chat (inline mode).
--
-- A charge's card may live in two places: the seller's private chat (`chat_id` +
-- `message_id`, as before) and a message sent through inline mode into a customer's chat
-- (`inline_message_id`; Telegram edits those only by that id, and only with a file_id).
-- `card_file_id` is the file_id of the card photo in the seller's private chat, which inline
-- results reuse ("Send to customer"). `guest_check_at` rate-limits "Check now" pressed by
-- someone other than the seller on the customer's card.
-- NOTE for merges: a later migration rebuilding `charges` must carry these three columns.
ALTER TABLE charges ADD COLUMN inline_message_id TEXT;
ALTER TABLE charges ADD COLUMN card_file_id TEXT;
ALTER TABLE charges ADD COLUMN guest_check_at INTEGER;

-- A card rendered for a settled inline query but not (yet) chosen: its charge is
-- `creating` (never polled; start-up recovery leaves drafts alone) and its record copy is
-- message `record_message_id` in the seller's private chat. Chosen, the row goes and the
-- charge becomes `pending`; not chosen in time, the row, the charge and the record copy go.
CREATE TABLE inline_drafts (
    charge_id          INTEGER PRIMARY KEY REFERENCES charges (id),
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    record_message_id  INTEGER NOT NULL,
    created_at         INTEGER NOT NULL
);
CREATE INDEX inline_drafts_created ON inline_drafts (created_at);
