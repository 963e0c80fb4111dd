package io.ironbell.store.internal;

import java.util.List;
import java.util.Map;
import org.apache.ibatis.annotations.Delete;
import org.apache.ibatis.annotations.Insert;
import org.apache.ibatis.annotations.Options;
import org.apache.ibatis.annotations.Param;
import org.apache.ibatis.annotations.Select;
import org.apache.ibatis.annotations.Update;
import org.apache.ibatis.session.Configuration;

/** The SQL of every store, as MyBatis annotation mappers; JSON goes in as text cast to jsonb. */
final class Mappers {

    private Mappers() {
    }

    static void register(Configuration c) {
        c.addMapper(HardwareSql.class);
        c.addMapper(TemplateSql.class);
        c.addMapper(WorkflowSql.class);
        c.addMapper(EventSql.class);
        c.addMapper(LogSql.class);
        c.addMapper(LeaseSql.class);
        c.addMapper(TokenSql.class);
        c.addMapper(AuditSql.class);
        c.addMapper(MachineSessionSql.class);
        c.addMapper(PluginSql.class);
        c.addMapper(DiscoverySql.class);
        c.addMapper(ManifestSql.class);
        c.addMapper(BmcSql.class);
        c.addMapper(PoolSql.class);
        c.addMapper(InstanceSql.class);
        c.addMapper(FleetSql.class);
    }

    /**
     * One row per machine: its first interface (by address, then MAC), BMC, discovery, last DHCP
     * exchange and worker session, and its newest workflow (by the MACs its actions run on) with
     * that workflow's current action.
     */
    interface FleetSql {
        String MACHINE = "SELECT h.id, COALESCE(h.data #>> '{network,interfaces,0,dhcp,hostname}', "
                + "h.data #>> '{metadata,instance,hostname}') AS name, i.mac, i.address, b.power_state, d.state AS discovery, "
                + "l.last_seen AS dhcp_at, s.created_at AS session_at, s.last_used_at AS worker_at, "
                + "w.id AS workflow_id, COALESCE(t.name, w.template_id) AS template, w.state AS workflow_state, w.current_action, w.created_at AS workflow_created, "
                + "w.updated_at AS workflow_updated, w.actions, w.done, a.name AS action, a.state AS action_state, a.message, "
                + "a.progress::text AS progress "
                + "FROM hardware h "
                + "LEFT JOIN LATERAL (SELECT mac::text AS mac, host(ip) AS address FROM hardware_interface "
                + "WHERE hardware_id = h.id ORDER BY ip NULLS LAST, mac LIMIT 1) i ON true "
                + "LEFT JOIN bmc_machine b ON b.hardware_id = h.id "
                + "LEFT JOIN discovered_machine d ON d.hardware_id = h.id "
                + "LEFT JOIN LATERAL (SELECT max(e.last_seen) AS last_seen FROM lease e JOIN hardware_interface x ON x.mac = e.mac "
                + "WHERE x.hardware_id = h.id) l ON true "
                + "LEFT JOIN LATERAL (SELECT created_at, last_used_at FROM machine_session WHERE hardware_id = h.id "
                + "ORDER BY created_at DESC LIMIT 1) s ON true "
                + "LEFT JOIN LATERAL (SELECT f.id, f.template_id, f.state, f.current_action, f.created_at, f.updated_at, "
                + "(SELECT count(*) FROM action_state y WHERE y.workflow_id = f.id) AS actions, "
                + "(SELECT count(*) FROM action_state y WHERE y.workflow_id = f.id AND y.state = 'SUCCESS') AS done "
                + "FROM workflow f WHERE f.id IN (SELECT z.workflow_id FROM action_state z JOIN hardware_interface x "
                + "ON z.worker = x.mac::text WHERE x.hardware_id = h.id) ORDER BY f.created_at DESC, f.id DESC LIMIT 1) w ON true "
                + "LEFT JOIN action_state a ON a.workflow_id = w.id AND a.idx = LEAST(w.current_action, w.actions - 1) "
                + "LEFT JOIN template t ON t.id = w.template_id ";

        @Select(MACHINE + "ORDER BY h.id")
        List<Map<String, Object>> all();

        @Select(MACHINE + "WHERE h.id = #{id}")
        Map<String, Object> one(@Param("id") String hardwareId);

        // every change of a workflow (a progress report too) bumps its row, which notifies: the workflows named are
        // all that moved, so the cost follows the rate of change, not the number of workflows running
        @Select("WITH hot AS (SELECT x.hardware_id AS id FROM action_state z JOIN hardware_interface x ON z.worker = x.mac::text "
                + "WHERE z.workflow_id IN (SELECT jsonb_array_elements_text(CAST(#{workflows} AS jsonb))) "
                + "UNION SELECT hardware_id FROM bmc_machine WHERE updated_at > #{since} OR power_checked_at > #{since} "
                + "UNION SELECT x.hardware_id FROM lease e JOIN hardware_interface x ON x.mac = e.mac WHERE e.last_seen > #{since} "
                + "UNION SELECT hardware_id FROM machine_session WHERE last_used_at > #{since} OR created_at > #{since} "
                + "UNION SELECT hardware_id FROM discovered_machine WHERE discovered_at > #{since} OR enrolled_at > #{since} "
                + "UNION SELECT id FROM hardware WHERE updated_at > #{since}) "
                + MACHINE + "WHERE h.id IN (SELECT id FROM hot) ORDER BY h.id")
        List<Map<String, Object>> changedSince(@Param("since") java.sql.Timestamp since, @Param("workflows") String workflowIdsJson);

        @Select("SELECT f.id AS workflow_id, COALESCE(t.name, f.template_id) AS template, f.state AS workflow_state, f.current_action, "
                + "f.created_at AS workflow_created, f.updated_at AS workflow_updated, "
                + "(SELECT count(*) FROM action_state y WHERE y.workflow_id = f.id) AS actions, "
                + "(SELECT count(*) FROM action_state y WHERE y.workflow_id = f.id AND y.state = 'SUCCESS') AS done, "
                + "a.name AS action, a.state AS action_state, a.message, a.progress::text AS progress "
                + "FROM workflow f LEFT JOIN template t ON t.id = f.template_id "
                + "LEFT JOIN LATERAL (SELECT * FROM action_state y WHERE y.workflow_id = f.id AND y.idx <= f.current_action "
                + "ORDER BY y.idx DESC LIMIT 1) a ON true "
                + "WHERE f.id IN (SELECT z.workflow_id FROM action_state z JOIN hardware_interface x ON z.worker = x.mac::text "
                + "WHERE x.hardware_id = #{id}) ORDER BY f.created_at DESC, f.id DESC LIMIT #{limit}")
        List<Map<String, Object>> workflowsOf(@Param("id") String hardwareId, @Param("limit") int limit);
    }

    interface InstanceSql {
        @Insert("INSERT INTO server_instance (id, host, pid, version, started_at, heartbeat_at, leader) "
                + "VALUES (#{id}, #{host}, #{pid}, #{version}, #{startedAt}, now(), #{leader}) "
                + "ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version, "
                + "started_at = EXCLUDED.started_at, heartbeat_at = now(), leader = EXCLUDED.leader")
        int beat(@Param("id") String id, @Param("host") String host, @Param("pid") long pid, @Param("version") String version,
                 @Param("startedAt") java.sql.Timestamp startedAt, @Param("leader") boolean leader);

