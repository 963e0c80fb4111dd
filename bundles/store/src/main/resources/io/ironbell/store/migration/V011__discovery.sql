-- What machines are, as they report it from the in-memory OS, and the history of what changed.
CREATE TABLE inventory (
    hardware_id  text PRIMARY KEY REFERENCES hardware (id) ON DELETE CASCADE,
    data         jsonb NOT NULL,
    collected_at timestamptz NOT NULL DEFAULT now(),
    changed_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per report that differed from the one before: the inventory as it was from "at" on.
CREATE TABLE inventory_history (
    id          bigserial PRIMARY KEY,
    hardware_id text NOT NULL REFERENCES hardware (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL
);
CREATE INDEX inventory_history_machine ON inventory_history (hardware_id, at DESC);

-- Machines that introduced themselves, and whether a rule enrolled them.
CREATE TABLE discovered_machine (
    hardware_id   text PRIMARY KEY REFERENCES hardware (id) ON DELETE CASCADE,
    mac           macaddr NOT NULL UNIQUE,
    state         text NOT NULL CHECK (state IN ('DISCOVERED', 'ENROLLED')),
    rule          text,
    discovered_at timestamptz NOT NULL DEFAULT now(),
    enrolled_at   timestamptz
);

-- The operator's enrollment rules; "used" counts the machines each enrolled (max_count 0: no limit).
CREATE TABLE enrollment_rule (
    name       text PRIMARY KEY,
    priority   integer NOT NULL,
    enabled    boolean NOT NULL DEFAULT true,
    spec       jsonb NOT NULL,
    max_count  integer NOT NULL DEFAULT 0 CHECK (max_count >= 0),
    used       integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every decision about a discovered machine.
CREATE TABLE discovery_event (
    id          bigserial PRIMARY KEY,
    hardware_id text,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    rule        text,
    message     text NOT NULL
);
CREATE INDEX discovery_event_machine ON discovery_event (hardware_id, id DESC);
