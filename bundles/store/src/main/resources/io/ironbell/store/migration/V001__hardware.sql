-- Hardware records: the full Tinkerbell-shaped record as JSONB, and one row per interface so
-- that the database itself refuses a MAC or an IP registered twice.
CREATE TABLE hardware (
    id          text PRIMARY KEY,
    data        jsonb NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hardware_interface (
    hardware_id text NOT NULL REFERENCES hardware (id) ON DELETE CASCADE,
    mac         macaddr NOT NULL,
    ip          inet,
    CONSTRAINT hardware_interface_mac_unique UNIQUE (mac),
    CONSTRAINT hardware_interface_ip_unique UNIQUE (ip)
);
CREATE INDEX hardware_interface_hardware ON hardware_interface (hardware_id);

-- Every change is announced on one channel as "<table>:<id>", delivered at commit, so that
-- every server instance can refresh its in-memory indexes.
CREATE FUNCTION ironbell_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('ironbell_change', TG_TABLE_NAME || ':' || OLD.id);
    ELSE
        PERFORM pg_notify('ironbell_change', TG_TABLE_NAME || ':' || NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER hardware_change AFTER INSERT OR UPDATE OR DELETE ON hardware
    FOR EACH ROW EXECUTE FUNCTION ironbell_notify_change();
