package io.ironbell.api.cluster;

import java.time.Instant;

/**
 * A server process on the shared database, as its heartbeats describe it.
 *
 * @param id          its name ({@code server.instance}, else host name and process id)
 * @param host        the host it runs on
 * @param pid         its process id
 * @param version     the version it runs
 * @param startedAt   when it started
 * @param heartbeatAt its last heartbeat, in the database's time
 * @param leader      whether it held the leader's lock at that heartbeat
 * @param alive       whether its last heartbeat is recent ({@link Cluster#ALIVE_SECONDS})
 */
public record ServerInstance(String id, String host, long pid, String version, Instant startedAt, Instant heartbeatAt, boolean leader,
        boolean alive) {
}
