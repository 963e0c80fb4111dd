-- Templates by unique name, with every revision kept.
CREATE TABLE template (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    revision    integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT template_name_unique UNIQUE (name)
);

CREATE TABLE template_revision (
    template_id text NOT NULL REFERENCES template (id) ON DELETE CASCADE,
    revision    integer NOT NULL,
    data        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id, revision)
);

-- Workflows keep their rendered template: deleting the template does not touch them.
CREATE TABLE workflow (
    id                text PRIMARY KEY,
    template_id       text NOT NULL,
    template_revision integer NOT NULL,
    hardware_map      jsonb NOT NULL,
    rendered          jsonb NOT NULL,
    state             text NOT NULL,
    current_action    integer NOT NULL DEFAULT 0,
    data              jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           bigint NOT NULL DEFAULT 1
);
CREATE INDEX workflow_active ON workflow (state) WHERE state IN ('PENDING', 'RUNNING');
CREATE INDEX workflow_created ON workflow (created_at DESC, id DESC);

CREATE TABLE action_state (
    workflow_id  text NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    idx          integer NOT NULL,
    task         text NOT NULL,
    name         text NOT NULL,
    worker       text NOT NULL,
    state        text NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    started_at   timestamptz,
    finished_at  timestamptz,
    message      text,
    progress     jsonb,
    PRIMARY KEY (workflow_id, idx)
);
CREATE INDEX action_state_worker ON action_state (worker, state);

-- Append-only; seq orders all events of all workflows.
CREATE TABLE workflow_event (
    seq          bigserial PRIMARY KEY,
    workflow_id  text NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    worker       text,
    task         text,
    action       text,
    state        text NOT NULL,
    message      text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_event_workflow ON workflow_event (workflow_id, seq);

CREATE TRIGGER workflow_change AFTER INSERT OR UPDATE OR DELETE ON workflow
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_change();
