-- Named API tokens: the secret is never stored, only its SHA-256 (it has 256 random bits, so a
-- fast hash is as safe as a slow one).
CREATE TABLE api_token (
    id            text PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    secret_sha256 bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- Every change: who, what, when, from where; trimmed to storage.audit.retentionDays.
CREATE TABLE audit_log (
    seq     bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    role    text NOT NULL,
    source  text NOT NULL,
    action  text NOT NULL,
    target  text,
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
