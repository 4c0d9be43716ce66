-- The PostgreSQL twin of migrations/20261207000400_seen_updates.sql (see there and
-- src/store/seen_updates.rs): webhook updates already claimed by a replica, by Telegram's
-- `update_id`, pruned by age (`seen_at`, unix seconds of the database's clock).
CREATE TABLE seen_updates (
    update_id BIGINT PRIMARY KEY,
    seen_at   BIGINT NOT NULL
);
CREATE INDEX seen_updates_seen_at ON seen_updates (seen_at);
