package io.ironbell.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.cluster.ServerInstance;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

/** Two instances on a real PostgreSQL: both see each other by their heartbeats, one leads, and the other takes over when it goes. */
class PgClusterTest {

    private static PgCluster cluster(Database db, String name) {
        return new PgCluster(Converters.standardConverter().convert(Map.of("instance", name)).to(PgCluster.Config.class), db, null);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within 15 s");
            }
            Thread.sleep(50);
        }
    }

    @Test
    void oneOfTwoInstancesLeadsAndTheOtherTakesOverWhenItsSessionEnds() throws Exception {
        try (TestDatabase t = new TestDatabase()) {
            Database one = t.start(Map.of());
            Database two = t.start(Map.of());
            PgCluster a = cluster(one, "a");
            PgCluster b = cluster(two, "b");
            try {
                await("a leader", () -> a.leads() || b.leads());
                Thread.sleep(1500); // the other has tried for the lock since
                assertNotEquals(a.leads(), b.leads(), "exactly one leads");
                PgCluster leader = a.leads() ? a : b;
                PgCluster other = leader == a ? b : a;
                Database leaderDb = leader == a ? one : two;
                await("both see both", () -> a.instances().size() == 2 && b.instances().size() == 2
                        && a.instances().stream().allMatch(ServerInstance::alive));
                List<ServerInstance> seen = other.instances();
                assertEquals(other.self(), seen.get(0).id(), "itself first");
                ServerInstance l = seen.stream().filter(i -> i.id().equals(leader.self())).findFirst().orElseThrow();
                assertTrue(l.leader(), "the leader's heartbeat says so: " + seen);
                assertEquals(ProcessHandle.current().pid(), l.pid());

                // the leader's process dies: its session, and with it the lock, goes; the other leads within seconds
                long t0 = System.nanoTime();
                leader.deactivate();
                leaderDb.deactivate();
                await("the other to lead", other::leads);
                System.out.printf("cluster: the other instance led %d ms after the leader's session ended%n", (System.nanoTime() - t0) / 1_000_000);
                await("the leader's row gone", () -> other.instances().size() == 1);
                assertFalse(leader.leads());
            } finally {
                a.deactivate();
                b.deactivate();
                one.deactivate();
                two.deactivate();
            }
        }
    }
}
