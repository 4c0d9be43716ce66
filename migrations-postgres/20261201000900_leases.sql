-- Issue 16 item 2: the PostgreSQL twin of migrations/20261201000900_leases.sql (see there
-- and src/store/leases.rs): a merchant's watch and outbox leases, owner = a replica's id,
-- until = unix seconds when the lease lapses unless renewed; NULL = nobody holds it.
ALTER TABLE merchants
    ADD COLUMN watch_owner TEXT NULL,
    ADD COLUMN watch_until BIGINT NULL,
    ADD COLUMN outbox_owner TEXT NULL,
    ADD COLUMN outbox_until BIGINT NULL;
