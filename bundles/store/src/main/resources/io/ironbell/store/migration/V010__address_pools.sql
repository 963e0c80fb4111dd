-- Dynamic addresses: pools per subnet and their leases. The primary key on (pool, address) is
-- what keeps an address from two MACs whichever server instances answer; a MAC may briefly hold
-- two offers (a race between instances), never two bindings of one address.
CREATE TABLE dhcp_pool (
    name           text PRIMARY KEY,
    subnet         cidr NOT NULL,
    first_address  inet NOT NULL,
    last_address   inet NOT NULL,
    relays         inet[] NOT NULL DEFAULT '{}',
    router         inet,
    dns            inet[] NOT NULL DEFAULT '{}',
    lease_seconds  integer NOT NULL CHECK (lease_seconds > 0),
    offer_seconds  integer NOT NULL CHECK (offer_seconds > 0),
    CHECK (first_address <= last_address AND first_address << subnet AND last_address << subnet)
);

CREATE TABLE dhcp_lease (
    pool        text NOT NULL REFERENCES dhcp_pool (name) ON DELETE CASCADE,
    address     inet NOT NULL,
    mac         macaddr,
    state       text NOT NULL,
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool, address)
);
CREATE INDEX dhcp_lease_mac ON dhcp_lease (pool, mac);
