-- Action plugin bundles pushed by operators, delivered to workers at run time. A name and
-- version is immutable (pushing it again with other bytes is refused); the digest names the bytes.
CREATE TABLE action_plugin (
    digest        text PRIMARY KEY,
    symbolic_name text NOT NULL,
    version       text NOT NULL,
    size          bigint NOT NULL,
    types         text NOT NULL,   -- newline-separated
    images        text NOT NULL,   -- newline-separated
    content       bytea NOT NULL,
    pushed_at     timestamptz NOT NULL DEFAULT now(),
    pushed_by     text NOT NULL,
    signed_by     text,            -- the trusted key's fingerprint, when storage.plugins.trustedKeys are set
    UNIQUE (symbolic_name, version)
);

-- The plugin each image of a workflow runs on, pinned when the workflow was created: image -> digest.
ALTER TABLE workflow ADD COLUMN plugins jsonb NOT NULL DEFAULT '{}';
