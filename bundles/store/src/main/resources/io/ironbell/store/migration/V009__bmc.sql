-- Machines' BMCs (Rufio's Machine) and ordered jobs of BMC tasks (Rufio's Job). Credentials are
-- not here: auth_secret names a Secret in the manifest table, whose values are sealed.
CREATE TABLE bmc_machine (
    name             text PRIMARY KEY,
    namespace        text,
    host             text NOT NULL,
    port             integer NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),
    driver           text NOT NULL DEFAULT 'auto',
    auth_secret      text,
    insecure_tls     boolean NOT NULL DEFAULT false,
    ca_pem           text,
    options          jsonb NOT NULL DEFAULT '{}',
    hardware_id      text REFERENCES hardware (id) ON DELETE SET NULL,
    power_state      text NOT NULL DEFAULT 'UNKNOWN',
    power_checked_at timestamptz,
    contactable      boolean,
    message          text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX bmc_machine_hardware ON bmc_machine (hardware_id) WHERE hardware_id IS NOT NULL;

-- tasks: [{action, state, attempts, startedAt, finishedAt, message}] in order. A job is claimed by
-- one instance with a lease (claimed_until); a lease that runs out lets another instance take it.
CREATE TABLE bmc_job (
    id                   text PRIMARY KEY,
    namespace            text,
    machine              text NOT NULL REFERENCES bmc_machine (name) ON DELETE CASCADE,
    workflow_id          text REFERENCES workflow (id) ON DELETE CASCADE,
    state                text NOT NULL DEFAULT 'PENDING',
    tasks                jsonb NOT NULL,
    task_timeout_seconds integer NOT NULL,
    max_attempts         integer NOT NULL,
    message              text,
    claimed_by           text,
    claimed_until        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    next_event           bigint NOT NULL DEFAULT 1
);
CREATE INDEX bmc_job_open ON bmc_job (machine, created_at) WHERE state IN ('PENDING', 'RUNNING');
CREATE INDEX bmc_job_machine ON bmc_job (machine, created_at DESC);

CREATE TABLE bmc_event (
    job_id  text NOT NULL REFERENCES bmc_job (id) ON DELETE CASCADE,
    seq     bigint NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    task    integer,
    type    text NOT NULL,
    message text,
    PRIMARY KEY (job_id, seq)
);

CREATE FUNCTION ironbell_notify_bmc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'bmc_event' THEN
        PERFORM pg_notify('ironbell_change', 'bmc_event:' || NEW.job_id);
    ELSIF TG_TABLE_NAME = 'bmc_job' THEN
        PERFORM pg_notify('ironbell_change', 'bmc_job:' || COALESCE(NEW.id, OLD.id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('ironbell_change', 'bmc_machine:' || OLD.name);
    ELSE
        PERFORM pg_notify('ironbell_change', 'bmc_machine:' || NEW.name);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER bmc_machine_change AFTER INSERT OR UPDATE OR DELETE ON bmc_machine
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_bmc();
CREATE TRIGGER bmc_job_change AFTER INSERT OR DELETE ON bmc_job
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_bmc();
CREATE TRIGGER bmc_event_change AFTER INSERT ON bmc_event
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_bmc();