        /** Every instance of the last day, and whether it beat within {@code alive} seconds, by the database's clock. */
        @Select("SELECT id, host, pid, version, started_at, heartbeat_at, leader, "
                + "heartbeat_at > now() - make_interval(secs => #{alive}) AS alive FROM server_instance "
                + "WHERE heartbeat_at > now() - interval '1 day' ORDER BY id")
        List<Map<String, Object>> all(@Param("alive") int alive);

        @Delete("DELETE FROM server_instance WHERE heartbeat_at < now() - interval '1 day' OR id = #{id}")
        int forget(@Param("id") String id);
    }

    interface BmcSql {
        String MACHINE = "SELECT name, namespace, host, port, driver, auth_secret, insecure_tls, ca_pem, options::text, hardware_id, "
                + "power_state, power_checked_at, contactable, message, created_at, updated_at FROM bmc_machine ";
        String JOB = "id, namespace, machine, workflow_id, state, tasks::text, task_timeout_seconds, max_attempts, message, "
                + "created_at, started_at, finished_at";

        @Insert("INSERT INTO bmc_machine (name, namespace, host, port, driver, auth_secret, insecure_tls, ca_pem, options, hardware_id) "
                + "VALUES (#{m.name}, #{m.namespace}, #{m.host}, #{m.port}, #{m.driver}, #{m.authSecretRef}, #{m.insecureTls}, #{m.caPem}, "
                + "CAST(#{options} AS jsonb), #{m.hardwareId}) "
                + "ON CONFLICT (name) DO UPDATE SET namespace = EXCLUDED.namespace, host = EXCLUDED.host, port = EXCLUDED.port, "
                + "driver = EXCLUDED.driver, auth_secret = EXCLUDED.auth_secret, insecure_tls = EXCLUDED.insecure_tls, "
                + "ca_pem = EXCLUDED.ca_pem, options = EXCLUDED.options, hardware_id = EXCLUDED.hardware_id, updated_at = now()")
        int putMachine(@Param("m") io.ironbell.api.bmc.BmcMachine m, @Param("options") String options);

        @Select(MACHINE + "WHERE name = #{name}")
        Map<String, Object> machine(@Param("name") String name);

        @Select(MACHINE + "WHERE hardware_id = #{id}")
        Map<String, Object> machineOf(@Param("id") String hardwareId);

        @Select(MACHINE + "ORDER BY name")
        List<Map<String, Object>> machines();

        @Delete("DELETE FROM bmc_machine WHERE name = #{name}")
        int deleteMachine(@Param("name") String name);

        @Update("UPDATE bmc_machine SET power_state = #{state}, contactable = #{contactable}, message = #{message}, "
                + "power_checked_at = now() WHERE name = #{name}")
        int recordPower(@Param("name") String name, @Param("state") String state, @Param("contactable") boolean contactable,
                        @Param("message") String message);

        /** Marks the machines checked now and returns them: two instances never poll one BMC at once. */
        @Select("UPDATE bmc_machine SET power_checked_at = now() WHERE name IN (SELECT m.name FROM bmc_machine m "
                + "WHERE (m.power_checked_at IS NULL OR m.power_checked_at < now() - make_interval(secs => #{every})) "
                + "AND NOT EXISTS (SELECT 1 FROM bmc_job j WHERE j.machine = m.name AND j.state = 'RUNNING') "
                + "ORDER BY m.power_checked_at NULLS FIRST LIMIT #{limit} FOR UPDATE SKIP LOCKED) "
                + "RETURNING name, namespace, host, port, driver, auth_secret, insecure_tls, ca_pem, options::text, hardware_id, "
                + "power_state, power_checked_at, contactable, message, created_at, updated_at")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> claimPowerChecks(@Param("every") double everySeconds, @Param("limit") int limit);

        @Insert("INSERT INTO bmc_job (id, namespace, machine, workflow_id, state, tasks, task_timeout_seconds, max_attempts) "
                + "VALUES (#{j.id}, #{j.namespace}, #{j.machine}, #{j.workflowId}, 'PENDING', CAST(#{tasks} AS jsonb), "
                + "#{j.taskTimeoutSeconds}, #{j.maxAttempts}) ON CONFLICT (id) DO NOTHING")
        int insertJob(@Param("j") io.ironbell.api.bmc.BmcJob j, @Param("tasks") String tasks);

        @Select("SELECT " + JOB + " FROM bmc_job WHERE id = #{id}")
        Map<String, Object> job(@Param("id") String id);

        @Select("<script>SELECT " + JOB + " FROM bmc_job <if test='machine != null'>WHERE machine = #{machine}</if> "
                + "ORDER BY created_at DESC, id DESC LIMIT #{limit}</script>")
        List<Map<String, Object>> jobs(@Param("machine") String machine, @Param("limit") int limit);

        @Delete("DELETE FROM bmc_job WHERE id = #{id}")
        int deleteJob(@Param("id") String id);

        /**
         * The oldest open job of each machine that runs none, and running jobs whose instance let
         * the lease run out; the claim makes them RUNNING on this instance.
         */
        @Select("UPDATE bmc_job SET claimed_by = #{instance}, claimed_until = now() + make_interval(secs => #{lease}), "
                + "state = 'RUNNING', started_at = COALESCE(started_at, now()) WHERE id IN (SELECT c.id FROM bmc_job c "
                + "WHERE (c.state = 'RUNNING' AND c.claimed_until < now()) OR (c.state = 'PENDING' AND NOT EXISTS "
                + "(SELECT 1 FROM bmc_job o WHERE o.machine = c.machine AND o.id <> c.id AND (o.state = 'RUNNING' "
                + "OR (o.state = 'PENDING' AND (o.created_at, o.id) < (c.created_at, c.id))))) "
                + "ORDER BY c.created_at LIMIT #{limit} FOR UPDATE SKIP LOCKED) RETURNING " + JOB)
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> claimJobs(@Param("instance") String instance, @Param("lease") double leaseSeconds,
                                            @Param("limit") int limit);

        @Update("<script>UPDATE bmc_job SET claimed_until = now() + make_interval(secs => #{lease}) WHERE claimed_by = #{instance} "
                + "AND state = 'RUNNING' AND id IN <foreach item='id' collection='ids' open='(' separator=',' close=')'>#{id}</foreach></script>")
        int renew(@Param("instance") String instance, @Param("ids") List<String> ids, @Param("lease") double leaseSeconds);

        @Update("UPDATE bmc_job SET state = #{j.state}, tasks = CAST(#{tasks} AS jsonb), message = #{j.message}, "
                + "started_at = #{startedAt}, finished_at = #{finishedAt}, "
                + "claimed_by = CASE WHEN #{j.state} IN ('SUCCEEDED', 'FAILED') THEN NULL ELSE claimed_by END, "
                + "claimed_until = CASE WHEN #{j.state} IN ('SUCCEEDED', 'FAILED') THEN NULL ELSE claimed_until END "
                + "WHERE id = #{j.id} AND claimed_by = #{instance}")
        int updateJob(@Param("instance") String instance, @Param("j") io.ironbell.api.bmc.BmcJob j, @Param("tasks") String tasks,
                      @Param("startedAt") java.sql.Timestamp startedAt, @Param("finishedAt") java.sql.Timestamp finishedAt);

