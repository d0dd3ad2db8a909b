package io.kubevirt.cib.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.longrunning.OperationFuture;
import com.google.api.gax.longrunning.OperationTimedPollAlgorithm;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.devtools.cloudbuild.v1.CloudBuildClient;
import com.google.cloud.devtools.cloudbuild.v1.CloudBuildSettings;
import com.google.cloudbuild.v1.Build;
import com.google.cloudbuild.v1.BuildOperationMetadata;
import com.google.cloudbuild.v1.BuildStep;
import com.google.cloudbuild.v1.CreateBuildRequest;
import com.google.cloudbuild.v1.GetBuildRequest;
import com.google.cloudbuild.v1.ListBuildsRequest;
import com.google.protobuf.Duration;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.Sha256;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import java.io.IOException;
import java.net.URI;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link ImageExports} as {@code gcloud compute images export} does it: a Cloud Build build with one
 * {@code gce_vm_image_export} step ({@code -source_image}, {@code -destination_uri}, {@code -zone}, {@code -timeout}),
 * tagged {@code cib-export-<hash of image and URI>} so a rerun finds it (builds.list with {@code tags="..."}; newest
 * first: a succeeded one is returned, a queued/working one joined, only failed ones or none start a new one).
 *
 * <p>Waiting: a build this adapter starts is waited for through its OperationFuture, whose polling algorithm has the
 * configured budget as total timeout (the client's default gives up after 300 s); a build found running is waited for
 * with {@link Waiter} on builds.get, within the same budget. The Cloud Build client is made on first use over REST.
 */
public final class GceImageExports implements ImageExports, AutoCloseable {

    /** The image gcloud runs for {@code compute images export}. */
    static final String EXPORT_STEP = "gcr.io/compute-image-tools/gce_vm_image_export:release";
    static final String TAG_PREFIX = "cib-export-";
    private static final Set<Build.Status> RUNNING = Set.of(Build.Status.QUEUED, Build.Status.PENDING,
            Build.Status.WORKING, Build.Status.STATUS_UNKNOWN);

    /**
     * @param bucket where exports go ({@code gs://bucket/NAME.tar.gz}); empty: every export fails naming the setting
     * @param zone where the export's temporary worker VM runs
     * @param budget how long one export may take (build timeout and wait)
     * @param pollInitial first poll delay; polls back off by 1.5 up to {@code pollMax}
     */
    public record Settings(Optional<String> bucket, String zone, java.time.Duration budget,
            java.time.Duration pollInitial, java.time.Duration pollMax, Optional<URI> endpoint) {

        public Settings {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(zone, "zone");
            Objects.requireNonNull(endpoint, "endpoint");
            if (budget.isNegative() || budget.isZero() || pollInitial.isNegative() || pollInitial.isZero()
                    || pollMax.compareTo(pollInitial) < 0 || budget.compareTo(pollInitial) <= 0) {
                throw new IllegalArgumentException("need 0 < pollInitial <= pollMax and pollInitial < budget");
            }
        }
    }

    private final GceClients compute;
    private final Settings settings;
    private final Waiter waiter;
    private final Object lock = new Object();
    private CloudBuildClient client;

    public GceImageExports(GceClients compute, Settings settings, Waiter waiter) {
        this.compute = compute;
        this.settings = settings;
        this.waiter = waiter;
    }

    @Override
    public String destinationFor(String imageName) {
        String bucket = settings.bucket().filter(b -> !b.isBlank()).orElseThrow(() -> new CloudException(
                "GCP image export is not configured: set cib.gcp.export.bucket (env CIB_GCP_EXPORT_BUCKET)", false,
                null));
        return "gs://" + bucket + "/" + imageName + ".tar.gz";
    }

    @Override
    public Optional<Export> find(String imageId, String destinationUri) {
        String project = compute.project();
        ListBuildsRequest request = ListBuildsRequest.newBuilder().setProjectId(project)
                .setFilter("tags=\"" + tag(imageId, destinationUri) + "\"").build();
        return call("builds.list(" + imageId + ")", () -> {
            for (Build build : client().listBuilds(request).iterateAll()) {
                if (build.getStatus() == Build.Status.SUCCESS || RUNNING.contains(build.getStatus())) {
                    return Optional.of(view(build, imageId, destinationUri));
                }
            }
            return Optional.<Export>empty();
        });
    }

    @Override
    public Export export(String imageId, String destinationUri) {
        Optional<Export> earlier = find(imageId, destinationUri);
        if (earlier.isPresent() && earlier.get().state() == Export.State.SUCCEEDED) {
            return earlier.get();
        }
        Build done = earlier.isPresent() ? join(earlier.get().id(), imageId) : start(imageId, destinationUri);
        if (done.getStatus() != Build.Status.SUCCESS) {
            throw failed(done, imageId);
        }
        return view(done, imageId, destinationUri);
    }

    private Build start(String imageId, String destinationUri) {
        String project = compute.project();
        long seconds = settings.budget().toSeconds();
        Build build = Build.newBuilder()
                .addSteps(BuildStep.newBuilder()
                        .setName(EXPORT_STEP)
                        .addArgs("-timeout=" + seconds + "s")
                        .addArgs("-source_image=projects/" + project + "/global/images/" + imageId)
                        .addArgs("-destination_uri=" + destinationUri)
                        .addArgs("-zone=" + settings.zone())
                        .addArgs("-client_id=api")
                        .addEnv("BUILD_ID=$BUILD_ID"))
                .setTimeout(Duration.newBuilder().setSeconds(seconds))
                .addTags("gce-daisy")
                .addTags("gce-daisy-image-export")
                .addTags(tag(imageId, destinationUri))
                .build();
        String operation = "builds.create(export " + imageId + ")";
        OperationFuture<Build, BuildOperationMetadata> future = call(operation, () -> client().createBuildAsync(
                CreateBuildRequest.newBuilder().setProjectId(project).setBuild(build).build()));
        // The polling algorithm ends the wait at the budget; this bound only guards against a poll that hangs.
        java.time.Duration bound = settings.budget().plus(compute.retry().totalTimeout());
        try {
            return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CancellationException) {
                throw timedOut(imageId);
            }
            // A failed build ends its operation with an error: read the build for its status and detail.
            Optional<Build> failed = startedBuild(future).flatMap(id -> getBuild(project, id));
            if (failed.isPresent() && !RUNNING.contains(failed.get().getStatus())) {
                return failed.get();
            }
            if (e.getCause() instanceof ApiException api) {
                throw GceErrors.translate(operation, api);
            }
            throw new CloudException("Cloud Build " + operation + " failed: " + e.getCause(), false, e.getCause());
        } catch (CancellationException | TimeoutException e) {
            throw timedOut(imageId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException("Cloud Build export of " + imageId + " interrupted", true, e);
        }
    }

    /** Waits for a build started earlier (by a run that crashed, or a replica) within the budget. */
    private Build join(String buildId, String imageId) {
        String project = compute.project();
        WaitPolicy policy = new WaitPolicy(settings.pollInitial(), settings.pollMax(), settings.budget());
        return waiter.until("gcp-image-export", policy, Attempt.uncancellable("export " + imageId),
                e -> e instanceof CloudException c && c.retryable(),
                () -> getBuild(project, buildId).filter(b -> !RUNNING.contains(b.getStatus())))
                .orElseThrow(() -> timedOut(imageId));
    }

    private Optional<Build> getBuild(String project, String id) {
        return call("builds.get(" + id + ")", () -> {
            try {
                return Optional.of(client().getBuild(GetBuildRequest.newBuilder()
                        .setProjectId(project).setId(id).build()));
            } catch (ApiException e) {
                if (GceErrors.isNotFound(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    private static Optional<String> startedBuild(OperationFuture<Build, BuildOperationMetadata> future) {
        try {
            return Optional.of(future.peekMetadata().get(1, TimeUnit.SECONDS).getBuild().getId())
                    .filter(id -> !id.isEmpty());
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private CloudException failed(Build build, String imageId) {
        String detail = build.getStatusDetail().isBlank() ? "" : ": " + build.getStatusDetail();
        return new CloudException("Cloud Build export " + build.getId() + " of image " + imageId + " ended "
                + build.getStatus() + detail, false, null);
    }

    private CloudException timedOut(String imageId) {
        // Retryable: the build goes on in Cloud Build, and a rerun joins it (same tag).
        return new CloudException("Cloud Build export of " + imageId + " did not finish within " + settings.budget()
                + "; it may still complete", true, null);
    }

    private static Export view(Build build, String imageId, String destinationUri) {
        Export.State state = build.getStatus() == Build.Status.SUCCESS ? Export.State.SUCCEEDED
                : RUNNING.contains(build.getStatus()) ? Export.State.RUNNING : Export.State.FAILED;
        return new Export(build.getId(), imageId, destinationUri, state);
    }

    /** {@code cib-export-} + 40 hex of SHA-256(image, URI): a valid build tag, the same for the same export. */
    static String tag(String imageId, String destinationUri) {
        byte[] hash = Sha256.of(imageId + "\n" + destinationUri);
        return TAG_PREFIX + HexFormat.of().formatHex(hash, 0, 20);
    }

    private <T> T call(String operation, java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (ApiException e) {
            throw GceErrors.translate(operation, e);
        }
    }

    private CloudBuildClient client() {
        synchronized (lock) {
            if (client == null) {
                client = build();
            }
            return client;
        }
    }

    private CloudBuildClient build() {
        try {
            CloudBuildSettings.Builder builder = CloudBuildSettings.newHttpJsonBuilder();
            settings.endpoint().ifPresent(uri -> {
                builder.setEndpoint(GceClients.endpointString(uri));
                if ("http".equalsIgnoreCase(uri.getScheme())) {
                    // A local fake: never send a token over plain HTTP.
                    builder.setCredentialsProvider(NoCredentialsProvider.create());
                }
            });
            RetrySettings polling = RetrySettings.newBuilder()
                    .setInitialRetryDelayDuration(settings.pollInitial())
                    .setRetryDelayMultiplier(1.5)
                    .setMaxRetryDelayDuration(settings.pollMax())
                    .setInitialRpcTimeoutDuration(java.time.Duration.ZERO)
                    .setRpcTimeoutMultiplier(1.0)
                    .setMaxRpcTimeoutDuration(java.time.Duration.ZERO)
                    .setTotalTimeoutDuration(settings.budget())
                    .build();
            builder.createBuildOperationSettings().setPollingAlgorithm(OperationTimedPollAlgorithm.create(polling));
            return CloudBuildClient.create(builder.build());
        } catch (IOException | RuntimeException e) {
            throw new CloudException("Cloud Build client setup failed: " + e.getMessage(), false, e);
        }
    }

    @Override
    public void close() {
        CloudBuildClient toClose;
        synchronized (lock) {
            toClose = client;
            client = null;
        }
        if (toClose != null) {
            toClose.close();
        }
    }
}
