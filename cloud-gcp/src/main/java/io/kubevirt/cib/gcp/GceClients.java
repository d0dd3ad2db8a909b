package io.kubevirt.cib.gcp;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.longrunning.OperationSnapshot;
import com.google.api.gax.longrunning.OperationTimedPollAlgorithm;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.OperationCallSettings;
import com.google.api.gax.rpc.StatusCode;
import com.google.api.gax.rpc.UnaryCallSettings;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksSettings;
import com.google.cloud.compute.v1.ImagesClient;
import com.google.cloud.compute.v1.ImagesSettings;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.InstancesSettings;
import com.google.cloud.compute.v1.ZonesClient;
import com.google.cloud.compute.v1.ZonesSettings;
import io.kubevirt.cib.common.cloud.CloudException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The Compute Engine clients of one project, built on first use (so a worker without GCP configuration or credentials
 * starts; the first call then fails with a {@link CloudException}). Images are a global API and instances a zonal one
 * with the zone in each request, so one {@link ImagesClient} and one {@link InstancesClient} serve every location.
 *
 * <p>Timing is ours, not the library's: its defaults poll operations for up to 10 minutes starting at 0.5 s (x1.5, at
 * most 20 s apart) and give every call up to 10 minutes. {@link OperationPolling} and {@link CallRetry} bound both.
 */
public final class GceClients implements AutoCloseable {

    /** How long and how often an operation (insert, delete, setLabels) is polled until DONE. */
    public record OperationPolling(Duration initialDelay, Duration maxDelay, Duration timeout) {

        public static final OperationPolling DEFAULT =
                new OperationPolling(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(10));

        public OperationPolling {
            requirePositive(initialDelay, "initialDelay");
            requirePositive(maxDelay, "maxDelay");
            requirePositive(timeout, "timeout");
            if (maxDelay.compareTo(initialDelay) < 0) {
                throw new IllegalArgumentException("maxDelay must not be shorter than initialDelay");
            }
        }

        /** The default poll cadence, with this overall budget per operation. */
        public static OperationPolling withTimeout(Duration timeout) {
            Duration max = DEFAULT.maxDelay.compareTo(timeout) > 0 ? timeout : DEFAULT.maxDelay;
            Duration initial = DEFAULT.initialDelay.compareTo(max) > 0 ? max : DEFAULT.initialDelay;
            return new OperationPolling(initial, max, timeout);
        }

        RetrySettings toRetrySettings() {
            return RetrySettings.newBuilder()
                    .setInitialRetryDelayDuration(initialDelay)
                    .setRetryDelayMultiplier(1.5)
                    .setMaxRetryDelayDuration(maxDelay)
                    // Zero: each poll is a normal call bounded by the operations client's own settings.
                    .setInitialRpcTimeoutDuration(Duration.ZERO)
                    .setRpcTimeoutMultiplier(1.0)
                    .setMaxRpcTimeoutDuration(Duration.ZERO)
                    .setTotalTimeoutDuration(timeout)
                    .build();
        }
    }

    /**
     * Bounds of one API call including the client's own retries: each attempt may take {@code attemptTimeout}, all
     * of them together {@code totalTimeout}; retries back off from {@code initialDelay} (x1.5) to {@code maxDelay}.
     * Retried are 503/504/429 on reads and on calls that are idempotent by construction (insert with requestId,
     * deletes); never setLabels (its fingerprint makes a blind retry fail, {@link GceCloud} re-reads instead).
     */
    public record CallRetry(Duration attemptTimeout, Duration totalTimeout, Duration initialDelay, Duration maxDelay) {

        public static final CallRetry DEFAULT = new CallRetry(Duration.ofSeconds(30), Duration.ofMinutes(2),
                Duration.ofMillis(250), Duration.ofSeconds(10));

        public CallRetry {
            requirePositive(attemptTimeout, "attemptTimeout");
            requirePositive(totalTimeout, "totalTimeout");
            requirePositive(initialDelay, "initialDelay");
            requirePositive(maxDelay, "maxDelay");
        }

        /** The default cadence, with this total per call; attempts get at most 30 s each. */
        public static CallRetry withTotalTimeout(Duration total) {
            Duration attempt = DEFAULT.attemptTimeout.compareTo(total) > 0 ? total : DEFAULT.attemptTimeout;
            return new CallRetry(attempt, total, DEFAULT.initialDelay, DEFAULT.maxDelay);
        }

        RetrySettings toRetrySettings() {
            return RetrySettings.newBuilder()
                    .setInitialRetryDelayDuration(initialDelay)
                    .setRetryDelayMultiplier(1.5)
                    .setMaxRetryDelayDuration(maxDelay)
                    .setInitialRpcTimeoutDuration(attemptTimeout)
                    .setRpcTimeoutMultiplier(1.0)
                    .setMaxRpcTimeoutDuration(attemptTimeout)
                    .setTotalTimeoutDuration(totalTimeout)
                    .build();
        }
    }

