package __PACKAGE__;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.action.ActionType;
import org.osgi.service.component.annotations.Component;

/**
 * The action {@code __TYPE__}: templates whose action names {@code image: __IMAGE__:TAG} run here.
 * It reads its settings from the action's environment, logs what it does (the lines reach
 * {@code ironbell logs}), and ends with a result or an {@link ActionException} that says why.
 */
@Component(service = ActionPlugin.class)
@ActionType("__TYPE__")
@ActionImages("__IMAGE__")
public final class __CLASS__ implements ActionPlugin {

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String target = ctx.requireEnv("TARGET");
        ctx.checkCancelled();
        ctx.log("__TYPE__: working on " + target + " for " + ctx.workerId());
        return ActionResult.success("__TYPE__ done on " + target);
    }
}