        @Select("WITH n AS (UPDATE bmc_job SET next_event = next_event + 1 WHERE id = #{id} RETURNING next_event - 1 AS seq) "
                + "INSERT INTO bmc_event (job_id, seq, task, type, message) SELECT #{id}, n.seq, #{task}, #{type}, #{message} FROM n "
                + "RETURNING job_id, seq, at, task, type, message")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        Map<String, Object> addEvent(@Param("id") String jobId, @Param("task") Integer task, @Param("type") String type,
                                     @Param("message") String message);

        @Select("SELECT job_id, seq, at, task, type, message FROM bmc_event WHERE job_id = #{id} AND seq > #{after} "
                + "ORDER BY seq LIMIT #{limit}")
        List<Map<String, Object>> events(@Param("id") String jobId, @Param("after") long after, @Param("limit") int limit);
    }

    interface DiscoverySql {
        String DISCOVERED = "SELECT hardware_id, mac::text AS mac, state, rule, discovered_at, enrolled_at FROM discovered_machine ";
        String RULE = "SELECT name, priority, enabled, spec::text AS spec, max_count, used FROM enrollment_rule ";

        /** The inventory now; changed_at = collected_at when it differs from what was stored (or nothing was). */
        @Select("INSERT INTO inventory (hardware_id, data) VALUES (#{id}, CAST(#{data} AS jsonb)) "
                + "ON CONFLICT (hardware_id) DO UPDATE SET data = EXCLUDED.data, collected_at = now(), "
                + "changed_at = CASE WHEN inventory.data = EXCLUDED.data THEN inventory.changed_at ELSE now() END "
                + "RETURNING collected_at, changed_at, collected_at = changed_at AS changed")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        Map<String, Object> putInventory(@Param("id") String hardwareId, @Param("data") String data);

        @Insert("INSERT INTO inventory_history (hardware_id, at, data) VALUES (#{id}, #{at}, CAST(#{data} AS jsonb))")
        int addHistory(@Param("id") String hardwareId, @Param("at") java.sql.Timestamp at, @Param("data") String data);

        @Select("SELECT hardware_id, data::text AS data, collected_at, changed_at FROM inventory WHERE hardware_id = #{id}")
        Map<String, Object> inventory(@Param("id") String hardwareId);

        @Select("SELECT at, data::text AS data FROM inventory_history WHERE hardware_id = #{id} ORDER BY at DESC, id DESC LIMIT 100")
        List<Map<String, Object>> history(@Param("id") String hardwareId);

        @Insert("INSERT INTO discovered_machine (hardware_id, mac, state) VALUES (#{id}, CAST(#{mac} AS macaddr), 'DISCOVERED') "
                + "ON CONFLICT DO NOTHING")
        int noteDiscovered(@Param("id") String hardwareId, @Param("mac") String mac);

        @Select(DISCOVERED + "WHERE hardware_id = #{id}")
        Map<String, Object> discovered(@Param("id") String hardwareId);

        @Select(DISCOVERED + "WHERE CAST(#{state} AS text) IS NULL OR state = CAST(#{state} AS text) ORDER BY discovered_at, hardware_id")
        List<Map<String, Object>> discoveredMachines(@Param("state") String state);

        @Select("UPDATE enrollment_rule SET used = used + 1 WHERE name = #{rule} AND enabled AND (max_count = 0 OR used < max_count) "
                + "RETURNING used")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        Integer countEnrollment(@Param("rule") String rule);

        @Update("UPDATE discovered_machine SET state = 'ENROLLED', rule = #{rule}, enrolled_at = now() "
                + "WHERE hardware_id = #{id} AND state = 'DISCOVERED'")
        int markEnrolled(@Param("id") String hardwareId, @Param("rule") String rule);

        @Insert("INSERT INTO enrollment_rule (name, priority, enabled, spec, max_count) VALUES (#{name}, #{priority}, #{enabled}, "
                + "CAST(#{spec} AS jsonb), #{maxCount}) ON CONFLICT (name) DO UPDATE SET priority = EXCLUDED.priority, "
                + "enabled = EXCLUDED.enabled, spec = EXCLUDED.spec, max_count = EXCLUDED.max_count, updated_at = now()")
        int putRule(@Param("name") String name, @Param("priority") int priority, @Param("enabled") boolean enabled, @Param("spec") String spec,
                @Param("maxCount") int maxCount);

        @Select(RULE + "ORDER BY priority, name")
        List<Map<String, Object>> rules();

        @Select(RULE + "WHERE name = #{name}")
        Map<String, Object> rule(@Param("name") String name);

        @Delete("DELETE FROM enrollment_rule WHERE name = #{name}")
        int deleteRule(@Param("name") String name);

        @Insert("INSERT INTO discovery_event (hardware_id, kind, rule, message) VALUES (#{id}, #{kind}, #{rule}, #{message})")
        int addEvent(@Param("id") String hardwareId, @Param("kind") String kind, @Param("rule") String rule, @Param("message") String message);

        @Select("SELECT id, hardware_id, at, kind, rule, message FROM discovery_event WHERE CAST(#{id} AS text) IS NULL OR hardware_id = CAST(#{id} AS text) "
                + "ORDER BY id DESC LIMIT #{limit}")
        List<Map<String, Object>> events(@Param("id") String hardwareId, @Param("limit") int limit);
    }

    interface PoolSql {
        String POOL = "SELECT name, host(subnet::inet) || '/' || masklen(subnet) AS subnet, host(first_address) AS first_address, "
                + "host(last_address) AS last_address, array_to_string(ARRAY(SELECT host(r) FROM unnest(relays) r), ',') AS relays, "
                + "host(router) AS router, array_to_string(ARRAY(SELECT host(d) FROM unnest(dns) d), ',') AS dns, lease_seconds, offer_seconds "
                + "FROM dhcp_pool ";
        String LEASE = "pool, host(address) AS address, mac::text AS mac, state, expires_at";

        @Insert("INSERT INTO dhcp_pool (name, subnet, first_address, last_address, relays, router, dns, lease_seconds, offer_seconds) "
                + "VALUES (#{p.name}, CAST(#{p.subnet} AS cidr), CAST(#{p.firstAddress} AS inet), CAST(#{p.lastAddress} AS inet), "
                + "CAST(#{relays} AS inet[]), CAST(#{p.router} AS inet), CAST(#{dns} AS inet[]), #{p.leaseSeconds}, #{p.offerSeconds}) "
                + "ON CONFLICT (name) DO UPDATE SET subnet = EXCLUDED.subnet, first_address = EXCLUDED.first_address, "
                + "last_address = EXCLUDED.last_address, relays = EXCLUDED.relays, router = EXCLUDED.router, dns = EXCLUDED.dns, "
                + "lease_seconds = EXCLUDED.lease_seconds, offer_seconds = EXCLUDED.offer_seconds")
        int putPool(@Param("p") io.ironbell.api.dhcp.AddressPool p, @Param("relays") String relays, @Param("dns") String dns);

