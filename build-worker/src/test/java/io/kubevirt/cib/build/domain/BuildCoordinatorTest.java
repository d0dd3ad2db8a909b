package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.CloudPorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Decision logic of one build, against the in-memory cloud (which passes the same contract as the AWS adapter). */
class BuildCoordinatorTest {

    private static final String REGION = "us-west-1";

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);
    private final BuildSettings settings = new BuildSettings("v1.64.0", "v1.35", REGION, "us-central1-b",
            Optional.empty(), Duration.ofDays(7), Duration.ofMinutes(90),
            new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(300)));
    private final GuardedWaiter waiter = new GuardedWaiter(new SimpleMeterRegistry());
    private final List<String> log = new ArrayList<>();

    /** A builder that behaves like Packer towards the cloud: it creates what the script says. */
    private final class ScriptedBuilder implements ImageBuilder {
        final List<BuildPlan> runs = new ArrayList<>();
        volatile Attempt attempt;
        Function<BuildPlan, Result> script = plan -> {
            String id = cloud.seedImage(plan.location(), plan.imageName(), plan.resourceTags());
            return new Built(List.of(new BuiltImage(plan.location(), id)));
        };

        @Override
        public Result build(BuildPlan plan, Attempt attempt) {
            this.attempt = attempt;
            runs.add(plan);
            return script.apply(plan);
        }

        @Override
        public String templateDigest() {
            return "sha256:" + "0".repeat(64);
        }
    }

    private final ScriptedBuilder builder = new ScriptedBuilder();
    /** The fleet the coordinator sees; tests may make its terminate fail. */
    private final FlakyFleet fleet = new FlakyFleet();
    private final BuildCoordinator coordinator = new BuildCoordinator(
            Map.of(Cloud.AWS, new CloudPorts(cloud, fleet)), builder, settings, waiter, clock,
            (build, line) -> log.add(build + ": " + line));

    /** The in-memory fleet whose terminate fails (retryably) the next {@code failures} times. */
    private final class FlakyFleet implements InstanceFleet {
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger terminateCalls = new AtomicInteger();

        @Override
        public List<CloudInstance> findInstances(String location, Map<String, String> tags) {
            return cloud.findInstances(location, tags);
        }

        @Override
        public void terminate(String location, Collection<String> instanceIds) {
            terminateCalls.incrementAndGet();
            if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new CloudException("EC2 TerminateInstances failed: RequestLimitExceeded", true, null);
            }
            cloud.terminate(location, instanceIds);
        }

        @Override
        public CloudInstance launch(LaunchSpec spec) {
            return cloud.launch(spec);
        }

        @Override
        public Optional<CloudInstance> describe(String location, String instanceId) {
            return cloud.describe(location, instanceId);
        }

        @Override
        public List<String> hostKeys(String location, String instanceId) {
            return cloud.hostKeys(location, instanceId);
        }

        @Override
        public String consoleOutput(String location, String instanceId) {
            return cloud.consoleOutput(location, instanceId);
        }
    }

    private Envelope<BuildRequested> request(String buildId) {
        return Envelope.create(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null, null,
                null, null, null, null, null), URI.create("/test"), clock);
    }

    @Test
    void buildsAndAnnouncesTheTaggedImageWithPinnedDefaultVersions() {
        var request = request("b-1");

        var outcome = run(coordinator, request);

        assertThat(outcome).isInstanceOf(PhaseOutcome.Emit.class);
        ImageBuilt built = (ImageBuilt) ((PhaseOutcome.Emit) outcome).event();
        assertThat(built.imageId()).isEqualTo(cloud.allImages().get(0).id());
        assertThat(built.cdiVersion()).isEqualTo("v1.64.0");
        assertThat(built.kubernetesVersion()).isEqualTo("v1.35.0");
        assertThat(built.causedBy()).isEqualTo(request.id());
        assertThat(built.reused()).isFalse();
        assertThat(cloud.allImages().get(0).tags())
                .containsEntry(ResourceTags.BUILD_ID, "b-1")
                .containsEntry(ResourceTags.PHASE, "build")
                .containsKey(ResourceTags.EXPIRES_AT);
    }

    @Test
    void redeliveredRequestReportsTheExistingImageWithoutBuildingAgain() {
        var request = request("b-1");
        run(coordinator, request);

        var again = (PhaseOutcome.Emit) run(coordinator, request);

        assertThat(builder.runs).hasSize(1);
        assertThat(cloud.allImages()).hasSize(1);
        assertThat(((ImageBuilt) again.event()).reused()).isTrue();
        assertThat(((ImageBuilt) again.event()).imageId()).isEqualTo(cloud.allImages().get(0).id());
    }

    @Test
    void theReleaseThatAskedForTheBuildTravelsOnToImageBuilt() {
        var request = Envelope.create(new BuildRequested(EventType.CURRENT_VERSION, "release-v1-9-0-aws", Cloud.AWS,
                "v1.9.0", null, null, null, "9fceb02", "publish-worker", "v1.9.0", null, null), URI.create("/test"),
                clock);

        ImageBuilt built = (ImageBuilt) ((PhaseOutcome.Emit) run(coordinator, request)).event();

        assertThat(built.releaseTag()).isEqualTo("v1.9.0");
        assertThat(((ImageBuilt) ((PhaseOutcome.Emit) run(coordinator, request("b-2"))).event()).releaseTag())
                .isNull();
    }

    @Test
    void replayWithANewEventIdBuildsAgain() {
        run(coordinator, request("b-1"));
        run(coordinator, request("b-1"));

        assertThat(builder.runs).hasSize(2);
        assertThat(cloud.allImages()).hasSize(2);
        assertThat(builder.runs.get(0).imageName()).isNotEqualTo(builder.runs.get(1).imageName());
    }

    @Test
    void buildInstanceLeftByACrashedAttemptIsTerminatedBeforeTheRebuild() {
        var request = request("b-1");
        BuildPlan plan = planOf(request);
        String leftover = cloud.seedInstance(REGION, plan.resourceTags());
        String otherBuilds = cloud.seedInstance(REGION, Map.of(ResourceTags.BUILD_ID, "b-2"));

        run(coordinator, request);

        assertThat(cloud.allInstances()).filteredOn(i -> i.state().isAlive()).extracting(CloudInstance::id)
                .containsExactly(otherBuilds);
        assertThat(cloud.calls()).containsSubsequence("terminate [" + leftover + "]", "findImages " + REGION);
    }

    @Test
    void failedPackerRunBecomesBuildFailedAndItsInstanceIsStillTerminated() {
        builder.script = plan -> {
            cloud.seedInstance(plan.location(), plan.resourceTags());
            return new ImageBuilder.Failed("Error launching source instance: InsufficientInstanceCapacity "
                    + "(aws_secret_access_key=abcdEFGHsecret)", true);
        };

        var outcome = (PhaseOutcome.Emit) run(coordinator, request("b-1"));

        BuildFailed failed = (BuildFailed) outcome.event();
        assertThat(failed.stage()).isEqualTo(BuildFailed.Stage.PACKER);
        assertThat(failed.retryable()).isTrue();
        assertThat(failed.reason()).contains("InsufficientInstanceCapacity").doesNotContain("abcdEFGHsecret");
        assertThat(cloud.allInstances()).noneMatch(i -> i.state().isAlive());
    }

    @Test
    void imageWithoutTheRequestTagsIsNotAnnounced() {
        builder.script = plan -> new ImageBuilder.Built(List.of(
                new ImageBuilder.BuiltImage(plan.location(), cloud.seedImage(plan.location(), plan.imageName(), Map.of()))));

        var outcome = (PhaseOutcome.Emit) run(coordinator, request("b-1"));

        assertThat(outcome.event()).isInstanceOf(BuildFailed.class);
        assertThat(((BuildFailed) outcome.event()).reason()).contains("does not carry the request's tags");
    }

    @Test
    void interruptedBuildIsAbandonedForRedelivery() {
        builder.script = plan -> new ImageBuilder.Interrupted();

        assertThat(run(coordinator, request("b-1"))).isInstanceOf(PhaseOutcome.Abandon.class);
    }

    @Test
    void timeoutIsARetryableFailure() {
        builder.script = plan -> new ImageBuilder.TimedOut("amazon-ebs.aws: Waiting for AMI to become ready...");

        BuildFailed failed = (BuildFailed) ((PhaseOutcome.Emit) run(coordinator, request("b-1"))).event();

        assertThat(failed.stage()).isEqualTo(BuildFailed.Stage.TIMEOUT);
        assertThat(failed.retryable()).isTrue();
    }

    @Test
    void cloudNotEnabledOnThisWorkerIsANonRetryableRequestFailure() {
        var gcp = Envelope.create(new BuildRequested(EventType.CURRENT_VERSION, "b-1", Cloud.GCP, "v1.8.2", null, null,
                null, null, null, null, null), URI.create("/test"), clock);

        BuildFailed failed = (BuildFailed) ((PhaseOutcome.Emit) run(coordinator, gcp)).event();

        assertThat(failed.stage()).isEqualTo(BuildFailed.Stage.REQUEST);
        assertThat(failed.retryable()).isFalse();
        assertThat(builder.runs).isEmpty();
    }

    @Test
    void replayOfARequestBuildsANewImageUnderItsOwnName() {
        var original = request("b-1");
        run(coordinator, original);
        var replay = Envelope.create(new BuildRequested(EventType.CURRENT_VERSION, "b-1", Cloud.AWS, "v1.8.2", null,
                null, null, null, null, null, original.id()), URI.create("/test"), clock);

        var outcome = (PhaseOutcome.Emit) run(coordinator, replay);

        ImageBuilt built = (ImageBuilt) outcome.event();
        assertThat(built.reused()).isFalse();
        assertThat(builder.runs).extracting(BuildPlan::imageName).doesNotHaveDuplicates().hasSize(2);
        assertThat(cloud.allImages()).hasSize(2);
        assertThat(built.imageName()).isEqualTo(planOf(replay).imageName()).isNotEqualTo(planOf(original).imageName());
    }

    @Test
    void availableUntaggedImageWithTheRequestsNameIsAdoptedInsteadOfRebuilt() {
        // The worker died between CreateImage and CreateTags: the image exists under the plan's name, untagged.
        var request = request("b-1");
        BuildPlan plan = planOf(request);
        String orphan = cloud.seedImage(REGION, plan.imageName(), Map.of());
        String instance = cloud.seedInstance(REGION, plan.resourceTags());

        var outcome = (PhaseOutcome.Emit) run(coordinator, request);

        ImageBuilt built = (ImageBuilt) outcome.event();
        assertThat(built.imageId()).isEqualTo(orphan);
        assertThat(builder.runs).isEmpty();
        assertThat(cloud.getImage(REGION, orphan)).hasValueSatisfying(i -> assertThat(i.tags())
                .containsAllEntriesOf(plan.resourceTags()));
        assertThat(cloud.describe(REGION, instance)).hasValueSatisfying(i -> assertThat(i.state().isAlive()).isFalse());
        // Redelivered once more, it is the tagged image of this request.
        assertThat(((ImageBuilt) ((PhaseOutcome.Emit) run(coordinator, request)).event()).imageId()).isEqualTo(orphan);
    }

    @Test
    void unfinishedUntaggedImageWithTheRequestsNameIsRemovedAndTheImageRebuilt() {
        var request = request("b-1");
        BuildPlan plan = planOf(request);
        String orphan = cloud.seedImage(REGION, plan.imageName(), Map.of(), CloudImage.State.PENDING);

        var outcome = (PhaseOutcome.Emit) run(coordinator, request);

        assertThat(outcome.event()).isInstanceOf(ImageBuilt.class);
        assertThat(builder.runs).hasSize(1);
        assertThat(cloud.allImages()).extracting(CloudImage::id).doesNotContain(orphan).hasSize(1);
        assertThat(cloud.calls()).containsSubsequence("deleteImage " + orphan, "findInstances " + REGION);
    }

    @Test
    void imageWithTheNameButAnotherRequestsTagsIsNotTouched() {
        var request = request("b-1");
        BuildPlan plan = planOf(request);
        String foreign = cloud.seedImage(REGION, plan.imageName(),
                Map.of(ResourceTags.BUILD_ID, "b-other", ResourceTags.REQUEST_ID, "someone-else"));

        BuildFailed failed = (BuildFailed) ((PhaseOutcome.Emit) run(coordinator, request)).event();

        assertThat(failed.retryable()).isFalse();
        assertThat(failed.reason()).contains(foreign);
        assertThat(cloud.getImage(REGION, foreign)).isPresent();
        assertThat(builder.runs).isEmpty();
    }

    @Test
    void failedTerminationOfTheBuildInstanceIsRetriedBeforeTheImageIsAnnounced() {
        builder.script = plan -> {
            cloud.seedInstance(plan.location(), plan.resourceTags());
            String id = cloud.seedImage(plan.location(), plan.imageName(), plan.resourceTags());
            return new ImageBuilder.Built(List.of(new ImageBuilder.BuiltImage(plan.location(), id)));
        };
        fleet.failures.set(2);

        var outcome = (PhaseOutcome.Emit) run(coordinator, request("b-1"));

        assertThat(outcome.event()).isInstanceOf(ImageBuilt.class);
        assertThat(fleet.terminateCalls).hasValue(3);
        assertThat(cloud.allInstances()).noneMatch(i -> i.state().isAlive());
    }

    @Test
    void buildInstanceThatCannotBeTerminatedMakesARetryableFailureNotImageBuilt() {
        builder.script = plan -> {
            cloud.seedInstance(plan.location(), plan.resourceTags());
            String id = cloud.seedImage(plan.location(), plan.imageName(), plan.resourceTags());
            return new ImageBuilder.Built(List.of(new ImageBuilder.BuiltImage(plan.location(), id)));
        };
        fleet.failures.set(Integer.MAX_VALUE);

        var outcome = (PhaseOutcome.Emit) run(coordinator, request("b-1"));

        BuildFailed failed = (BuildFailed) outcome.event();
        assertThat(failed.stage()).isEqualTo(BuildFailed.Stage.CLOUD);
        assertThat(failed.retryable()).isTrue();
        String leaked = cloud.allInstances().get(0).id();
        assertThat(failed.reason()).contains("could not terminate", leaked, "RequestLimitExceeded");
        assertThat(fleet.terminateCalls.get()).isGreaterThan(1);
    }

    @Test
    void cancelledAttemptStopsTheBuildRemovesWhatItLeftAndAbandons() {
        var request = request("b-1");
        Attempt attempt = new Attempt(request.id(), 1);
        List<String> made = new ArrayList<>();
        builder.script = plan -> {
            // Packer was killed mid-way: its instance still runs, its image never became available.
            made.add(cloud.seedInstance(plan.location(), plan.resourceTags()));
            made.add(cloud.seedImage(plan.location(), plan.imageName(), Map.of(), CloudImage.State.PENDING));
            builder.attempt.cancel("partition revoked from this replica");
            return new ImageBuilder.Interrupted();
        };

        var outcome = coordinator.run(request, attempt);

        assertThat(outcome).isInstanceOfSatisfying(PhaseOutcome.Abandon.class,
                a -> assertThat(a.why()).contains("partition revoked"));
        assertThat(builder.attempt).isSameAs(attempt);
        assertThat(cloud.allInstances()).noneMatch(i -> i.state().isAlive());
        assertThat(cloud.allImages()).extracting(CloudImage::id).doesNotContain(made.get(1));
    }

    @Test
    void attemptCancelledBeforeTheBuildStartsNoPacker() {
        var request = request("b-1");
        Attempt attempt = new Attempt(request.id(), 1);
        attempt.cancel("worker is stopping");

        assertThat(coordinator.run(request, attempt)).isInstanceOf(PhaseOutcome.Abandon.class);
        assertThat(builder.runs).isEmpty();
    }

    private BuildPlan planOf(Envelope<BuildRequested> request) {
        try {
            return BuildPlan.of(request, settings, clock.instant());
        } catch (RequestRejectedException e) {
            throw new AssertionError(e);
        }
    }

    /** One attempt nothing cancels, as the runner would start it. */
    private static <T extends io.kubevirt.cib.events.PipelineEvent> io.kubevirt.cib.common.phase.PhaseOutcome run(
            io.kubevirt.cib.common.phase.Phase<T> phase, io.kubevirt.cib.events.Envelope<T> input) {
        return phase.run(input, io.kubevirt.cib.common.phase.Attempt.uncancellable(input.id()));
    }
}
