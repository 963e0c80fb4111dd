-- Keys every server instance shares, made once (the first instance to start inserts, the
-- others read): machine-boot signs the boot tokens in iPXE scripts.
CREATE TABLE server_secret (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per exchanged boot token: its nonce is the primary key, so a token is exchanged once
-- (the second INSERT conflicts); the session token's secret is kept as its SHA-256 only.
CREATE TABLE machine_session (
    boot_nonce     text PRIMARY KEY,
    hardware_id    text NOT NULL,
    session_sha256 bytea NOT NULL,
    address        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    -- to within a quarter of a minute: a session used lately blocks a new exchange for its machine
    last_used_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX machine_session_hardware ON machine_session (hardware_id) WHERE revoked_at IS NULL;