        @Select(POOL + "ORDER BY name")
        List<Map<String, Object>> pools();

        @Select(POOL + "WHERE name = #{name}")
        Map<String, Object> pool(@Param("name") String name);

        @Delete("DELETE FROM dhcp_pool WHERE name = #{name}")
        int deletePool(@Param("name") String name);

        /** The MAC's own address again (its offer, binding, or a released or expired one nobody took since). */
        @Select("UPDATE dhcp_lease SET state = CASE WHEN state = 'BOUND' AND expires_at > now() THEN 'BOUND' ELSE 'OFFERED' END, "
                + "expires_at = GREATEST(expires_at, now() + make_interval(secs => #{offer})), updated_at = now() "
                + "WHERE pool = #{pool} AND mac = CAST(#{mac} AS macaddr) AND state <> 'DECLINED' "
                + "AND NOT (host(address) = ANY (CAST(#{excluded} AS text[]))) RETURNING " + LEASE)
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> sticky(@Param("pool") String pool, @Param("mac") String mac, @Param("offer") int offerSeconds,
                                         @Param("excluded") String excluded);

        /** This address for the MAC when it is free, or already the MAC's. */
        @Select("INSERT INTO dhcp_lease (pool, address, mac, state, expires_at) VALUES (#{pool}, CAST(#{address} AS inet), "
                + "CAST(#{mac} AS macaddr), #{state}, now() + make_interval(secs => #{seconds})) "
                + "ON CONFLICT (pool, address) DO UPDATE SET mac = EXCLUDED.mac, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at, "
                + "updated_at = now() WHERE dhcp_lease.expires_at < now() "
                + "OR (dhcp_lease.mac = EXCLUDED.mac AND dhcp_lease.state <> 'DECLINED') RETURNING " + LEASE)
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        Map<String, Object> take(@Param("pool") String pool, @Param("address") String address, @Param("mac") String mac,
                                 @Param("state") String state, @Param("seconds") int seconds);

        /**
         * One round trip for the common DISCOVER: the MAC's own address again (as {@link #sticky}),
         * else a free one among the {@code window} candidates from {@code start + from} (start: the MAC's
         * hash) round the pool; nothing when the window has none, or the search lost its candidate to
         * another instance (the caller goes on).
         */
        @Select("WITH own AS (UPDATE dhcp_lease SET state = CASE WHEN state = 'BOUND' AND expires_at > now() THEN 'BOUND' ELSE 'OFFERED' END, "
                + "expires_at = GREATEST(expires_at, now() + make_interval(secs => #{offer})), updated_at = now() "
                + "WHERE pool = #{pool} AND mac = CAST(#{mac} AS macaddr) AND state <> 'DECLINED' "
                + "AND NOT (host(address) = ANY (CAST(#{excluded} AS text[]))) RETURNING " + LEASE + "), "
                + "fresh AS (INSERT INTO dhcp_lease (pool, address, mac, state, expires_at) "
                + "SELECT #{pool}, c.address, CAST(#{mac} AS macaddr), 'OFFERED', now() + make_interval(secs => #{offer}) "
                + "FROM (SELECT CAST(#{first} AS inet) + ((#{start} + g) % #{size}) AS address "
                + "FROM generate_series(#{from}, LEAST(#{from} + #{window}, #{size}) - 1) g) c "
                + "WHERE NOT EXISTS (SELECT 1 FROM own) "
                // one index probe per candidate until the first free (NOT EXISTS became an anti join over the whole pool)
                + "AND (SELECT l.expires_at < now() FROM dhcp_lease l WHERE l.pool = #{pool} AND l.address = c.address) IS NOT FALSE "
                + "AND NOT (host(c.address) = ANY (CAST(#{excluded} AS text[]))) LIMIT 1 "
                + "ON CONFLICT (pool, address) DO UPDATE SET mac = EXCLUDED.mac, state = 'OFFERED', expires_at = EXCLUDED.expires_at, "
                + "updated_at = now() WHERE dhcp_lease.expires_at < now() RETURNING " + LEASE + ") "
                + "SELECT * FROM own UNION ALL SELECT * FROM fresh")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> ownOrFresh(@Param("pool") String pool, @Param("mac") String mac, @Param("first") String first,
                                             @Param("start") long start, @Param("from") long from, @Param("window") long window,
                                             @Param("size") long size, @Param("offer") int offerSeconds, @Param("excluded") String excluded);

        /** {@link #take} for a binding, and the MAC's offers of other addresses (another instance's) given back, in one round trip. */
        @Select("WITH t AS (INSERT INTO dhcp_lease (pool, address, mac, state, expires_at) VALUES (#{pool}, CAST(#{address} AS inet), "
                + "CAST(#{mac} AS macaddr), 'BOUND', now() + make_interval(secs => #{seconds})) "
                + "ON CONFLICT (pool, address) DO UPDATE SET mac = EXCLUDED.mac, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at, "
                + "updated_at = now() WHERE dhcp_lease.expires_at < now() "
                + "OR (dhcp_lease.mac = EXCLUDED.mac AND dhcp_lease.state <> 'DECLINED') RETURNING " + LEASE + "), "
                + "d AS (UPDATE dhcp_lease SET expires_at = now() WHERE pool = #{pool} AND mac = CAST(#{mac} AS macaddr) "
                + "AND address <> CAST(#{address} AS inet) AND state = 'OFFERED' AND EXISTS (SELECT 1 FROM t)) "
                + "SELECT * FROM t")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        Map<String, Object> bind(@Param("pool") String pool, @Param("address") String address, @Param("mac") String mac,
                                 @Param("seconds") int seconds);

