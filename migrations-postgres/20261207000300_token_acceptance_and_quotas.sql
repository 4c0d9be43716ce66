-- The PostgreSQL twin of migrations/20261207000300_token_acceptance_and_quotas.sql (see
-- there): when Bakong first accepted the stored token version (NULL = never seen
-- accepted), and the per-subject quotas of email changes, Bakong-asking presses and token
-- proofs (src/store/quotas.rs).
ALTER TABLE merchants ADD COLUMN token_accepted_at BIGINT NULL;

CREATE TABLE quotas (
    scope        TEXT   NOT NULL,
    subject      BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL CHECK (used >= 1),
    PRIMARY KEY (scope, subject)
);
