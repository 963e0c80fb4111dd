package __PACKAGE__;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionResult;
import io.ironbell.testing.TestActionContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The action run as the worker runs it, with a test context in place of the worker's. */
class __CLASS__Test {

    @Test
    void worksOnTheTarget() throws Exception {
        TestActionContext ctx = new TestActionContext("__IMAGE__:1.0.0", Map.of("TARGET", "/dev/sda"));
        ActionResult r = new __CLASS__().execute(ctx);
        assertEquals("__TYPE__ done on /dev/sda", r.message());
        assertTrue(ctx.lines.stream().anyMatch(l -> l.contains("working on /dev/sda")), ctx.lines.toString());
    }

    @Test
    void withoutTargetItSaysWhatIsMissing() {
        ActionException e = assertThrows(ActionException.class,
                () -> new __CLASS__().execute(new TestActionContext("__IMAGE__:1.0.0", Map.of())));
        assertTrue(e.getMessage().contains("TARGET"), e.getMessage());
    }
}