        /**
         * {@link #ownOrFresh} for many MACs of one pool in one statement (each MAC's first window): a
         * MAC's own address again, else the first free address of its window that no other MAC of the
         * batch takes and that is no row of a MAC of the batch (so that no row is touched twice);
         * a MAC left without a row goes on alone.
         */
        @Select("WITH req AS (SELECT r.mac, r.start FROM unnest(CAST(#{macs} AS macaddr[]), CAST(#{starts} AS bigint[])) AS r(mac, start)), "
                // a binding that outlasts the offer is offered as it is, without a write (a returning client's DISCOVER)
                + "kept AS (SELECT l.pool, host(l.address) AS address, l.mac::text AS mac, l.state, l.expires_at FROM dhcp_lease l JOIN req "
                + "ON l.mac = req.mac WHERE l.pool = #{pool} AND l.state = 'BOUND' AND l.expires_at > now() + make_interval(secs => #{offer}) "
                + "AND NOT (host(l.address) = ANY (CAST(#{excluded} AS text[])))), "
                + "own AS (UPDATE dhcp_lease l SET state = CASE WHEN l.state = 'BOUND' AND l.expires_at > now() THEN 'BOUND' ELSE 'OFFERED' END, "
                + "expires_at = GREATEST(l.expires_at, now() + make_interval(secs => #{offer})), updated_at = now() FROM req "
                + "WHERE l.pool = #{pool} AND l.mac = req.mac AND l.state <> 'DECLINED' "
                + "AND NOT (l.state = 'BOUND' AND l.expires_at > now() + make_interval(secs => #{offer})) "
                + "AND NOT (host(l.address) = ANY (CAST(#{excluded} AS text[]))) "
                + "RETURNING l.pool, host(l.address) AS address, l.mac::text AS mac, l.state, l.expires_at), "
                + "pick AS (SELECT DISTINCT ON (c.address) req.mac, c.address FROM req CROSS JOIN LATERAL ("
                + "SELECT a.address FROM (SELECT g, CAST(#{first} AS inet) + ((req.start + g) % #{size}) AS address "
                + "FROM generate_series(0, LEAST(#{window}, #{size}) - 1) g) a "
                + "WHERE NOT (host(a.address) = ANY (CAST(#{excluded} AS text[]))) "
                // a scalar subquery, one index probe per candidate until the first free: NOT EXISTS would be
                // planned as an anti join over a scan of the whole pool's leases
                + "AND (SELECT l.expires_at < now() AND NOT (l.mac = ANY (CAST(#{macs} AS macaddr[]))) IS NOT FALSE "
                + "FROM dhcp_lease l WHERE l.pool = #{pool} AND l.address = a.address) IS NOT FALSE LIMIT 1) c "
                + "WHERE req.mac NOT IN (SELECT CAST(own.mac AS macaddr) FROM own UNION ALL SELECT CAST(kept.mac AS macaddr) FROM kept) "
                + "ORDER BY c.address, req.mac), "
                + "fresh AS (INSERT INTO dhcp_lease (pool, address, mac, state, expires_at) "
                + "SELECT #{pool}, pick.address, pick.mac, 'OFFERED', now() + make_interval(secs => #{offer}) FROM pick "
                + "ON CONFLICT (pool, address) DO UPDATE SET mac = EXCLUDED.mac, state = 'OFFERED', expires_at = EXCLUDED.expires_at, "
                + "updated_at = now() WHERE dhcp_lease.expires_at < now() RETURNING " + LEASE + ") "
                + "SELECT * FROM kept UNION ALL SELECT * FROM own UNION ALL SELECT * FROM fresh")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> ownOrFreshAll(@Param("pool") String pool, @Param("macs") String macs, @Param("starts") String starts,
                                                @Param("first") String first, @Param("window") long window, @Param("size") long size,
                                                @Param("offer") int offerSeconds, @Param("excluded") String excluded);

        /** {@link #bind} for many MACs of one pool, each a different address, in one statement; a MAC without a row gets a NAK. */
        @Select("WITH req AS (SELECT r.address, r.mac FROM unnest(CAST(#{addresses} AS inet[]), CAST(#{macs} AS macaddr[])) AS r(address, mac)), "
                + "t AS (INSERT INTO dhcp_lease (pool, address, mac, state, expires_at) "
                + "SELECT #{pool}, req.address, req.mac, 'BOUND', now() + make_interval(secs => #{seconds}) FROM req "
                + "ON CONFLICT (pool, address) DO UPDATE SET mac = EXCLUDED.mac, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at, "
                + "updated_at = now() WHERE dhcp_lease.expires_at < now() "
                + "OR (dhcp_lease.mac = EXCLUDED.mac AND dhcp_lease.state <> 'DECLINED') RETURNING " + LEASE + "), "
                + "d AS (UPDATE dhcp_lease l SET expires_at = now() FROM t WHERE l.pool = #{pool} AND l.mac = CAST(t.mac AS macaddr) "
                + "AND l.address <> CAST(t.address AS inet) AND l.state = 'OFFERED' AND NOT (l.address = ANY (CAST(#{addresses} AS inet[])))) "
                + "SELECT * FROM t")
        @Options(flushCache = Options.FlushCachePolicy.TRUE)
        List<Map<String, Object>> bindAll(@Param("pool") String pool, @Param("addresses") String addresses, @Param("macs") String macs,
                                          @Param("seconds") int seconds);

        /** Addresses of the pool held or excluded: whether a free one is left (the search found none, or lost a race for every one it found). */
        @Select("SELECT count(*) FROM (SELECT address FROM dhcp_lease WHERE pool = #{pool} AND expires_at >= now() "
                + "UNION SELECT e FROM unnest(CAST(#{excluded} AS inet[])) AS e "
                + "WHERE e BETWEEN CAST(#{first} AS inet) AND CAST(#{last} AS inet)) AS u")
        long held(@Param("pool") String pool, @Param("excluded") String excluded, @Param("first") String first, @Param("last") String last);

        @Update("UPDATE dhcp_lease SET state = 'RELEASED', expires_at = now(), updated_at = now() WHERE pool = #{pool} "
                + "AND address = CAST(#{address} AS inet) AND mac = CAST(#{mac} AS macaddr) AND state IN ('OFFERED', 'BOUND')")
        int release(@Param("pool") String pool, @Param("mac") String mac, @Param("address") String address);

        @Update("UPDATE dhcp_lease SET state = 'DECLINED', mac = NULL, expires_at = now() + make_interval(secs => #{seconds}), "
                + "updated_at = now() WHERE pool = #{pool} AND address = CAST(#{address} AS inet) AND mac = CAST(#{mac} AS macaddr)")
        int decline(@Param("pool") String pool, @Param("mac") String mac, @Param("address") String address, @Param("seconds") long seconds);

        @Select("SELECT " + LEASE + " FROM dhcp_lease WHERE address = CAST(#{address} AS inet) AND state IN ('OFFERED', 'BOUND') "
                + "AND expires_at > now() LIMIT 1")
        Map<String, Object> holder(@Param("address") String address);

        @Select("SELECT " + LEASE + " FROM dhcp_lease WHERE pool = #{pool} ORDER BY address")
        List<Map<String, Object>> leases(@Param("pool") String pool);
    }

    interface ManifestSql {
        String COLUMNS = "kind, name, namespace, object::text, generation, created_at, updated_at";

        @Select("SELECT " + COLUMNS + " FROM manifest WHERE kind = #{kind} AND name = #{name}")
        Map<String, Object> get(@Param("kind") String kind, @Param("name") String name);

        @Select("SELECT " + COLUMNS + " FROM manifest WHERE kind = #{kind} ORDER BY name")
        List<Map<String, Object>> list(@Param("kind") String kind);

        /** Creates or replaces; the generation moves on only when the object changed. */
        @Insert("INSERT INTO manifest (kind, name, namespace, object, hardware_id, template_id, workflow_id) "
                + "VALUES (#{kind}, #{name}, #{namespace}, CAST(#{object} AS json), "
                + "CASE WHEN #{kind} = 'Hardware' THEN #{name} END, "
                + "CASE WHEN #{kind} = 'Template' THEN (SELECT id FROM template WHERE name = #{name}) END, "
                + "CASE WHEN #{kind} = 'Workflow' THEN #{name} END) "
                + "ON CONFLICT (kind, name) DO UPDATE SET namespace = EXCLUDED.namespace, object = EXCLUDED.object, "
                + "hardware_id = EXCLUDED.hardware_id, template_id = EXCLUDED.template_id, workflow_id = EXCLUDED.workflow_id, "
                + "generation = manifest.generation + CASE WHEN manifest.object::jsonb = EXCLUDED.object::jsonb THEN 0 ELSE 1 END, "
                + "updated_at = CASE WHEN manifest.object::jsonb = EXCLUDED.object::jsonb THEN manifest.updated_at ELSE now() END")
        int put(@Param("kind") String kind, @Param("name") String name, @Param("namespace") String namespace,
                @Param("object") String object);

