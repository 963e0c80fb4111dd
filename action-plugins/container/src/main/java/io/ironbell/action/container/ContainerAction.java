package io.ironbell.action.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse.ContainerState;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.ironbell.api.action.ActionContext;
import io.ironbell.api.action.ActionException;
import io.ironbell.api.action.ActionException.Reason;
import io.ironbell.api.action.ActionPlugin;
import io.ironbell.api.action.ActionType;
import io.ironbell.api.action.ActionResult;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs any container-image action, as Tinkerbell's worker does, through docker-java against a
 * Docker-compatible engine (Docker, or Podman's Docker API): the image pulled when missing
 * ({@code REGISTRY_USERNAME}/{@code REGISTRY_PASSWORD} when the registry wants them), the
 * container created with the action's environment, command, volumes and {@code pid: host},
 * privileged and on the host's network, its output sent line by line as the action's log, its
 * exit code the action's outcome; killed at the action's deadline or when it is cancelled, and
 * always removed. Every container of a workflow sees the same directory as {@code /workflow}
 * (Tinkerbell's convention for handing files from one action to the next). The worker hands it every image that no native plugin claims.
 *
 * <p>The engine: {@code DOCKER_HOST} in the action's environment, else {@code dockerHost}
 * (PID {@value #PID}), else Docker's socket, else Podman's.
 */
@Component(service = ActionPlugin.class, configurationPid = ContainerAction.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@ActionType("container")
@Designate(ocd = ContainerAction.Config.class)
public final class ContainerAction implements ActionPlugin {

    static final String PID = "io.ironbell.action.container";
    /** Docker's socket, then Podman's. */
    static final List<String> SOCKETS = List.of("/var/run/docker.sock", "/run/podman/podman.sock");
    /** Pull credentials are the worker's business, as in Tinkerbell: they never reach the container. */
    static final Set<String> CREDENTIALS = Set.of("REGISTRY_USERNAME", "REGISTRY_PASSWORD");

    private static final Logger LOG = LoggerFactory.getLogger(ContainerAction.class);
    private static final Pattern HOST = Pattern.compile("unix:///.+|tcp://[^/]+");
    private static final Pattern ENGINE_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final long POLL_MILLIS = 250;

    /** Where the engine is. */
    @ObjectClassDefinition(name = "Ironbell container action", description = "where the container engine is")
    public @interface Config {
        /** The engine's address; empty: Docker's or Podman's usual socket. */
        @AttributeDefinition(description = "unix:///path/to.sock or tcp://host:port; empty: Docker's or Podman's usual socket."
                + " DOCKER_HOST in an action's environment wins.")
        String dockerHost() default "";

        /** Where each workflow's shared directory is made; every container of the workflow sees it as /workflow. */
        @AttributeDefinition(description = "the directory under which each workflow gets the directory its containers share as /workflow"
                + " (Tinkerbell's convention); empty: the JVM's temporary directory's ironbell-workflows")
        String workflowDir() default "";
    }

    /** Where a workflow's containers share files, as Tinkerbell's actions expect. */
    static final String WORKFLOW_MOUNT = "/workflow";

    private final String configured;
    private final Path workflows;

    @Activate
    public ContainerAction(Config config) {
        configured = config.dockerHost().trim();
        workflows = config.workflowDir().isBlank() ? Path.of(System.getProperty("java.io.tmpdir"), "ironbell-workflows")
                : Path.of(config.workflowDir().trim());
        if (!configured.isEmpty() && !HOST.matcher(configured).matches()) {
            LOG.error("dockerHost of {} must be unix:///path/to.sock or tcp://host:port, was '{}'", PID, configured);
            throw new IllegalArgumentException("dockerHost of " + PID + " must be unix:///path/to.sock or tcp://host:port, was '" + configured + "'");
        }
        LOG.info("container actions run on {}", configured.isEmpty() ? "DOCKER_HOST, else " + String.join(" or ", SOCKETS) : configured);
    }

    @Override
    public ActionResult execute(ActionContext ctx) throws ActionException, InterruptedException {
        String image = ctx.image();
        String host = host(ctx);
        AuthConfig auth = auth(ctx, image);
        List<Bind> binds = binds(ctx);
        if (binds.stream().noneMatch(b -> b.getVolume().getPath().equals(WORKFLOW_MOUNT))) {
            binds.add(new Bind(shared(ctx).toString(), new com.github.dockerjava.api.model.Volume(WORKFLOW_MOUNT)));
        }
        try (Engine engine = Engine.connect(host, image)) {
            pullIfMissing(engine, ctx, image, auth);
            String id = create(engine.commands, ctx, image, binds);
            try {
                return run(engine, ctx, id, image);
            } finally {
                remove(engine.commands, ctx, id);
            }
        }
    }

    /** The workflow's shared directory, made on first use. */
    private Path shared(ActionContext ctx) throws ActionException {
        String id = ctx.workflowId().replaceAll("[^A-Za-z0-9_.-]", "_");
        Path dir = workflows.resolve(id);
        try {
            Files.createDirectories(dir);
            return dir;
        } catch (java.io.IOException e) {
            throw new ActionException(Reason.UNAVAILABLE, "cannot make the workflow's shared directory " + dir + ": " + e.getMessage());
        }
    }

    private String host(ActionContext ctx) throws ActionException {
        String fromEnv = ctx.env("DOCKER_HOST").map(String::trim).orElse(null);
        if (fromEnv != null) {
            if (!HOST.matcher(fromEnv).matches()) {
                throw new ActionException(Reason.INVALID_INPUT, "DOCKER_HOST must be unix:///path/to.sock or tcp://host:port, was '" + fromEnv + "'");
            }
            return fromEnv;
        }
        if (!configured.isEmpty()) {
            return configured;
        }
        for (String s : SOCKETS) {
            if (Files.exists(Path.of(s))) {
                return "unix://" + s;
            }
        }
        return "unix://" + SOCKETS.get(0);
    }

    private static AuthConfig auth(ActionContext ctx, String image) throws ActionException {
        String user = ctx.env("REGISTRY_USERNAME").orElse(null);
        if (user == null) {
            return null;
        }
        String password = ctx.env("REGISTRY_PASSWORD").orElseThrow(() -> new ActionException(Reason.INVALID_INPUT,
                "REGISTRY_PASSWORD is required with REGISTRY_USERNAME"));
        return new AuthConfig().withUsername(user).withPassword(password).withRegistryAddress(registry(image));
    }

    /** The registry part of an image name, as Docker reads it: a first segment with a dot, a port or localhost. */
    static String registry(String image) {
        int slash = image.indexOf('/');
        String first = slash < 0 ? "" : image.substring(0, slash);
        return first.contains(".") || first.contains(":") || first.equals("localhost") ? first : "https://index.docker.io/v1/";
    }

    /** Whether the name carries a tag or digest; the Docker API pulls every tag of a name without one. */
    static boolean tagged(String image) {
        return image.contains("@") || image.substring(image.lastIndexOf('/') + 1).contains(":");
    }

    private static void pullIfMissing(Engine engine, ActionContext ctx, String image, AuthConfig auth) throws ActionException, InterruptedException {
        try {
            engine.commands.inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException e) {
            ctx.log("pulling " + image + (auth == null ? "" : " as " + auth.getUsername()));
        } catch (RuntimeException e) {
            throw new ActionException(Reason.UNAVAILABLE, "cannot look up image " + image + " in the engine: " + reason(e));
        }
        long start = System.nanoTime();
        PullImageCmd cmd = engine.streams.pullImageCmd(image);
        if (!tagged(image)) {
            cmd.withTag("latest");
        }
        if (auth != null) {
            cmd.withAuthConfig(auth);
        }
        Pull pull = cmd.exec(new Pull());
        try {
            while (!pull.ended.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                ActionException due = due(ctx, "pulling " + image);
                if (due != null) {
                    throw due;
                }
            }
        } finally {
            closeQuietly(pull);
        }
        if (pull.error != null) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot pull " + image + ": " + pull.error);
        }
        try {
            engine.commands.inspectImageCmd(image).exec(); // engines do not all say "done" alike; having the image is what counts
        } catch (RuntimeException e) {
            throw new ActionException(Reason.SOURCE_UNAVAILABLE, "cannot pull " + image + ": the engine has no such image after the pull (" + reason(e) + ")");
        }
        ctx.log(String.format(Locale.ROOT, "pulled %s in %.1f s", image, (System.nanoTime() - start) / 1e9));
    }

    private static List<Bind> binds(ActionContext ctx) throws ActionException {
        List<Bind> binds = new ArrayList<>();
        for (String v : ctx.volumes()) {
            try {
                binds.add(Bind.parse(v));
            } catch (IllegalArgumentException e) {
                throw new ActionException(Reason.INVALID_INPUT, "volume '" + v + "' is not host:container[:ro]");
            }
        }
        return binds;
    }

    private static String create(DockerClient docker, ActionContext ctx, String image, List<Bind> binds) throws ActionException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : ctx.environment().entrySet()) {
            if (!CREDENTIALS.contains(e.getKey())) {
                env.add(e.getKey() + "=" + (e.getValue() == null ? "" : e.getValue()));
            }
        }
        HostConfig host = HostConfig.newHostConfig().withBinds(binds).withPrivileged(true).withNetworkMode("host");
        ctx.pid().ifPresent(host::withPidMode);
        String name = "ironbell-" + ctx.actionName().replaceAll("[^a-zA-Z0-9_.-]", "-") + "-" + UUID.randomUUID().toString().substring(0, 8);
        CreateContainerCmd cmd = docker.createContainerCmd(image).withName(name).withEnv(env).withHostConfig(host)
                .withLabels(Map.of("io.ironbell.workflow", ctx.workflowId(), "io.ironbell.action", ctx.actionName()));
        if (!ctx.command().isEmpty()) {
            cmd.withCmd(ctx.command());
        }
        try {
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot create a container of " + image + ": " + reason(e));
        }
    }

    private static ActionResult run(Engine engine, ActionContext ctx, String id, String image) throws ActionException, InterruptedException {
        long start = System.nanoTime();
        try {
            engine.commands.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            throw new ActionException(Reason.TARGET_FAILED, "cannot start the container of " + image + ": " + reason(e));
        }
        OutputLines output = engine.streams.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true)
                .exec(new OutputLines(ctx::log));
        try {
            Long code;
            // polling the state, not a wait request: a long-held request is what engines and proxies cut first
            while ((code = exitCode(engine.commands, id, image)) == null) {
                ActionException due = due(ctx, "container " + image);
                if (due != null) {
                    kill(engine.commands, id);
                    throw new ActionException(due.reason(), due.getMessage() + "; it was killed");
                }
                Thread.sleep(POLL_MILLIS);
            }
            try {
                output.awaitCompletion(5, TimeUnit.SECONDS); // its last lines
            } catch (RuntimeException e) {
                ctx.log("the container's output was cut short: " + reason(e)); // its exit code still tells how it ended
            }
            if (code != 0) {
                throw new ActionException(Reason.TARGET_FAILED, "container " + image + " exited " + code
                        + (output.last().isEmpty() ? " with no output" : "; last line: " + output.last()));
            }
            return ActionResult.success(String.format(Locale.ROOT, "container %s exited 0 after %.1f s", image, (System.nanoTime() - start) / 1e9));
        } finally {
            closeQuietly(output);
        }
    }

    /** The exit code once the container has ended, else null. */
    private static Long exitCode(DockerClient docker, String id, String image) throws ActionException, InterruptedException {
        ContainerState state;
        try {
            state = docker.inspectContainerCmd(id).exec().getState();
        } catch (RuntimeException e) {
            if (Thread.interrupted()) {
                // the HTTP client turns an interrupt into a failed request; it is the worker's interrupt
                throw new InterruptedException("interrupted while following the container of " + image);
            }
            throw new ActionException(Reason.UNAVAILABLE, "lost the container of " + image + ": " + reason(e));
        }
        boolean ended = !Boolean.TRUE.equals(state.getRunning()) && state.getFinishedAt() != null && !state.getFinishedAt().startsWith("0001");
        return !ended ? null : state.getExitCodeLong() == null ? -1L : state.getExitCodeLong();
    }

    /** A TIMEOUT past the deadline (the worker may also cancel then), a CANCELLED when cancelled, else null. */
    private static ActionException due(ActionContext ctx, String what) {
        if (!Instant.now().isBefore(ctx.deadline())) {
            return new ActionException(Reason.TIMEOUT, what + " ran past the action's timeout of " + ctx.timeout().toSeconds() + " s");
        }
        if (ctx.isCancelled()) {
            return new ActionException(Reason.CANCELLED, what + " was cancelled");
        }
        return null;
    }

    private static void kill(DockerClient docker, String id) {
        try {
            docker.killContainerCmd(id).exec();
        } catch (RuntimeException e) {
            // it may have ended meanwhile; the removal kills it anyway
        }
    }

    private static void remove(DockerClient docker, ActionContext ctx, String id) {
        // an interrupted worker thread must still clean up behind itself
        boolean interrupted = Thread.interrupted();
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException e) {
            ctx.log("container " + id.substring(0, 12) + " could not be removed: " + reason(e));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The engine's own message when it sent one (docker-java adds the status and the whole JSON body), else the root cause's. */
    static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage().trim();
        Matcher m = ENGINE_MESSAGE.matcher(message);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : message;
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing left to do with it
        }
    }

    /**
     * A pull's outcome: the engine's first error. docker-java's own callback checks only in its
     * untimed wait, and expects a status in every item, which Podman's errors lack; a timed
     * {@code awaitCompletion} closes the stream, so polling waits on a latch of its own.
     */
    private static final class Pull extends ResultCallback.Adapter<PullResponseItem> {

        final CountDownLatch ended = new CountDownLatch(1);
        volatile String error;

        @Override
        public void onNext(PullResponseItem item) {
            if (item.isErrorIndicated() && error == null) {
                error = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null ? item.getErrorDetail().getMessage() : item.getError();
            }
        }

        @Override
        public void onError(Throwable t) {
            if (error == null) {
                error = reason(t);
            }
            ended.countDown();
            super.onError(t);
        }

        @Override
        public void onComplete() {
            ended.countDown();
            super.onComplete();
        }
    }

    /** The engine's two clients: one for plain requests, one without a read timeout for streams. */
    private record Engine(DockerClient commands, DockerClient streams) implements AutoCloseable {

        static Engine connect(String host, String image) throws ActionException {
            DockerClient commands = null;
            try {
                commands = client(host, Duration.ofMinutes(5));
                commands.pingCmd().exec();
                return new Engine(commands, client(host, null));
            } catch (RuntimeException e) {
                if (commands != null) {
                    closeQuietly(commands);
                }
                throw new ActionException(Reason.UNAVAILABLE, "no Docker-compatible engine at " + host + ": " + reason(e) + "; image " + image
                        + " has no native plugin (set DOCKER_HOST, or dockerHost of " + PID + ")", e);
            }
        }

        private static DockerClient client(String host, Duration responseTimeout) {
            DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
            ZerodepDockerHttpClient.Builder http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                    .sslConfig(config.getSSLConfig()).connectionTimeout(Duration.ofSeconds(5));
            if (responseTimeout != null) {
                http.responseTimeout(responseTimeout);
            }
            return DockerClientImpl.getInstance(config, http.build());
        }

        @Override
        public void close() {
            closeQuietly(commands);
            closeQuietly(streams);
        }
    }
}
