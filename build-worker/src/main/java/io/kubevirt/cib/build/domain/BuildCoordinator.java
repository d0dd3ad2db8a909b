package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.CloudPorts;
import io.kubevirt.cib.common.cloud.InstanceCleanup;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseOutcome.Abandon;
import io.kubevirt.cib.common.phase.PhaseOutcome.Emit;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.Reasons;
import io.kubevirt.cib.common.phase.Waiter;
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
 * <li>an image with this request's name but no tags (its creator died between CreateImage and CreateTags) is
 * adopted if it is available, else removed, so the rebuild does not fail on the name ({@link NamedImages});</li>
 * <li>anything else an interrupted earlier attempt left (a build instance, an unfinished image) is removed first;</li>
 * <li>then Packer runs, and the image it reports must carry the request's tags before it is announced;</li>
 * <li>image.built only once no build instance of this request runs: termination is retried while the cloud answers
 * with retryable errors, and if it still fails the outcome is a retryable build.failed naming the instances;</li>
 * <li>a cancelled attempt (worker stopping, partition revoked) stops Packer, removes what it left and abandons.</li>
 * </ol>
 * Kafka and SDKs stay outside: this class sees ports and event records only.
 */
public final class BuildCoordinator implements Phase<BuildRequested> {

    private final Map<Cloud, CloudPorts> clouds;
    private final ImageBuilder builder;
    private final BuildSettings settings;
    private final Waiter waiter;
    private final Clock clock;
    /** (build ID, message): every line a build logs names its build. */
    private final BiConsumer<String, String> log;

    public BuildCoordinator(Map<Cloud, CloudPorts> clouds, ImageBuilder builder, BuildSettings settings,
            Waiter waiter, Clock clock, BiConsumer<String, String> log) {
        this.clouds = Map.copyOf(clouds);
        this.builder = builder;
        this.settings = settings;
        this.waiter = waiter;
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
        CloudPorts cloud = clouds.get(plan.cloud());
        if (cloud == null) {
            return failed(request, plan, BuildFailed.Stage.REQUEST,
                    "cloud " + plan.cloud().wireName() + " is not enabled on this worker", false, started);
        }
        try {
            PhaseOutcome outcome = build(request, plan, cloud, attempt, started);
            // Cancelled after the work was done: its outcome must not be announced (another replica owns the input).
            return attempt.cancelled() && !(outcome instanceof Abandon) ? abandon(plan, cloud, attempt) : outcome;
        } catch (CloudException e) {
            if (attempt.cancelled()) {
                return abandon(plan, cloud, attempt);
            }
            return failed(request, plan, BuildFailed.Stage.CLOUD, e.getMessage(), e.retryable(), started);
        }
    }

    private PhaseOutcome build(Envelope<BuildRequested> request, BuildPlan plan, CloudPorts cloud, Attempt attempt,
            Instant started) {
        List<CloudImage> earlier = cloud.images().findImages(plan.location(), plan.requestTags());
        Optional<CloudImage> done = earlier.stream()
                .filter(i -> i.state() == CloudImage.State.AVAILABLE)
                .min(Comparator.comparing(CloudImage::id));
        if (done.isPresent()) {
            log.accept(plan.buildId(), "image " + done.get().id() + " of this request exists already; reporting it instead of building");
            return announceOnceNothingRuns(request, plan, cloud, done.get().id(), true, started);
        }
        for (CloudImage unfinished : earlier) {
            // An interrupted attempt's image never became usable; it would only collide with the rebuild's name.
            log.accept(plan.buildId(), "removing unfinished image " + unfinished.id() + " (" + unfinished.state() + ") of an earlier attempt");
            cloud.images().deleteImage(plan.location(), unfinished.id());
        }
        Optional<PhaseOutcome> named = settleNamedImages(request, plan, cloud, started);
        if (named.isPresent()) {
            return named.get();
        }
        Optional<String> stuck = stopBuildInstances(plan, cloud, attempt);
        if (stuck.isPresent()) {
            return failed(request, plan, BuildFailed.Stage.CLOUD, stuck.get(), true, started);
        }
        if (attempt.cancelled()) {
            return abandon(plan, cloud, attempt);
        }

        ImageBuilder.Result result = builder.build(plan, attempt);
        if (attempt.cancelled() || result instanceof ImageBuilder.Interrupted) {
            return abandon(plan, cloud, attempt);
        }
        if (!(result instanceof ImageBuilder.Built)) {
            // Packer removes what it made unless it was killed (timeout past the grace): then an untagged image
            // with this name could be left, which nothing else would ever find.
            removeUnannounced(plan, cloud);
        }
        // Packer removes its instance itself, unless it was killed; this makes "no instance left" hold anyway.
        stuck = stopBuildInstances(plan, cloud, attempt);
        if (result instanceof ImageBuilder.Built b) {
            if (stuck.isPresent()) {
                return failed(request, plan, BuildFailed.Stage.CLOUD, stuck.get(), true, started);
            }
            return announce(request, plan, cloud, b, started);
        }
        String suffix = stuck.map(s -> "; also: " + s).orElse("");
        if (result instanceof ImageBuilder.Failed f) {
            return failed(request, plan, BuildFailed.Stage.PACKER, f.reason() + suffix,
                    f.retryable() || stuck.isPresent(), started);
        }
        ImageBuilder.TimedOut t = (ImageBuilder.TimedOut) result;
        return failed(request, plan, BuildFailed.Stage.TIMEOUT,
                "build exceeded " + settings.buildTimeout() + "; last activity: " + t.lastActivity() + suffix, true,
                started);
    }

