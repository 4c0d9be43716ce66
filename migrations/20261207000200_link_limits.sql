-- Pay links that strangers cannot hoard or confuse (see src/store/link_limits.rs).
--
-- `min_minor` / `max_minor`: on a link whose buyer types the amount (`amount_minor` NULL),
-- the smallest and largest amount accepted, minor units of the link's currency; NULL is no
-- bound. Always NULL on a fixed-price link (`PayLink` refuses a row with both).
--
-- The index serves the per-link rate (QRs of one link created in the last minute) and the
-- per-buyer count of unpaid QRs in the last 30 minutes.
--
-- PostgreSQL twin: migrations-postgres/20261207000200_link_limits.sql.
ALTER TABLE pay_links ADD COLUMN min_minor INTEGER CHECK (min_minor IS NULL OR min_minor > 0);
ALTER TABLE pay_links ADD COLUMN max_minor INTEGER CHECK (max_minor IS NULL OR max_minor > 0);
CREATE INDEX link_charges_link_time ON link_charges (link_id, created_at);
