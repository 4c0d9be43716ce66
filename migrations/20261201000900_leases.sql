-- Issue 16 item 2: several replicas on one database. A merchant's watch (its due charges,
-- asked about with its token) and its outbox (its follow-ups, in id order) are leased to
-- one replica at a time: owner = the replica's id (`store::ReplicaId`), until = unix seconds
-- when the lease lapses unless renewed. NULL = nobody holds it. See src/store/leases.rs.
--
-- PostgreSQL twin: migrations-postgres/20261201000900_leases.sql (the same columns, BIGINT).
--
-- No new index: the claims find the due work through `charges_due` (status, next_poll_at)
-- and `telegram_outbox_due` (done_at, next_attempt_at), as the unleased queries did.
ALTER TABLE merchants ADD COLUMN watch_owner TEXT;
ALTER TABLE merchants ADD COLUMN watch_until INTEGER;
ALTER TABLE merchants ADD COLUMN outbox_owner TEXT;
ALTER TABLE merchants ADD COLUMN outbox_until INTEGER;