        @Delete("DELETE FROM manifest WHERE kind = #{kind} AND name = #{name}")
        int delete(@Param("kind") String kind, @Param("name") String name);

        @Update("UPDATE manifest SET secret = #{secret} WHERE kind = 'Secret' AND name = #{name}")
        int putSecret(@Param("name") String name, @Param("secret") byte[] secret);

        /** The row (its {@code secret} column): a byte[] result would be read as a list of bytes. */
        @Select("SELECT secret FROM manifest WHERE kind = 'Secret' AND name = #{name}")
        Map<String, Object> secret(@Param("name") String name);
    }

    interface PluginSql {
        String COLUMNS = "digest, symbolic_name, version, size, types, images, pushed_at, pushed_by, signed_by";

        @Insert("INSERT INTO action_plugin (digest, symbolic_name, version, size, types, images, content, pushed_by, signed_by) "
                + "VALUES (#{digest}, #{name}, #{version}, #{size}, #{types}, #{images}, #{content}, #{by}, #{signedBy})")
        int insert(@Param("digest") String digest, @Param("name") String name, @Param("version") String version, @Param("size") long size,
                   @Param("types") String types, @Param("images") String images, @Param("content") byte[] content, @Param("by") String by,
                   @Param("signedBy") String signedBy);

        @Select("SELECT " + COLUMNS + " FROM action_plugin ORDER BY symbolic_name, pushed_at DESC")
        List<Map<String, Object>> all();

        @Select("SELECT " + COLUMNS + " FROM action_plugin WHERE digest = #{digest}")
        Map<String, Object> byDigest(@Param("digest") String digest);

        @Select("SELECT " + COLUMNS + " FROM action_plugin WHERE symbolic_name = #{name} AND version = #{version}")
        Map<String, Object> byNameVersion(@Param("name") String name, @Param("version") String version);

        /** Per pinned digest, the machines of the workflows that pinned it, newline-separated. */
        @Select("SELECT p.value AS digest, string_agg(DISTINCT h.value, E'\\n' ORDER BY h.value) AS machines "
                + "FROM workflow w, jsonb_each_text(w.plugins) p, jsonb_each_text(w.hardware_map) h GROUP BY p.value")
        List<Map<String, Object>> machines();

        @Select("SELECT content FROM action_plugin WHERE digest = #{digest}")
        Map<String, Object> content(@Param("digest") String digest);

        @Delete("DELETE FROM action_plugin WHERE digest = #{digest}")
        int delete(@Param("digest") String digest);
    }

    interface MachineSessionSql {
        @Insert("INSERT INTO server_secret (name, value) VALUES (#{name}, #{value}) ON CONFLICT (name) DO NOTHING")
        int offerSecret(@Param("name") String name, @Param("value") byte[] value);

        @Select("SELECT value FROM server_secret WHERE name = #{name}")
        Map<String, Object> secret(@Param("name") String name);

        @Insert("INSERT INTO machine_session (boot_nonce, hardware_id, session_sha256, address, expires_at) "
                + "VALUES (#{nonce}, #{hardware}, #{hash}, #{address}, #{expires})")
        int insert(@Param("nonce") String nonce, @Param("hardware") String hardware, @Param("hash") byte[] hash,
                   @Param("address") String address, @Param("expires") java.sql.Timestamp expires);

        @Update("UPDATE machine_session SET revoked_at = now() WHERE hardware_id = #{hardware} AND boot_nonce <> #{nonce} "
                + "AND revoked_at IS NULL")
        int revokeOthers(@Param("hardware") String hardware, @Param("nonce") String nonce);

        /** The machine's sessions that are valid and were used after {@code since}, newest use first; locked against a parallel exchange. */
        @Select("SELECT boot_nonce, address, last_used_at FROM machine_session WHERE hardware_id = #{hardware} AND revoked_at IS NULL "
                + "AND expires_at > now() AND last_used_at > #{since} ORDER BY last_used_at DESC FOR UPDATE")
        List<Map<String, Object>> live(@Param("hardware") String hardware, @Param("since") java.sql.Timestamp since);

        @Select("SELECT boot_nonce, hardware_id, session_sha256, expires_at, revoked_at, last_used_at FROM machine_session "
                + "WHERE boot_nonce = #{nonce}")
        Map<String, Object> byNonce(@Param("nonce") String nonce);

        @Update("UPDATE machine_session SET expires_at = #{expires}, last_used_at = now() WHERE boot_nonce = #{nonce} AND revoked_at IS NULL")
        int used(@Param("nonce") String nonce, @Param("expires") java.sql.Timestamp expires);

        @Delete("DELETE FROM machine_session WHERE expires_at < now() - interval '7 days'")
        int trim();
    }

    interface TokenSql {
        String COLUMNS = "id, name, role, created_at, created_by, expires_at, revoked_at, last_used_at";

        @Insert("INSERT INTO api_token (id, name, role, secret_sha256, created_by, expires_at) "
                + "VALUES (#{id}, #{name}, #{role}, #{hash}, #{by}, #{expires})")
        int insert(@Param("id") String id, @Param("name") String name, @Param("role") String role, @Param("hash") byte[] hash,
                   @Param("by") String by, @Param("expires") java.sql.Timestamp expires);

        @Select("SELECT " + COLUMNS + " FROM api_token ORDER BY name")
        List<Map<String, Object>> all();

        @Select("SELECT " + COLUMNS + ", secret_sha256 FROM api_token WHERE id = #{id}")
        Map<String, Object> byId(@Param("id") String id);

        @Select("SELECT " + COLUMNS + " FROM api_token WHERE name = #{key} OR id = #{key}")
        Map<String, Object> byNameOrId(@Param("key") String key);

        @Update("UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = #{id}")
        int revoke(@Param("id") String id);

        @Update("UPDATE api_token SET last_used_at = date_trunc('minute', now()) WHERE id = #{id} "
                + "AND (last_used_at IS NULL OR last_used_at < date_trunc('minute', now()))")
        int used(@Param("id") String id);
    }

    interface AuditSql {
        @Insert("INSERT INTO audit_log (actor, role, source, action, target, detail) "
                + "VALUES (#{actor}, #{role}, #{source}, #{action}, #{target}, CAST(#{detail} AS jsonb))")
        int insert(@Param("actor") String actor, @Param("role") String role, @Param("source") String source,
                   @Param("action") String action, @Param("target") String target, @Param("detail") String detail);

        @Select("SELECT seq, at, actor, role, source, action, target, detail::text AS detail FROM audit_log "
                + "WHERE seq > #{after} ORDER BY seq LIMIT #{limit}")
        List<Map<String, Object>> after(@Param("after") long after, @Param("limit") int limit);

        @Delete("DELETE FROM audit_log WHERE at < now() - make_interval(days => #{days})")
        int trim(@Param("days") int days);
    }

