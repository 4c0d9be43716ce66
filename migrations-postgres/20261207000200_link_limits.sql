-- The PostgreSQL twin of migrations/20261207000200_link_limits.sql (see there): an `any`
-- link's smallest and largest amount, and the index of a link's QRs by creation time.
ALTER TABLE pay_links
    ADD COLUMN min_minor BIGINT NULL CHECK (min_minor IS NULL OR min_minor > 0),
    ADD COLUMN max_minor BIGINT NULL CHECK (max_minor IS NULL OR max_minor > 0);
CREATE INDEX link_charges_link_time ON link_charges (link_id, created_at);