    /**
     * Images with this request's deterministic name that its tags did not find: adopted, removed, or (if they belong
     * to someone else) a failure, since Packer would refuse the name.
     */
    private Optional<PhaseOutcome> settleNamedImages(Envelope<BuildRequested> request, BuildPlan plan,
            CloudPorts cloud, Instant started) {
        for (CloudImage image : cloud.images().findImagesByName(plan.location(), plan.imageName())) {
            switch (NamedImages.decide(image, plan)) {
                case OURS_TAGGED:
                    break; // handled by the tag lookup above
                case ADOPT:
                    log.accept(plan.buildId(), "image " + image.id() + " has this request's name but no tags (its "
                            + "creator died before tagging it); it is available, so it is tagged and adopted");
                    cloud.images().tagImage(plan.location(), image.id(), plan.resourceTags());
                    return Optional.of(announceOnceNothingRuns(request, plan, cloud, image.id(), true, started));
                case REMOVE:
                    log.accept(plan.buildId(), "removing untagged image " + image.id() + " (" + image.state()
                            + ") with this request's name, left by an attempt that died");
                    cloud.images().deleteImage(plan.location(), image.id());
                    break;
                case FOREIGN:
                default:
                    return Optional.of(failed(request, plan, BuildFailed.Stage.CLOUD, "image name "
                            + plan.imageName() + " is taken by image " + image.id()
                            + ", which carries another build's or request's tags; not touching it", false, started));
            }
        }
        return Optional.empty();
    }

    private PhaseOutcome announceOnceNothingRuns(Envelope<BuildRequested> request, BuildPlan plan, CloudPorts cloud,
            String imageId, boolean reused, Instant started) {
        Optional<String> stuck = stopBuildInstances(plan, cloud, Attempt.uncancellable(request.id()));
        if (stuck.isPresent()) {
            return failed(request, plan, BuildFailed.Stage.CLOUD, stuck.get(), true, started);
        }
        return built(request, plan, imageId, reused, started);
    }

    private PhaseOutcome announce(Envelope<BuildRequested> request, BuildPlan plan, CloudPorts cloud,
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

    /**
     * The attempt was cancelled: Packer was stopped (and had its grace to clean up); remove whatever of this request
     * still runs or never became usable, then leave the request to its next delivery. Available images stay: the next
     * attempt reports (tagged) or adopts (untagged) them instead of building again.
     */
    private Abandon abandon(BuildPlan plan, CloudPorts cloud, Attempt attempt) {
        try {
            removeUnannounced(plan, cloud);
            stopBuildInstances(plan, cloud, attempt).ifPresent(stuck -> log.accept(plan.buildId(), stuck));
        } catch (CloudException e) {
            log.accept(plan.buildId(), "cleanup after cancellation failed (the next attempt retries it): "
                    + Redactor.redact(e.getMessage()));
        }
        return new Abandon(attempt.cancelReason() == null ? "build interrupted" : attempt.cancelReason());
    }

    /** Images of this request that are not usable, and untagged ones with its name that are not available. */
    private void removeUnannounced(BuildPlan plan, CloudPorts cloud) {
        for (CloudImage image : cloud.images().findImages(plan.location(), plan.requestTags())) {
            if (image.state() != CloudImage.State.AVAILABLE) {
                log.accept(plan.buildId(), "removing unfinished image " + image.id() + " (" + image.state() + ")");
                cloud.images().deleteImage(plan.location(), image.id());
            }
        }
        for (CloudImage image : cloud.images().findImagesByName(plan.location(), plan.imageName())) {
            if (NamedImages.decide(image, plan) == NamedImages.Decision.REMOVE) {
                log.accept(plan.buildId(), "removing untagged image " + image.id() + " (" + image.state() + ")");
                cloud.images().deleteImage(plan.location(), image.id());
            }
        }
    }

    /**
     * Terminates every build instance of this request, retrying retryable cloud errors within
     * {@link BuildSettings#cleanupRetry()}. Cleanup runs on its own, uncancellable budget: a cancelled attempt must
     * still clean up. Empty when nothing of the build runs any more; else why not.
     */
    private Optional<String> stopBuildInstances(BuildPlan plan, CloudPorts cloud, Attempt attempt) {
        return new InstanceCleanup(waiter, settings.cleanupRetry()).terminateTagged(cloud.instances(),
                plan.location(), plan.requestTags(), List.of(), attempt.inputId(),
                ids -> log.accept(plan.buildId(), "terminating build instances of this request: " + ids)).failure();
    }

    private Emit built(Envelope<BuildRequested> request, BuildPlan plan, String imageId, boolean reused,
            Instant started) {
        return Emit.of(new ImageBuilt(EventType.CURRENT_VERSION, plan.buildId(), plan.cloud(), plan.location(),
                plan.project().orElse(null), imageId, plan.imageName(), plan.kubevirtVersion(),
                plan.kubernetesVersion(), plan.cdiVersion(), seconds(started), builder.templateDigest(), reused,
                request.id(), null).withReleaseTag(request.data().releaseTag()));
    }

    private Emit failed(Envelope<BuildRequested> request, BuildPlan plan, BuildFailed.Stage stage, String reason,
            boolean retryable, Instant started) {
        BuildRequested data = request.data();
        return Emit.of(new BuildFailed(EventType.CURRENT_VERSION, data.buildId(), data.cloud(),
                plan == null ? data.region() : plan.location(), data.kubevirtVersion(),
                plan == null ? null : plan.kubernetesVersion(), stage, Reasons.forEvent(reason), retryable,
                seconds(started), request.id(), null));
    }

    private double seconds(Instant started) {
        return Duration.between(started, clock.instant()).toMillis() / 1000.0;
    }
}
