package io.ironbell.api.cluster;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The server instances on one database, with no coordinator but PostgreSQL itself: each writes a
 * heartbeat, and the one whose database session holds the leader's advisory lock does what must
 * be done once for all (sweeping timeouts). When the leader dies its session ends, the lock goes,
 * and another instance takes it within seconds.
 */
@ProviderType
public interface Cluster {

    /** Seconds between an instance's heartbeats. */
    int HEARTBEAT_SECONDS = 2;

    /** Seconds without a heartbeat after which an instance counts as gone. */
    int ALIVE_SECONDS = 10;

    /** This instance's name. */
    String self();

    /**
     * Whether this instance leads now: its session holds the lock. At most one does at a time
     * (for a second at most two, while a broken session is noticed); none while the database is away.
     */
    boolean leads();

    /**
     * Every instance that has written a heartbeat in the last day, this one first, then by name, as
     * read at this instance's last heartbeat (every {@link #HEARTBEAT_SECONDS}): cheap, never blocks.
     */
    List<ServerInstance> instances();
}
