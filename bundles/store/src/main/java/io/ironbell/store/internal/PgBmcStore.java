package io.ironbell.store.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.ironbell.api.bmc.BmcJob;
import io.ironbell.api.bmc.BmcJobEvent;
import io.ironbell.api.bmc.BmcMachine;
import io.ironbell.api.bmc.BmcStore;
import io.ironbell.api.bmc.BmcTask;
import io.ironbell.api.bmc.PowerState;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** BMC machines, jobs and their events in {@code bmc_machine}, {@code bmc_job} and {@code bmc_event}. */
@Component(service = BmcStore.class)
public final class PgBmcStore implements BmcStore {

    private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {
    };
    private static final TypeReference<List<BmcTask>> TASKS = new TypeReference<>() {
    };

    private final Database db;

    @Activate
    public PgBmcStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public BmcMachine putMachine(BmcMachine m) throws StoreException {
        return db.tx(s -> {
            Mappers.BmcSql sql = s.getMapper(Mappers.BmcSql.class);
            sql.putMachine(m, Rows.json(m.options()));
            return machine(sql.machine(m.name()));
        });
    }

    @Override
    public Optional<BmcMachine> machine(String name) throws StoreException {
        return Optional.ofNullable(db.tx(s -> machine(s.getMapper(Mappers.BmcSql.class).machine(name))));
    }

    @Override
    public Optional<BmcMachine> machineOf(String hardwareId) throws StoreException {
        return Optional.ofNullable(db.tx(s -> machine(s.getMapper(Mappers.BmcSql.class).machineOf(hardwareId))));
    }

    @Override
    public List<BmcMachine> machines() throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.BmcSql.class).machines().stream().map(PgBmcStore::machine).toList());
    }

    @Override
    public void deleteMachine(String name) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.BmcSql.class).deleteMachine(name) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no BMC machine " + name);
            }
            return null;
        });
    }

    @Override
    public void recordPower(String name, PowerState state, boolean contactable, String message) throws StoreException {
        db.tx(s -> s.getMapper(Mappers.BmcSql.class).recordPower(name, state.name(), contactable, message));
    }

    @Override
    public List<BmcMachine> claimPowerChecks(Duration every, int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.BmcSql.class).claimPowerChecks(every.toMillis() / 1000.0, limit).stream()
                .map(PgBmcStore::machine).toList());
    }

    @Override
    public BmcJob createJob(BmcJob job) throws StoreException {
        if (!createJobIfAbsent(job)) {
            throw new StoreException(Reason.CONFLICT, "a BMC job named " + job.id() + " exists");
        }
        return job(job.id()).orElseThrow();
    }

    @Override
    public boolean createJobIfAbsent(BmcJob job) throws StoreException {
        return db.tx(s -> {
            Mappers.BmcSql sql = s.getMapper(Mappers.BmcSql.class);
            if (sql.machine(job.machine()) == null) {
                throw new StoreException(Reason.NOT_FOUND, "no BMC machine " + job.machine() + " for job " + job.id());
            }
            return sql.insertJob(job, Rows.json(job.tasks())) == 1;
        });
    }

    @Override
    public Optional<BmcJob> job(String id) throws StoreException {
        return Optional.ofNullable(db.tx(s -> job(s.getMapper(Mappers.BmcSql.class).job(id))));
    }

    @Override
    public List<BmcJob> jobs(String machine, int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.BmcSql.class).jobs(machine, limit).stream().map(PgBmcStore::job).toList());
    }

    @Override
    public void deleteJob(String id) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.BmcSql.class).deleteJob(id) == 0) {
                throw new StoreException(Reason.NOT_FOUND, "no BMC job " + id);
            }
            return null;
        });
    }

    @Override
    public List<BmcJob> claimJobs(String instance, Duration lease, int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.BmcSql.class).claimJobs(instance, lease.toMillis() / 1000.0, limit).stream()
                .map(PgBmcStore::job).toList());
    }

    @Override
    public void renewJobs(String instance, List<String> ids, Duration lease) throws StoreException {
        if (!ids.isEmpty()) {
            db.tx(s -> s.getMapper(Mappers.BmcSql.class).renew(instance, ids, lease.toMillis() / 1000.0));
        }
    }

    @Override
    public void updateJob(String instance, BmcJob job) throws StoreException {
        db.tx(s -> {
            if (s.getMapper(Mappers.BmcSql.class).updateJob(instance, job, Rows.json(job.tasks()), Rows.timestamp(job.startedAt()),
                    Rows.timestamp(job.finishedAt())) == 0) {
                throw new StoreException(Reason.STALE, "BMC job " + job.id() + " is no longer claimed by " + instance);
            }
            return null;
        });
    }

    @Override
    public BmcJobEvent addEvent(String jobId, Integer task, String type, String message) throws StoreException {
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.BmcSql.class).addEvent(jobId, task, type, message));
        if (row == null) {
            throw new StoreException(Reason.NOT_FOUND, "no BMC job " + jobId);
        }
        return event(row);
    }

    @Override
    public List<BmcJobEvent> events(String jobId, long after, int limit) throws StoreException {
        return db.tx(s -> s.getMapper(Mappers.BmcSql.class).events(jobId, after, limit).stream().map(PgBmcStore::event).toList());
    }

    private static BmcMachine machine(Map<String, Object> r) {
        if (r == null) {
            return null;
        }
        Object contactable = r.get("contactable");
        return new BmcMachine(Rows.str(r, "name"), Rows.str(r, "namespace"), Rows.str(r, "host"), Rows.integer(r, "port"),
                Rows.str(r, "driver"), Rows.str(r, "auth_secret"), Boolean.TRUE.equals(r.get("insecure_tls")), Rows.str(r, "ca_pem"),
                Rows.fromJson(Rows.str(r, "options"), STRINGS), Rows.str(r, "hardware_id"), PowerState.valueOf(Rows.str(r, "power_state")),
                Rows.instant(r, "power_checked_at"), contactable == null ? null : (Boolean) contactable, Rows.str(r, "message"),
                Rows.instant(r, "created_at"), Rows.instant(r, "updated_at"));
    }

    private static BmcJob job(Map<String, Object> r) {
        if (r == null) {
            return null;
        }
        return new BmcJob(Rows.str(r, "id"), Rows.str(r, "namespace"), Rows.str(r, "machine"), Rows.str(r, "workflow_id"),
                BmcJob.State.valueOf(Rows.str(r, "state")), Rows.fromJson(Rows.str(r, "tasks"), TASKS), Rows.integer(r, "task_timeout_seconds"),
                Rows.integer(r, "max_attempts"), Rows.str(r, "message"), Rows.instant(r, "created_at"), Rows.instant(r, "started_at"),
                Rows.instant(r, "finished_at"));
    }

    private static BmcJobEvent event(Map<String, Object> r) {
        Object task = r.get("task");
        return new BmcJobEvent(Rows.str(r, "job_id"), Rows.longValue(r, "seq"), Rows.instant(r, "at"),
                task == null ? null : ((Number) task).intValue(), Rows.str(r, "type"), Rows.str(r, "message"));
    }
}