    interface HardwareSql {
        @Insert("INSERT INTO hardware (id, data) VALUES (#{id}, CAST(#{data} AS jsonb)) "
                + "ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, version = hardware.version + 1, updated_at = now()")
        int upsert(@Param("id") String id, @Param("data") String data);

        @Delete("DELETE FROM hardware_interface WHERE hardware_id = #{id}")
        int clearInterfaces(@Param("id") String id);

        @Insert("INSERT INTO hardware_interface (hardware_id, mac, ip) VALUES (#{id}, CAST(#{mac} AS macaddr), CAST(#{ip} AS inet))")
        int addInterface(@Param("id") String id, @Param("mac") String mac, @Param("ip") String ip);

        @Select("SELECT data::text FROM hardware WHERE id = #{id}")
        String get(@Param("id") String id);

        @Select("SELECT data::text FROM hardware WHERE id > #{after} ORDER BY id LIMIT #{limit}")
        List<String> page(@Param("after") String after, @Param("limit") int limit);

        @Select("SELECT data::text FROM hardware")
        List<String> all();

        @Select("SELECT hardware_id FROM hardware_interface WHERE mac = CAST(#{mac} AS macaddr)")
        String ownerOfMac(@Param("mac") String mac);

        @Select("SELECT hardware_id FROM hardware_interface WHERE ip = CAST(#{ip} AS inet)")
        String ownerOfIp(@Param("ip") String ip);

        @Delete("DELETE FROM hardware WHERE id = #{id}")
        int delete(@Param("id") String id);
    }

    interface TemplateSql {
        String SELECT = "SELECT t.id, t.name, r.revision, r.data, t.created_at, r.created_at AS updated_at "
                + "FROM template t JOIN template_revision r ON r.template_id = t.id ";

        @Insert("INSERT INTO template (id, name, revision) VALUES (#{id}, #{name}, 1)")
        int insert(@Param("id") String id, @Param("name") String name);

        @Insert("INSERT INTO template_revision (template_id, revision, data) VALUES (#{id}, #{revision}, #{data})")
        int insertRevision(@Param("id") String id, @Param("revision") int revision, @Param("data") String data);

        @Update("UPDATE template SET revision = revision + 1, updated_at = now() WHERE id = #{id} AND revision = #{expected}")
        int bump(@Param("id") String id, @Param("expected") int expected);

        @Select(SELECT + "AND r.revision = t.revision WHERE t.id = #{key} OR t.name = #{key}")
        Map<String, Object> current(@Param("key") String key);

        @Select(SELECT + "AND r.revision = #{revision} WHERE t.id = #{key} OR t.name = #{key}")
        Map<String, Object> revision(@Param("key") String key, @Param("revision") int revision);

        @Select(SELECT + "AND r.revision = t.revision WHERE t.name > #{after} ORDER BY t.name LIMIT #{limit}")
        List<Map<String, Object>> page(@Param("after") String after, @Param("limit") int limit);

        @Delete("DELETE FROM template WHERE id = #{id}")
        int delete(@Param("id") String id);
    }

    interface WorkflowSql {
        String SELECT = "SELECT id, template_id, template_revision, hardware_map::text, state, current_action, "
                + "created_at, started_at, updated_at, version, plugins::text, boot_options::text FROM workflow ";

        @Select("SELECT rendered::text FROM workflow WHERE id = #{id}")
        String rendered(@Param("id") String id);

        @Select("SELECT state FROM workflow WHERE id = #{id}")
        String state(@Param("id") String id);

        @Insert("INSERT INTO workflow (id, template_id, template_revision, hardware_map, rendered, state, current_action, "
                + "global_timeout_seconds, created_at, updated_at, plugins, boot_options) "
                + "VALUES (#{w.id}, #{w.templateId}, #{w.templateRevision}, CAST(#{hardwareMap} AS jsonb), CAST(#{rendered} AS jsonb), "
                + "#{w.state}, #{w.currentAction}, #{w.template.globalTimeout}, now(), now(), CAST(#{plugins} AS jsonb), "
                + "CAST(#{bootOptions} AS jsonb))")
        int insert(@Param("w") io.ironbell.api.workflow.Workflow w, @Param("hardwareMap") String hardwareMap,
                   @Param("rendered") String rendered, @Param("plugins") String plugins, @Param("bootOptions") String bootOptions);

        @Insert("INSERT INTO action_state (workflow_id, idx, task, name, worker, state, attempts, started_at, finished_at, message, "
                + "progress, timeout_seconds) "
                + "VALUES (#{id}, #{idx}, #{a.task}, #{a.name}, #{a.worker}, #{a.state}, #{a.attempts}, "
                + "#{startedAt}, #{finishedAt}, #{a.message}, CAST(#{progress} AS jsonb), #{timeout})")
        int insertAction(@Param("id") String id, @Param("idx") int idx, @Param("a") io.ironbell.api.workflow.ActionStatus a,
                         @Param("startedAt") java.sql.Timestamp startedAt, @Param("finishedAt") java.sql.Timestamp finishedAt,
                         @Param("progress") String progress, @Param("timeout") Integer timeout);

        @Select("SELECT DISTINCT w.id FROM workflow w JOIN action_state a ON a.workflow_id = w.id AND a.idx = w.current_action "
                + "WHERE w.state = 'RUNNING' AND ((a.state = 'RUNNING' AND a.timeout_seconds IS NOT NULL "
                + "AND a.started_at + make_interval(secs => a.timeout_seconds) < now()) "
                + "OR (w.global_timeout_seconds IS NOT NULL AND w.started_at + make_interval(secs => w.global_timeout_seconds) < now())) "
                + "LIMIT #{limit}")
        List<String> overdue(@Param("limit") int limit);

        @Update("UPDATE workflow SET state = #{w.state}, current_action = #{w.currentAction}, started_at = #{startedAt}, "
                + "updated_at = #{updatedAt}, version = version + 1 WHERE id = #{w.id} AND version = #{w.version}")
        int update(@Param("w") io.ironbell.api.workflow.Workflow w, @Param("startedAt") java.sql.Timestamp startedAt,
                   @Param("updatedAt") java.sql.Timestamp updatedAt);

        /**
         * Writes the actions' states from a JSON array of rows (idx, state, attempts, started_at,
         * finished_at, message, progress), touching only the rows that differ: a report changes
         * one action or two of many, and an unchanged row costs neither a write nor a WAL record.
         */
        @Update("UPDATE action_state a SET state = v.state, attempts = v.attempts, started_at = v.started_at, "
                + "finished_at = v.finished_at, message = v.message, progress = v.progress "
                + "FROM jsonb_to_recordset(CAST(#{rows} AS jsonb)) AS v(idx int, state text, attempts int, started_at timestamptz, "
                + "finished_at timestamptz, message text, progress jsonb) "
                + "WHERE a.workflow_id = #{id} AND a.idx = v.idx AND (a.state, a.attempts, a.started_at, a.finished_at, a.message, a.progress) "
                + "IS DISTINCT FROM (v.state, v.attempts, v.started_at, v.finished_at, v.message, v.progress)")
        int updateActions(@Param("id") String id, @Param("rows") String rows);

