package io.ironbell.action.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs any container-image action, as Tinkerbell's worker does, through docker-java against a
 * Docker-compatible engine (Docker, or Podman's Docker API): the image pulled when missing, the
 * container created with the action's environment, command, volumes and {@code pid: host},
 * privileged and on the host's network, its output sent line by line as the action's log, its
 * exit code the action's outcome; stopped at the action's deadline or when it is cancelled, and
 * always removed. The worker hands it every image that no native plugin claims. The engine:
 * {@code DOCKER_HOST} in the action's environment, else {@code dockerHost} (PID
 * {@code io.ironbell.action.container}), else Docker's or Podman's usual socket.
 */
@Component(service = ActionPlugin.class, property = ActionPlugin.TYPE + "=container", configurationPid = ContainerAction.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ContainerAction.Config.class)
public final class ContainerAction implements ActionPlugin {

    static final String PID = "io.ironbell.action.container";
    static final List<String> SOCKETS = List.of("/var/run/docker.sock", "/run/podman/podman.sock");

    @ObjectClassDefinition(name = "Ironbell container action", description = "where the container engine is")
    public @interface Config {
        @AttributeDefinition(description = "unix:///path/to.sock or tcp://host:port; empty: Docker's or Podman's usual socket")
        String dockerHost() default "";
    }

    private final String configured;

    @Activate
    public ContainerAction(Config config) {
        this.configured = config.dockerHost().trim();
    }

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String host = ctx.env("DOCKER_HOST").orElse(configured.isEmpty() ? defaultHost() : configured);
        String image = ctx.image();
        DockerClient docker = connect(host, image);
        try {
            pullIfMissing(docker, ctx, image);
            String id = create(docker, ctx, image);
            try {
                return run(docker, ctx, id, image);
            } finally {
                try {
                    docker.removeContainerCmd(id).withForce(true).exec();
                } catch (RuntimeException e) {
                    ctx.log("container " + id.substring(0, 12) + " could not be removed: " + e.getMessage());
                }
            }
        } finally {
            try {
                docker.close();
            } catch (IOException ignored) {
                // the connection goes with the client
            }
        }
    }

    private static String defaultHost() {
        for (String s : SOCKETS) {
            if (Files.exists(Path.of(s))) {
                return "unix://" + s;
            }
        }
        return "unix://" + SOCKETS.get(0);
    }

    private static DockerClient connect(String host, String image) throws ActionException {
        DockerClient docker;
        try {
            DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
            ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                    .connectionTimeout(Duration.ofSeconds(5)).responseTimeout(Duration.ofMinutes(30)).build();
            docker = DockerClientImpl.getInstance(config, http);
        } catch (RuntimeException e) {
            throw unavailable(host, image, e);
        }
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            throw unavailable(host, image, e);
        }
        return docker;
    }

    private static ActionException unavailable(String host, String image, RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new ActionException(Reason.UNAVAILABLE, "no Docker-compatible engine at " + host + " (" + (root.getMessage() == null
                ? root.getClass().getSimpleName() : root.getMessage()) + "); image " + image + " has no native plugin, so it needs a container engine (set DOCKER_HOST)");
    }

    private static void pullIfMissing(DockerClient docker, ActionContext ctx, String image) throws ActionException, InterruptedException {
        try {
            docker.inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException e) {
            ctx.log("pulling " + image);
        }
        try {
            long left = Math.max(1, Duration.between(Instant.now(), ctx.deadline()).toSeconds());
            if (!docker.pullImageCmd(image).exec(new PullImageResultCallback()).awaitCompletion(left, TimeUnit.SECONDS)) {
                throw new ActionException(Reason.TIMEOUT, "pulling " + image + " did not finish before the action's deadline");
            }
        } catch (RuntimeException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot pull " + image + ": " + e.getMessage());
        }
    }

    private static String create(DockerClient docker, ActionContext ctx, String image) throws ActionException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : ctx.environment().entrySet()) {
            env.add(e.getKey() + "=" + (e.getValue() == null ? "" : e.getValue()));
        }
        List<Bind> binds = new ArrayList<>();
        for (String v : ctx.volumes()) {
            try {
                binds.add(Bind.parse(v));
            } catch (IllegalArgumentException e) {
                throw new ActionException(Reason.INVALID_INPUT, "volume '" + v + "' is not host:container[:ro]");
            }
        }
        HostConfig host = HostConfig.newHostConfig().withBinds(binds).withPrivileged(true).withNetworkMode("host");
        ctx.pid().ifPresent(host::withPidMode);
        String name = "ironbell-" + ctx.actionName().replaceAll("[^a-zA-Z0-9_.-]", "-") + "-" + UUID.randomUUID().toString().substring(0, 8);
        CreateContainerCmd cmd = docker.createContainerCmd(image).withName(name).withEnv(env).withHostConfig(host);
        if (!ctx.command().isEmpty()) {
            cmd.withCmd(ctx.command());
        }
        try {
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot create a container of " + image + ": " + e.getMessage());
        }
    }

    private static ActionResult run(DockerClient docker, ActionContext ctx, String id, String image) throws ActionException, InterruptedException {
        long start = System.nanoTime();
        try {
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot start the container of " + image + ": " + e.getMessage());
        }
        AtomicReference<String> last = new AtomicReference<>("");
        ResultCallback.Adapter<Frame> logs = docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true)
                .exec(new ResultCallback.Adapter<>() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public void onNext(Frame frame) {
                        partial.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        int nl;
                        while ((nl = partial.indexOf("\n")) >= 0) {
                            String line = partial.substring(0, nl);
                            partial.delete(0, nl + 1);
                            ctx.log(line);
                            if (!line.isBlank()) {
                                last.set(line);
                            }
                        }
                    }

                    @Override
                    public void onComplete() {
                        if (partial.length() > 0) {
                            ctx.log(partial.toString());
                            last.set(partial.toString());
                        }
                        super.onComplete();
                    }
                });
        Integer code = null;
        while (code == null) {
            if (ctx.isCancelled() || Instant.now().isAfter(ctx.deadline())) {
                boolean timedOut = !ctx.isCancelled();
                try {
                    docker.killContainerCmd(id).exec();
                } catch (RuntimeException e) {
                    // it may have just ended
                }
                throw new ActionException(timedOut ? Reason.TIMEOUT : Reason.CANCELLED, "container " + image + (timedOut
                        ? " ran past the action's timeout of " + ctx.timeout().toSeconds() + " s" : " was cancelled") + "; it was killed");
            }
            // polling the state: a long-held wait request is what engines and proxies cut first
            try {
                InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec().getState();
                if (!Boolean.TRUE.equals(state.getRunning()) && state.getFinishedAt() != null && !state.getFinishedAt().startsWith("0001")) {
                    code = state.getExitCodeLong() == null ? -1 : state.getExitCodeLong().intValue();
                    break;
                }
            } catch (RuntimeException e) {
                throw new ActionException(Reason.INTERNAL, "cannot follow the container of " + image + ": " + e.getMessage());
            }
            Thread.sleep(250);
        }
        try {
            logs.awaitCompletion(5, TimeUnit.SECONDS); // the last lines
        } finally {
            try {
                logs.close();
            } catch (IOException ignored) {
                // done with it
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (code != 0) {
            throw new ActionException(Reason.TARGET_FAILED, String.format(Locale.ROOT, "container %s exited %d after %.1f s%s", image, code, seconds,
                    last.get().isEmpty() ? "" : "; last line: " + last.get()));
        }
        return ActionResult.success(String.format(Locale.ROOT, "container %s exited 0 after %.1f s", image, seconds));
    }
}
