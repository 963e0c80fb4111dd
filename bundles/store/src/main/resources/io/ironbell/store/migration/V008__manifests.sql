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

-- Applied objects are announced like records ("manifest:<kind>/<name>"): every instance keeps
-- the Hardware objects in memory, for workflow creation reads them.
CREATE FUNCTION ironbell_notify_manifest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('ironbell_change', 'manifest:' || OLD.kind || '/' || OLD.name);
    ELSE
        PERFORM pg_notify('ironbell_change', 'manifest:' || NEW.kind || '/' || NEW.name);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER manifest_change AFTER INSERT OR UPDATE OR DELETE ON manifest
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_manifest();