    /** What the client retries by itself where a call is safe to repeat. */
    static final Set<StatusCode.Code> RETRYABLE_CODES = Set.of(
            StatusCode.Code.UNAVAILABLE, StatusCode.Code.DEADLINE_EXCEEDED, StatusCode.Code.RESOURCE_EXHAUSTED);

    private static final int CLIENT_THREADS = 4;

    private final Optional<String> project;
    private final String missingProject;
    private final Optional<URI> endpoint;
    private final OperationPolling polling;
    private final CallRetry retry;
    private final CredentialsProvider credentials;
    private final Object lock = new Object();
    private Clients clients;
    private boolean closed;

    private record Clients(ImagesClient images, InstancesClient instances, DisksClient disks, ZonesClient zones,
            ScheduledExecutorService executor) {

        void close() {
            images.close();
            instances.close();
            disks.close();
            zones.close();
        }
    }

    private GceClients(Optional<String> project, String missingProject, Optional<URI> endpoint,
            OperationPolling polling, CallRetry retry, CredentialsProvider credentials) {
        this.project = Objects.requireNonNull(project, "project");
        this.missingProject = missingProject;
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.polling = Objects.requireNonNull(polling, "polling");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.credentials = credentials;
        endpoint.ifPresent(GceClients::checkEndpoint);
    }

    /**
     * Clients for {@code project}. Without an endpoint they talk to Compute Engine with Application Default
     * Credentials; with an {@code http://} endpoint (a local fake such as {@code http://127.0.0.1:PORT}) without any
     * credentials, so no token ever goes over plain HTTP; with an {@code https://} endpoint (e.g. Private Service
     * Connect) with Application Default Credentials.
     */
    public static GceClients create(String project, Optional<URI> endpoint, OperationPolling polling) {
        return create(project, endpoint, polling, CallRetry.DEFAULT);
    }

    public static GceClients create(String project, Optional<URI> endpoint, OperationPolling polling,
            CallRetry retry) {
        if (project == null || project.isBlank()) {
            throw new IllegalArgumentException("project must not be blank");
        }
        return new GceClients(Optional.of(project), null, endpoint, polling, retry, null);
    }

    /**
     * Clients with explicit credentials, even over plain HTTP: for tests that run the real credential flow against
     * a local token endpoint. Production code uses {@link #create}.
     */
    static GceClients withCredentials(String project, URI endpoint, OperationPolling polling, CallRetry retry,
            CredentialsProvider credentials) {
        return new GceClients(Optional.of(project), null, Optional.of(endpoint), polling, retry,
                Objects.requireNonNull(credentials, "credentials"));
    }

    /** Clients whose every use fails with {@code reason}: lets a worker start without GCP configuration. */
    static GceClients unconfigured(String reason, Optional<URI> endpoint, OperationPolling polling,
            CallRetry retry) {
        return new GceClients(Optional.empty(), reason, endpoint, polling, retry, null);
    }

    /** The project every call goes to. */
    public String project() {
        return project.orElseThrow(() -> new CloudException(missingProject, false, null));
    }

    public OperationPolling polling() {
        return polling;
    }

    public CallRetry retry() {
        return retry;
    }

    ImagesClient images() {
        return clients().images();
    }

    InstancesClient instances() {
        return clients().instances();
    }

    DisksClient disks() {
        return clients().disks();
    }

    ZonesClient zones() {
        return clients().zones();
    }

