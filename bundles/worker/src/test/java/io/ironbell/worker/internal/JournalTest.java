package io.ironbell.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.workflow.ActionReport;
import io.ironbell.api.workflow.ExecutionState;
import io.ironbell.api.workflow.WorkerAction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    private static WorkerAction action(int index, int attempt) {
        return new WorkerAction("wf", index, "t", "a" + index, "img", List.of(), List.of(), Map.of(), null, 60, attempt, false);
    }

    @Test
    void aStartedRunAndUndeliveredReportsSurviveARestart(@TempDir Path dir) throws Exception {
        Journal j = new Journal(dir);
        j.started(action(0, 1));
        Journal reopened = new Journal(dir);
        assertTrue(reopened.running().orElseThrow().is(action(0, 1)));
        assertFalse(reopened.running().orElseThrow().is(action(0, 2)), "a retry is another run");

        reopened.finished(new ActionReport("wf", 0, ExecutionState.SUCCESS, "done", null));
        j.started(action(1, 1));
        reopened = new Journal(dir);
        reopened.finished(new ActionReport("wf", 1, ExecutionState.FAILED, "broke", null));
        assertTrue(reopened.running().isEmpty(), "a final report ends the run");
        List<Journal.Pending> pending = new Journal(dir).pending();
        assertEquals(List.of(0, 1), pending.stream().map(p -> p.report().actionIndex()).toList(), "oldest first, across restarts");
        reopened.delivered(pending.get(0));
        assertEquals(1, new Journal(dir).pending().size());
    }
}
