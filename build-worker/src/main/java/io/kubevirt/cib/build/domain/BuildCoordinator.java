package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseOutcome.Abandon;
import io.kubevirt.cib.common.phase.PhaseOutcome.Emit;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.PipelineEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Decides and runs one build request, safe under redelivery:
 * <ol>
 * <li>an image this request already built (found by its tags) is reported again instead of built twice;</li>
 * <li>anything an interrupted earlier attempt left (a build instance, an unfinished image) is removed first;</li>
 * <li>then Packer runs, and the image it reports must carry the request's tags before it is announced;</li>
 * <li>whatever happens, no build instance of this request is left running afterwards.</li>
 * </ol>
 * Kafka and SDKs stay outside: this class sees ports and event records only.
 */
public final class BuildCoordinator implements Phase<BuildRequested> {

    private final Map<Cloud, CloudAccess> clouds;
    private final ImageBuilder builder;
    private final BuildSettings settings;
    private final Clock clock;
    /** (build ID, message): every line a build logs names its build. */
    private final BiConsumer<String, String> log;

    public BuildCoordinator(Map<Cloud, CloudAccess> clouds, ImageBuilder builder, BuildSettings settings, Clock clock,
            BiConsumer<String, String> log) {
        this.clouds = Map.copyOf(clouds);
        this.builder = builder;
        this.settings = settings;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public PipelineEvent failure(Envelope<BuildRequested> request, Phase.Failure failure) {
        BuildRequested data = request.data();
        return new BuildFailed(EventType.CURRENT_VERSION, data.buildId(), data.cloud(), data.region(),
                data.kubevirtVersion(), null, BuildFailed.Stage.WORKER, failure.reason(), failure.retryable(), null,
                request.id(), data.replayOf());
    }

    @Override
    public PhaseOutcome run(Envelope<BuildRequested> request, Attempt attempt) {
        Instant started = clock.instant();
        BuildPlan plan;
        try {
            plan = BuildPlan.of(request, settings, started);
        } catch (RequestRejectedException e) {
            return failed(request, null, BuildFailed.Stage.REQUEST, e.getMessage(), false, started);
        }
        CloudAccess cloud = clouds.get(plan.cloud());
        if (cloud == null) {
            return failed(request, plan, BuildFailed.Stage.REQUEST,
                    "cloud " + plan.cloud().wireName() + " is not enabled on this worker", false, started);
        }
        try {
            return build(request, plan, cloud, started);
        } catch (CloudException e) {
            return failed(request, plan, BuildFailed.Stage.CLOUD, e.getMessage(), e.retryable(), started);
        }
    }

    private PhaseOutcome build(Envelope<BuildRequested> request, BuildPlan plan, CloudAccess cloud, Instant started) {
        List<CloudImage> earlier = cloud.images().findImages(plan.location(), plan.requestTags());
        Optional<CloudImage> done = earlier.stream()
                .filter(i -> i.state() == CloudImage.State.AVAILABLE)
                .min(Comparator.comparing(CloudImage::id));
        if (done.isPresent()) {
            log.accept(plan.buildId(), "image " + done.get().id() + " of this request exists already; reporting it instead of building");
            terminateLeftovers(plan, cloud);
            return built(request, plan, done.get().id(), true, started);
        }
        for (CloudImage unfinished : earlier) {
            // An interrupted attempt's image never became usable; it would only collide with the rebuild's name.
            log.accept(plan.buildId(), "removing unfinished image " + unfinished.id() + " (" + unfinished.state() + ") of an earlier attempt");
            cloud.images().deleteImage(plan.location(), unfinished.id());
        }
        terminateLeftovers(plan, cloud);

        ImageBuilder.Result result;
        try {
            result = builder.build(plan);
        } finally {
            // Packer removes its instance itself, unless it was killed; this makes "no instance left" hold anyway.
            terminateLeftovers(plan, cloud);
        }
        if (result instanceof ImageBuilder.Built b) {
            return announce(request, plan, cloud, b, started);
        } else if (result instanceof ImageBuilder.Failed f) {
            return failed(request, plan, BuildFailed.Stage.PACKER, f.reason(), f.retryable(), started);
        } else if (result instanceof ImageBuilder.TimedOut t) {
            return failed(request, plan, BuildFailed.Stage.TIMEOUT,
                    "build exceeded " + settings.buildTimeout() + "; last activity: " + t.lastActivity(), true, started);
        }
        return new Abandon("worker is shutting down; build " + plan.buildId()
                + " runs again when the request is redelivered");
    }

    private PhaseOutcome announce(Envelope<BuildRequested> request, BuildPlan plan, CloudAccess cloud,
            ImageBuilder.Built built, Instant started) {
        Optional<ImageBuilder.BuiltImage> primary = built.images().stream()
                .filter(i -> i.location().isEmpty() || i.location().equals(plan.location()))
                .findFirst();
        if (primary.isEmpty()) {
            return failed(request, plan, BuildFailed.Stage.PACKER,
                    "Packer reported no image in " + plan.location(), true, started);
        }
        String imageId = primary.get().imageId();
        boolean tagged = cloud.images().findImages(plan.location(), plan.requestTags()).stream()
                .anyMatch(i -> i.id().equals(imageId) || i.name().equals(imageId));
        if (!tagged) {
            // Without its tags the image is invisible to redelivery checks and to the sweep: do not announce it.
            return failed(request, plan, BuildFailed.Stage.PACKER,
                    "image " + imageId + " does not carry the request's tags", false, started);
        }
        return built(request, plan, imageId, false, started);
    }

    private void terminateLeftovers(BuildPlan plan, CloudAccess cloud) {
        List<String> alive = cloud.instances().findInstances(plan.location(), plan.requestTags()).stream()
                .map(CloudInstance::id)
                .toList();
        if (!alive.isEmpty()) {
            log.accept(plan.buildId(), "terminating build instances left by an earlier or failed attempt: " + alive);
            cloud.instances().terminate(plan.location(), alive);
        }
    }

    private Emit built(Envelope<BuildRequested> request, BuildPlan plan, String imageId, boolean reused,
            Instant started) {
        return Emit.of(new ImageBuilt(EventType.CURRENT_VERSION, plan.buildId(), plan.cloud(), plan.location(),
                plan.project().orElse(null), imageId, plan.imageName(), plan.kubevirtVersion(),
                plan.kubernetesVersion(), plan.cdiVersion(), seconds(started), builder.templateDigest(), reused,
                request.id(), null));
    }

    private Emit failed(Envelope<BuildRequested> request, BuildPlan plan, BuildFailed.Stage stage, String reason,
            boolean retryable, Instant started) {
        BuildRequested data = request.data();
        return Emit.of(new BuildFailed(EventType.CURRENT_VERSION, data.buildId(), data.cloud(),
                plan == null ? data.region() : plan.location(), data.kubevirtVersion(),
                plan == null ? null : plan.kubernetesVersion(), stage, truncate(Redactor.redact(reason)), retryable,
                seconds(started), request.id(), null));
    }

    private double seconds(Instant started) {
        return Duration.between(started, clock.instant()).toMillis() / 1000.0;
    }

    private static String truncate(String reason) {
        return reason.length() <= 3000 ? reason : reason.substring(0, 3000) + "...";
    }
}