        /**
         * Hands the pending action to its worker in one statement: the action RUNNING (one more
         * attempt), the workflow RUNNING, and the event saying so; 0 when it was no longer pending.
         */
        @Select("WITH c AS (UPDATE action_state SET state = 'RUNNING', attempts = attempts + 1, started_at = now(), finished_at = NULL "
                + "WHERE workflow_id = #{id} AND idx = #{idx} AND state = 'PENDING' RETURNING worker, task, name, attempts), "
                + "r AS (UPDATE workflow SET state = 'RUNNING', started_at = coalesce(started_at, now()), updated_at = now(), "
                + "version = version + 1 WHERE id = #{id} AND EXISTS (SELECT 1 FROM c) RETURNING id), "
                + "e AS (INSERT INTO workflow_event (workflow_id, worker, task, action, state, message) "
                + "SELECT #{id}, worker, task, name, 'RUNNING', CASE WHEN attempts > 1 THEN 'attempt ' || attempts || ' handed to the worker' "
                + "ELSE 'handed to the worker' END FROM c RETURNING seq) "
                + "SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM r) + (SELECT count(*) FROM e)")
        int claim(@Param("id") String id, @Param("idx") int idx);

        @Select(SELECT + "WHERE id = #{id}")
        Map<String, Object> get(@Param("id") String id);

        @Select("SELECT workflow_id, idx, task, name, worker, state, attempts, started_at, finished_at, message, progress::text "
                + "FROM action_state WHERE workflow_id = #{id} ORDER BY idx")
        List<Map<String, Object>> actions(@Param("id") String id);

        @Select(SELECT + "ORDER BY created_at DESC, id DESC LIMIT #{limit}")
        List<Map<String, Object>> first(@Param("limit") int limit);

        @Select(SELECT + "WHERE (created_at, id) < (CAST(#{at} AS timestamptz), #{id}) ORDER BY created_at DESC, id DESC LIMIT #{limit}")
        List<Map<String, Object>> after(@Param("at") String at, @Param("id") String id, @Param("limit") int limit);

        /**
         * The worker's running action, else its due one, locked; a row another claimer holds is
         * skipped, not waited for.
         */
        @Select("SELECT w.id AS workflow_id, a.idx, a.state FROM workflow w "
                + "JOIN action_state a ON a.workflow_id = w.id AND a.idx = w.current_action "
                // "not ended" rather than "PENDING or RUNNING": the partial index of active workflows must not drive the join
                // (with statistics from a quiet moment the planner scans every active workflow for each of the worker's actions)
                + "WHERE a.worker = #{worker} AND a.state IN ('PENDING', 'RUNNING') AND w.state NOT IN ('SUCCESS', 'FAILED', 'TIMEOUT', 'CANCELLED') "
                + "ORDER BY a.state DESC, w.created_at, w.id LIMIT 1 FOR UPDATE OF w SKIP LOCKED")
        Map<String, Object> lockDue(@Param("worker") String worker);


        @Select("SELECT data::text FROM workflow WHERE id = #{id}")
        String data(@Param("id") String id);

        @Update("UPDATE workflow SET data = CAST(#{data} AS jsonb), updated_at = now() WHERE id = #{id}")
        int putData(@Param("id") String id, @Param("data") String data);

        @Delete("DELETE FROM workflow WHERE id = #{id}")
        int delete(@Param("id") String id);
    }

    interface EventSql {
        @Select("INSERT INTO workflow_event (workflow_id, worker, task, action, state, message) "
                + "VALUES (#{e.workflowId}, #{e.worker}, #{e.task}, #{e.action}, #{e.state}, #{e.message}) RETURNING seq, at")
        Map<String, Object> insert(@Param("e") io.ironbell.api.workflow.WorkflowEvent e);

        /** Many events in one statement, from a JSON array of rows (workflow_id, worker, task, action, state, message), in order. */
        @Insert("INSERT INTO workflow_event (workflow_id, worker, task, action, state, message) "
                + "SELECT e.workflow_id, e.worker, e.task, e.action, e.state, e.message "
                + "FROM ROWS FROM (jsonb_to_recordset(CAST(#{rows} AS jsonb)) AS (workflow_id text, worker text, task text, action text, "
                + "state text, message text)) WITH ORDINALITY AS e(workflow_id, worker, task, action, state, message, n) ORDER BY e.n")
        int insertAll(@Param("rows") String rows);

        @Select("SELECT seq, workflow_id, worker, task, action, state, message, at FROM workflow_event "
                + "WHERE workflow_id = #{id} AND seq > #{after} ORDER BY seq LIMIT #{limit}")
        List<Map<String, Object>> after(@Param("id") String id, @Param("after") long after, @Param("limit") int limit);
    }

    interface LogSql {
        @Insert("INSERT INTO machine_log (machine, at, source, severity, text) "
                + "VALUES (#{l.machine}, #{at}, #{l.source}, #{l.severity}, #{l.text})")
        int insert(@Param("l") io.ironbell.api.log.LogLine l, @Param("at") java.sql.Timestamp at);

        @Delete("DELETE FROM machine_log WHERE machine = #{machine} AND seq <= "
                + "(SELECT seq FROM machine_log WHERE machine = #{machine} ORDER BY seq DESC OFFSET #{keep} LIMIT 1)")
        int trim(@Param("machine") String machine, @Param("keep") int keep);

        @Select("SELECT seq, machine, at, source, severity, text FROM machine_log "
                + "WHERE machine = #{machine} AND seq > #{after} ORDER BY seq LIMIT #{limit}")
        List<Map<String, Object>> after(@Param("machine") String machine, @Param("after") long after, @Param("limit") int limit);

        @Select("SELECT * FROM (SELECT seq, machine, at, source, severity, text FROM machine_log "
                + "WHERE machine = #{machine} ORDER BY seq DESC LIMIT #{limit}) t ORDER BY seq")
        List<Map<String, Object>> tail(@Param("machine") String machine, @Param("limit") int limit);
    }

    interface LeaseSql {
        @Insert("INSERT INTO lease (mac, ip, hardware_id, state, expires_at, last_seen, client) "
                + "VALUES (CAST(#{mac} AS macaddr), CAST(#{ip} AS inet), #{hardwareId}, #{state}, #{expiresAt}, #{lastSeen}, #{client}) "
                + "ON CONFLICT (mac) DO UPDATE SET ip = EXCLUDED.ip, hardware_id = EXCLUDED.hardware_id, state = EXCLUDED.state, "
                + "expires_at = EXCLUDED.expires_at, last_seen = EXCLUDED.last_seen, client = EXCLUDED.client")
        int upsert(@Param("mac") String mac, @Param("ip") String ip, @Param("hardwareId") String hardwareId,
                   @Param("state") String state, @Param("expiresAt") java.sql.Timestamp expiresAt,
                   @Param("lastSeen") java.sql.Timestamp lastSeen, @Param("client") String client);

        @Select("SELECT mac::text, host(ip) AS ip, hardware_id, state, expires_at, last_seen, client FROM lease "
                + "WHERE mac = CAST(#{mac} AS macaddr)")
        Map<String, Object> get(@Param("mac") String mac);
    }
}
