package com.example.ironbell;

import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionImages;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import io.ironbell.api.workflow.ActionStatus.Progress;
import org.osgi.service.component.annotations.Component;

/**
 * A vendor's action: templates that name {@code image: ghcr.io/acme/hello:1} run here. It greets
 * {@code NAME}, then works for {@code SECONDS} seconds, reporting progress and stopping when
 * cancelled; {@code FAIL=true} makes it fail, as a real check would.
 */
@Component(service = ActionPlugin.class)
@ActionType("hello")
@ActionImages("ghcr.io/acme/hello")
public final class Hello implements ActionPlugin {

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String name = ctx.requireEnv("NAME");
        int seconds;
        try {
            seconds = Integer.parseInt(ctx.env("SECONDS").orElse("0"));
        } catch (NumberFormatException e) {
            throw new ActionException(ActionException.Reason.INVALID_INPUT, "SECONDS must be a whole number");
        }
        ctx.log("hello, " + name + ", from " + ctx.workerId());
        for (int i = 1; i <= seconds; i++) {
            ctx.checkCancelled();
            Thread.sleep(1000);
            ctx.progress(new Progress(i, seconds, 1));
        }
        if (ctx.env("FAIL").orElse("false").equals("true")) {
            throw new ActionException(ActionException.Reason.TARGET_FAILED, "the check failed, as FAIL=true asked");
        }
        return ActionResult.success("greeted " + name + " and worked " + seconds + " s");
    }
}
