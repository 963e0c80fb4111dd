-- Tinkerbell's Kubernetes objects as last applied, by kind and name (one namespace per
-- installation: the object keeps its own). The record an object became is referenced, so that
-- deleting the record deletes its object. A Secret's values are encrypted with a key that is not
-- in the database: nonce || AES-256-GCM ciphertext of their JSON.
CREATE TABLE manifest (
    kind        text NOT NULL,
    name        text NOT NULL,
    namespace   text,
    object      json NOT NULL,  -- json, not jsonb: the fields keep the order they were written in
    secret      bytea,
    generation  bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    hardware_id text REFERENCES hardware (id) ON DELETE CASCADE,
    template_id text REFERENCES template (id) ON DELETE CASCADE,
    workflow_id text REFERENCES workflow (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, name)
);

-- Tinkerbell's spec.bootOptions of a workflow, as given.
ALTER TABLE workflow ADD COLUMN boot_options jsonb;
