package io.kubevirt.cib.build.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudInstance;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Decision logic of one build, against the in-memory cloud (which passes the same contract as the AWS adapter). */
class BuildCoordinatorTest {

    private static final String REGION = "us-west-1";

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC);
    private final BuildSettings settings = new BuildSettings("v1.64.0", "v1.35", REGION, "us-central1-b",
            Optional.empty(), Duration.ofDays(7), Duration.ofMinutes(90));
    private final List<String> log = new ArrayList<>();

    /** A builder that behaves like Packer towards the cloud: it creates what the script says. */
    private final class ScriptedBuilder implements ImageBuilder {
        final List<BuildPlan> runs = new ArrayList<>();
        Function<BuildPlan, Result> script = plan -> {
            String id = cloud.seedImage(plan.location(), plan.imageName(), plan.resourceTags());
            return new Built(List.of(new BuiltImage(plan.location(), id)));
        };

        @Override
        public Result build(BuildPlan plan) {
            runs.add(plan);
            return script.apply(plan);
        }

        @Override
        public String templateDigest() {
            return "sha256:" + "0".repeat(64);
        }
    }

    private final ScriptedBuilder builder = new ScriptedBuilder();
    private final BuildCoordinator coordinator = new BuildCoordinator(
            Map.of(Cloud.AWS, new CloudAccess(cloud, cloud)), builder, settings, clock, (build, line) -> log.add(build + ": " + line));

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
    void redeliveryArrivingWhileTheFirstDeliveryStillBuildsWaitsAndReusesItsImage() throws Exception {
        var request = request("b-1");
        var firstStarted = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var defaultScript = builder.script;
        builder.script = plan -> {
            firstStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return defaultScript.apply(plan);
        };
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> run(coordinator, request));
            firstStarted.await();
            var second = pool.submit(() -> run(coordinator, request));
            Thread.sleep(100);
            release.countDown();

            var outcomes = List.of(first.get(), second.get());

            assertThat(builder.runs).hasSize(1);
            assertThat(cloud.allImages()).hasSize(1);
            assertThat(outcomes).extracting(o -> ((ImageBuilt) ((PhaseOutcome.Emit) o).event()).reused())
                    .containsExactly(false, true);
        } finally {
            pool.shutdownNow();
        }
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
