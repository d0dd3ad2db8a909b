package io.kubevirt.cib.cleanup.domain;

import io.kubevirt.cib.common.cloud.ImageNames;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.InMemoryLeftovers;
import io.kubevirt.cib.common.cloud.PackerNames;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.SweepRequested;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cleanup decisions on in-memory fakes: no broker, no cloud. */
class CleanupDomainTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final String REGION = "us-west-1";

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final InMemoryCloud cloud = new InMemoryCloud();
    private final InMemoryLeftovers leftovers = new InMemoryLeftovers(List.of(REGION, "eu-west-1"), clock);
    private final CleanupSettings settings = new CleanupSettings(Duration.ofHours(24), "release-",
            Duration.ofHours(6), 1, Duration.ofDays(7));
    private final Map<Cloud, CloudPorts> clouds = Map.of(Cloud.AWS, new CloudPorts(cloud, cloud, leftovers,
            leftovers, Optional.of(leftovers), leftovers, Optional.empty()));
    private final EventCleanup events = new EventCleanup(clouds, settings, clock);
    private final SweepCoordinator sweep = new SweepCoordinator(clouds, settings, clock, line -> { });

    @Test
    void aVerificationLosesItsInstanceAndANonReleaseImageGetsTheRetentionExpiry() {
        String image = cloud.seedImage(REGION, "kubevirt-v1-8-2-pr-1", Map.of(ResourceTags.BUILD_ID, "pr-1"));
        String instance = cloud.seedInstance(REGION, Map.of(ResourceTags.BUILD_ID, "pr-1"));

        ResourcesCleaned out = run(events.afterVerification(), verified("pr-1", image, instance));

        assertThat(cloud.describe(REGION, instance).orElseThrow().state().isAlive()).isFalse();
        assertThat(cloud.getImage(REGION, image).orElseThrow().tags().get(ResourceTags.EXPIRES_AT))
                .isEqualTo(ResourceTags.expiresAt(NOW.plus(Duration.ofHours(24))));
        assertThat(out.resources()).extracting(ResourcesCleaned.Resource::action, ResourcesCleaned.Resource::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.TERMINATE, Result.DONE),
                        org.assertj.core.groups.Tuple.tuple(Action.EXPIRE, Result.DONE));
    }

    @Test
    void anInstanceAlreadyGoneIsSuccessAndAReleaseImageIsLeftAlone() {
        String image = cloud.seedImage(REGION, "kubevirt-release", Map.of(ResourceTags.BUILD_ID, "release-v1"));

        ResourcesCleaned out = run(events.afterVerification(), verified("release-v1", image, "i-gone"));

        assertThat(out.resources()).singleElement().satisfies(r -> {
            assertThat(r.result()).isEqualTo(Result.ALREADY_GONE);
            assertThat(r.kind()).isEqualTo(ResourcesCleaned.Kind.INSTANCE);
        });
        assertThat(cloud.getImage(REGION, image).orElseThrow().tags()).doesNotContainKey(ResourceTags.EXPIRES_AT);
    }

    @Test
    void aFailedBuildLosesItsInstanceTaggedAndUntaggedImagesAndSnapshotsButNotALookAlike() {
        String request = "0a0b0c0d-1111-4222-8333-444455556666";
        Map<String, String> tags = ResourceTags.forRequest("pr-2", request, ResourceTags.Phase.BUILD);
        String instance = cloud.seedInstance(REGION, tags);
        String tagged = cloud.seedImage(REGION, "kubevirt-v1-8-2-pr-2-tagged", tags);
        String untagged = cloud.seedImage(REGION, ImageNames.forRequest("v1.8.2", "pr-2", request), Map.of());
        String lookAlike = cloud.seedImage(REGION, ImageNames.forRequest("v1.8.2", "pr-2", "other"), Map.of());
        String snapshot = leftovers.seed(REGION, CloudResource.Kind.SNAPSHOT, null, tags);

        BuildFailed failed = new BuildFailed("1.1", "pr-2", Cloud.AWS, REGION, "v1.8.2", null,
                BuildFailed.Stage.PACKER, "boom", true, null, request, null);
        ResourcesCleaned out = run(events.afterFailedBuild(), failed);

        assertThat(cloud.describe(REGION, instance).orElseThrow().state().isAlive()).isFalse();
        assertThat(cloud.getImage(REGION, tagged)).isEmpty();
        assertThat(cloud.getImage(REGION, untagged)).isEmpty();
        assertThat(cloud.getImage(REGION, lookAlike)).isPresent();
        assertThat(leftovers.exists(snapshot)).isFalse();
        assertThat(out.resources()).hasSize(4).allMatch(r -> r.result() == Result.DONE);
    }

    @Test
    void aSweepRemovesExpiredTaggedResourcesAndOldPackerTemporariesOnly() {
        Map<String, String> expired = expiring("pr-3", NOW.minusSeconds(60));
        String oldInstance = leftovers.seed(REGION, CloudResource.Kind.INSTANCE, null, expired);
        String oldImage = leftovers.seed("eu-west-1", CloudResource.Kind.IMAGE, "img", expired);
        String oldSnapshot = leftovers.seed("eu-west-1", CloudResource.Kind.SNAPSHOT, null, expired);
        String fresh = leftovers.seed(REGION, CloudResource.Kind.INSTANCE, null, expiring("pr-4", NOW.plusSeconds(60)));
        String untagged = leftovers.seed(REGION, CloudResource.Kind.IMAGE, "kubevirt-v1-8-2-pr-3", Map.of());
        String release = leftovers.seed(REGION, CloudResource.Kind.IMAGE, "rel",
                expiring("release-v1-8-2-1", NOW.minusSeconds(60)));
        String oldGroup = leftovers.seedNamed(REGION, CloudResource.Kind.SECURITY_GROUP,
                PackerNames.at(NOW.minus(Duration.ofHours(7))));
        String youngKey = leftovers.seedNamed(REGION, CloudResource.Kind.KEY_PAIR,
                PackerNames.at(NOW.minus(Duration.ofHours(1))));
        String oddGroup = leftovers.seedNamed(REGION, CloudResource.Kind.SECURITY_GROUP, "packer_not-a-uuid");

        List<ResourcesCleaned> dry = sweep(true);
        assertThat(leftovers.removals()).isEmpty();
        assertThat(dry.get(0).resources()).allMatch(r -> r.result() == Result.PLANNED)
                .extracting(ResourcesCleaned.Resource::id)
                .containsExactlyInAnyOrder(oldInstance, oldImage, oldSnapshot, oldGroup);

        List<ResourcesCleaned> real = sweep(false);
        assertThat(real.get(0).resources()).extracting(ResourcesCleaned.Resource::id)
                .containsExactlyInAnyOrderElementsOf(dry.get(0).resources().stream()
                        .map(ResourcesCleaned.Resource::id).toList());
        assertThat(leftovers.removals()).containsExactlyInAnyOrder(oldInstance, oldImage, oldSnapshot, oldGroup);
        assertThat(List.of(fresh, untagged, release, youngKey, oddGroup)).allMatch(leftovers::exists);

        assertThat(sweep(false).get(0).resources()).as("a second sweep finds nothing left").isEmpty();
    }

    @Test
    void anUntaggedImageWithTheNameOfAnExpiredRequestIsRemoved() {
        Map<String, String> tags = new HashMap<>(expiring("pr-5", NOW.minusSeconds(1)));
        tags.put(ResourceTags.REQUEST_ID, "req-5");
        tags.put(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");
        leftovers.seed(REGION, CloudResource.Kind.INSTANCE, null, tags);
        String orphan = cloud.seedImage(REGION, ImageNames.forRequest("v1.8.2", "pr-5", "req-5"), Map.of());
        String lookAlike = cloud.seedImage(REGION, ImageNames.forRequest("v1.8.2", "pr-5", "req-6"), Map.of());

        sweep(false);

        assertThat(cloud.getImage(REGION, orphan)).isEmpty();
        assertThat(cloud.getImage(REGION, lookAlike)).isPresent();
        // Tagged with its build's expired mark before it goes, so a sweep killed midway leaves findable snapshots.
        assertThat(cloud.calls()).containsSubsequence("tagImage " + orphan, "deleteImage " + orphan);
    }

    @Test
    void olderReleasesAreDeprecatedThenDeletedAfterTheGraceAndTheNewestNeverTouched() {
        Map<String, String> noExpiry = Map.of();
        String v1 = leftovers.seedAt(REGION, CloudResource.Kind.IMAGE, "v1", release("release-v1"),
                NOW.minus(Duration.ofDays(30)));
        String v1copy = leftovers.seedAt("eu-west-1", CloudResource.Kind.IMAGE, "v1", release("release-v1"),
                NOW.minus(Duration.ofDays(29)));
        String v2 = leftovers.seedAt(REGION, CloudResource.Kind.IMAGE, "v2", release("release-v2"),
                NOW.minus(Duration.ofDays(1)));
        assertThat(noExpiry).isEmpty();

        List<ResourcesCleaned> first = sweep(false);
        assertThat(first.get(1).trigger()).isEqualTo(ResourcesCleaned.Trigger.LIFECYCLE);
        assertThat(first.get(1).resources()).extracting(ResourcesCleaned.Resource::id, ResourcesCleaned.Resource::action)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(v1, Action.DEPRECATE),
                        org.assertj.core.groups.Tuple.tuple(v1copy, Action.DEPRECATE));
        assertThat(leftovers.get(v2).deprecatedAt()).isNull();

        SweepCoordinator later = new SweepCoordinator(clouds, settings,
                Clock.fixed(NOW.plus(Duration.ofDays(8)), ZoneOffset.UTC), line -> { });
        PhaseOutcome.Emit out = (PhaseOutcome.Emit) later.run(Envelope.withId("s2", request(false),
                URI.create("/t"), clock), Attempt.uncancellable("s2"));
        assertThat(((ResourcesCleaned) out.outputs().get(1).event()).resources())
                .extracting(ResourcesCleaned.Resource::action).containsOnly(Action.DELETE);
        assertThat(leftovers.exists(v1)).isFalse();
        assertThat(leftovers.exists(v2)).isTrue();
    }

    @Test
    void anImagePublishedAsAReleaseIsNeverSweptWhateverItsBuildsExpiryAndGoesWithItsReleasesCopies() {
        // A pull-request build's image, published as v1.8.2-1 after its retention was set: a release now.
        Map<String, String> published = new HashMap<>(expiring("pr-9", NOW.minusSeconds(60)));
        published.put(ResourceTags.RELEASE_TAG, "v1.8.2-1");
        String source = leftovers.seedAt(REGION, CloudResource.Kind.IMAGE, "kubevirt-pr-9", published,
                NOW.minus(Duration.ofDays(3)));
        String copy = leftovers.seedAt("eu-west-1", CloudResource.Kind.IMAGE, "cib-v1.8.2-1",
                Map.of(ResourceTags.BUILD_ID, "release-v1-8-2-1", ResourceTags.PHASE, "publish",
                        ResourceTags.RELEASE_TAG, "v1.8.2-1"), NOW.minus(Duration.ofDays(3)));

        List<ResourcesCleaned> events = sweep(false);

        assertThat(List.of(source, copy)).allMatch(leftovers::exists);
        assertThat(events.get(0).resources()).extracting(ResourcesCleaned.Resource::id).doesNotContain(source);
    }

    private static Map<String, String> release(String build) {
        return Map.of(ResourceTags.BUILD_ID, build);
    }

    private static Map<String, String> expiring(String build, Instant at) {
        return Map.of(ResourceTags.BUILD_ID, build, ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(at));
    }

    private List<ResourcesCleaned> sweep(boolean dryRun) {
        PhaseOutcome.Emit out = (PhaseOutcome.Emit) sweep.run(Envelope.withId("s-" + dryRun, request(dryRun),
                URI.create("/t"), clock), Attempt.uncancellable("s"));
        return out.outputs().stream().map(o -> (ResourcesCleaned) o.event()).toList();
    }

    private static SweepRequested request(boolean dryRun) {
        return new SweepRequested("1.1", "sweep-1", dryRun, "test", null, null);
    }

    private static ImageVerified verified(String build, String image, String instance) {
        return new ImageVerified("1.1", build, Cloud.AWS, REGION, null, image, instance,
                ImageVerified.Outcome.PASSED, null, List.of(), "v1.8.2", null, null, null, null,
                "0a0b0c0d-1111-4222-8333-444455556666", null);
    }

    private <T extends io.kubevirt.cib.events.PipelineEvent> ResourcesCleaned run(
            io.kubevirt.cib.common.phase.Phase<T> phase, T data) {
        PhaseOutcome.Emit out = (PhaseOutcome.Emit) phase.run(Envelope.withId("e1", data, URI.create("/t"), clock),
                Attempt.uncancellable("e1"));
        return (ResourcesCleaned) out.event();
    }

    @SuppressWarnings("unused")
    private static CloudImage.State unused() {
        return CloudImage.State.AVAILABLE;
    }
}
