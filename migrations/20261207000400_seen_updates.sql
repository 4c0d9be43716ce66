-- Webhook updates already taken by a replica, by Telegram's `update_id`: Telegram delivers
-- an update again when it did not see the answer (a timeout, a dropped connection), and
-- behind a load balancer the second delivery may reach another replica. Each replica claims
-- an update here before handling it (`INSERT … ON CONFLICT DO NOTHING`); whoever finds it
-- claimed answers 200 and leaves it. Rows older than Telegram keeps an update (24 h) are
-- pruned by age (`seen_at`, unix seconds of the database's clock). See
-- src/store/seen_updates.rs.
--
-- PostgreSQL twin: migrations-postgres/20261207000400_seen_updates.sql.
CREATE TABLE seen_updates (
    update_id INTEGER PRIMARY KEY,
    seen_at   INTEGER NOT NULL
);
CREATE INDEX seen_updates_seen_at ON seen_updates (seen_at);
