-- The server processes on this database: a heartbeat every 2 s each, and which held the leader's
-- advisory lock then. Rows of instances gone for a day are deleted.
CREATE TABLE server_instance (
    id            text PRIMARY KEY,
    host          text NOT NULL,
    pid           bigint NOT NULL,
    version       text NOT NULL,
    started_at    timestamptz NOT NULL,
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    leader        boolean NOT NULL DEFAULT false
);