    private Clients clients() {
        project();
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("GceClients is closed");
            }
            if (clients == null) {
                // Not memoised on failure: missing credentials may be provided later (e.g. a mounted key).
                clients = build();
            }
            return clients;
        }
    }

    private Clients build() {
        ScheduledExecutorService executor = newExecutor();
        List<AutoCloseable> made = new ArrayList<>();
        try {
            ImagesClient images = made(made, ImagesClient.create(imagesSettings(executor)));
            InstancesClient instances = made(made, InstancesClient.create(instancesSettings(executor)));
            DisksClient disks = made(made, DisksClient.create(disksSettings(executor)));
            ZonesClient zones = made(made, ZonesClient.create(zonesSettings(executor)));
            return new Clients(images, instances, disks, zones, executor);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable client : made) {
                try {
                    client.close();
                } catch (Exception ignored) {
                    // Closing a half-built client: nothing to report beyond the setup failure.
                }
            }
            executor.shutdownNow();
            // IOException here is about credentials (no ADC found, unreadable key file); its message holds no secret.
            throw new CloudException("GCE client setup failed: " + e.getMessage(), false, e);
        }
    }

    private ImagesSettings imagesSettings(ScheduledExecutorService executor) throws IOException {
        ImagesSettings.Builder builder = ImagesSettings.newBuilder()
                .setBackgroundExecutorProvider(FixedExecutorProvider.create(executor, false));
        connection(builder::setEndpoint, builder::setCredentialsProvider);
        builder.applyToAllUnaryMethods(unary -> {
            unary.setRetrySettings(retry.toRetrySettings());
            return null;
        });
        builder.getSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.listSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.getFromFamilySettings().setRetryableCodes(RETRYABLE_CODES);
        builder.getIamPolicySettings().setRetryableCodes(RETRYABLE_CODES);
        // setIamPolicy carries the read policy's etag: a blind repeat after a lost answer fails on a stale etag, so
        // GceLaunchPermissions re-reads instead of the client retrying.
        operation(builder.deleteOperationSettings(), RETRYABLE_CODES);
        operation(builder.setLabelsOperationSettings(), Set.of());
        // deprecate sets an absolute state: repeating it is harmless. insert carries a requestId.
        operation(builder.deprecateOperationSettings(), RETRYABLE_CODES);
        operation(builder.insertOperationSettings(), RETRYABLE_CODES);
        return builder.build();
    }

    private DisksSettings disksSettings(ScheduledExecutorService executor) throws IOException {
        DisksSettings.Builder builder = DisksSettings.newBuilder()
                .setBackgroundExecutorProvider(FixedExecutorProvider.create(executor, false));
        connection(builder::setEndpoint, builder::setCredentialsProvider);
        builder.applyToAllUnaryMethods(unary -> {
            unary.setRetrySettings(retry.toRetrySettings());
            return null;
        });
        builder.getSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.listSettings().setRetryableCodes(RETRYABLE_CODES);
        operation(builder.deleteOperationSettings(), RETRYABLE_CODES);
        return builder.build();
    }

    private ZonesSettings zonesSettings(ScheduledExecutorService executor) throws IOException {
        ZonesSettings.Builder builder = ZonesSettings.newBuilder()
                .setBackgroundExecutorProvider(FixedExecutorProvider.create(executor, false));
        connection(builder::setEndpoint, builder::setCredentialsProvider);
        builder.applyToAllUnaryMethods(unary -> {
            unary.setRetrySettings(retry.toRetrySettings());
            return null;
        });
        builder.listSettings().setRetryableCodes(RETRYABLE_CODES);
        return builder.build();
    }

    private static <T extends AutoCloseable> T made(List<AutoCloseable> made, T client) {
        made.add(client);
        return client;
    }

    private InstancesSettings instancesSettings(ScheduledExecutorService executor) throws IOException {
        InstancesSettings.Builder builder = InstancesSettings.newBuilder()
                .setBackgroundExecutorProvider(FixedExecutorProvider.create(executor, false));
        connection(builder::setEndpoint, builder::setCredentialsProvider);
        builder.applyToAllUnaryMethods(unary -> {
            unary.setRetrySettings(retry.toRetrySettings());
            return null;
        });
        builder.getSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.listSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.getGuestAttributesSettings().setRetryableCodes(RETRYABLE_CODES);
        builder.getSerialPortOutputSettings().setRetryableCodes(RETRYABLE_CODES);
        // insert carries a requestId, so GCE answers a repeat with the first operation: safe to retry.
        operation(builder.insertOperationSettings(), RETRYABLE_CODES);
        operation(builder.deleteOperationSettings(), RETRYABLE_CODES);
        return builder.build();
    }

    private void connection(Consumer<String> setEndpoint, Consumer<CredentialsProvider> setCredentials) {
        if (credentials != null) {
            setCredentials.accept(credentials);
        }
        if (endpoint.isPresent()) {
            setEndpoint.accept(endpointString(endpoint.get()));
            if (credentials == null && "http".equalsIgnoreCase(endpoint.get().getScheme())) {
                setCredentials.accept(NoCredentialsProvider.create());
            }
        }
    }

    private <Q> void operation(OperationCallSettings.Builder<Q, ?, ?> settings, Set<StatusCode.Code> retryable) {
        settings.setInitialCallSettings(UnaryCallSettings.<Q, OperationSnapshot>newUnaryCallSettingsBuilder()
                .setRetryableCodes(retryable)
                .setRetrySettings(retry.toRetrySettings())
                .build());
        settings.setPollingAlgorithm(OperationTimedPollAlgorithm.create(polling.toRetrySettings()));
    }

    private static ScheduledExecutorService newExecutor() {
        AtomicInteger count = new AtomicInteger();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(CLIENT_THREADS, task -> {
            Thread thread = new Thread(task, "gce-client-" + count.incrementAndGet());
            // Daemon: polling threads must never keep a worker JVM alive.
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    static String endpointString(URI endpoint) {
        String text = endpoint.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    private static void checkEndpoint(URI endpoint) {
        String scheme = endpoint.getScheme();
        // Without a scheme the library assumes https (and hangs against a plain HTTP fake): make it explicit.
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || endpoint.getHost() == null) {
            throw new IllegalArgumentException(
                    "GCE endpoint must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080: "
                            + endpoint);
        }
    }

    private static void requirePositive(Duration duration, String name) {
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    @Override
    public void close() {
        Clients toClose;
        synchronized (lock) {
            closed = true;
            toClose = clients;
            clients = null;
        }
        if (toClose == null) {
            return;
        }
        toClose.close();
        toClose.executor().shutdownNow();
        try {
            toClose.images().awaitTermination(5, TimeUnit.SECONDS);
            toClose.instances().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
