-- Each machine's log, trimmed to storage.log.maxLinesPerMachine lines (oldest first out).
CREATE TABLE machine_log (
    seq       bigserial PRIMARY KEY,
    machine   text NOT NULL,
    at        timestamptz NOT NULL,
    source    text NOT NULL,
    severity  text,
    text      text NOT NULL
);
CREATE INDEX machine_log_machine ON machine_log (machine, seq);

-- The last DHCP exchange per MAC address.
CREATE TABLE lease (
    mac          macaddr PRIMARY KEY,
    ip           inet,
    hardware_id  text,
    state        text NOT NULL,
    expires_at   timestamptz,
    last_seen    timestamptz NOT NULL,
    client       text
);
