package io.kubevirt.cib.publish.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.InMemoryImagePublishing;
import io.kubevirt.cib.common.cloud.InMemoryPublishing;
import io.kubevirt.cib.common.cloud.RegionDirectory.OptIn;
import io.kubevirt.cib.common.cloud.RegionDirectory.RegionInfo;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.InMemoryPhaseLedger;
import io.kubevirt.cib.common.phase.OutcomeSink;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseRunner;
import io.kubevirt.cib.common.phase.WireEvent;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The publish phase on in-memory fakes: gate, preflight, fan-out, reruns, dry run. No broker, no cloud. */
class PublishCoordinatorTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
    private static final String SOURCE = "us-west-1";
    private static final List<RegionInfo> REGIONS = List.of(
            new RegionInfo("us-west-1", OptIn.NOT_REQUIRED),
            new RegionInfo("us-east-1", OptIn.NOT_REQUIRED),
            new RegionInfo("eu-west-1", OptIn.NOT_REQUIRED),
            new RegionInfo("ap-south-1", OptIn.NOT_REQUIRED),
            new RegionInfo("me-south-1", OptIn.OPTED_IN),
            new RegionInfo("af-south-1", OptIn.NOT_OPTED_IN),
            new RegionInfo("cn-north-1", OptIn.NOT_REQUIRED));

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final InMemoryPublishing publishing = new InMemoryPublishing(cloud, REGIONS);

    private PublishCoordinator coordinator(Set<String> allow, int concurrency) {
        return new PublishCoordinator(new PublishCoordinator.AwsPorts(cloud, publishing, publishing, publishing,
                publishing), new PublishSettings(SOURCE, allow, Set.of(), Duration.ofSeconds(10), concurrency,
                Optional.of(Duration.ofDays(730)), "us-central1"), CLOCK, (b, m) -> { });
    }

    private PublishCoordinator coordinator() {
        return coordinator(Set.of(), 8);
    }

    private String verifiedImage(String version, String commit) {
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, "b-1",
                ResourceTags.KUBEVIRT_VERSION, version));
        tags.putAll(new VerifiedMarker("b-1", version, null, commit, "evt-1", CLOCK.instant()).tags());
        return cloud.seedImage(SOURCE, "cib-b-1", tags, CloudImage.State.AVAILABLE);
    }

    private static Envelope<ReleaseTagged> release(String tag, String version, String commit, Boolean dryRun) {
        return Envelope.create(new ReleaseTagged(EventType.CURRENT_VERSION, "release-" + tag.replace('.', '-'), tag,
                version, List.of(Cloud.AWS), commit, null, null, dryRun), URI.create("/test"), CLOCK);
    }

    private static PhaseOutcome.Emit emit(PhaseOutcome outcome) {
        assertThat(outcome).isInstanceOf(PhaseOutcome.Emit.class);
        return (PhaseOutcome.Emit) outcome;
    }

    private static ReleasePublished summary(PhaseOutcome.Emit emit) {
        return emit.outputs().stream().map(PhaseOutcome.Output::event).filter(ReleasePublished.class::isInstance)
                .map(ReleasePublished.class::cast).findFirst().orElseThrow();
    }

    @Test
    void aVerifiedImageBecomesPublicInEveryEnabledRegionOfItsPartition() {
        String source = verifiedImage("v1.9.0-rc.1", "056f2f4aa");
        PhaseOutcome.Emit emit = emit(coordinator().run(release("v1.9.0-rc.1-2", "v1.9.0-rc.1", "056f2f4", null),
                Attempt.uncancellable("i-1")));

        assertThat(emit.outputs()).extracting(PhaseOutcome.Output::name).containsExactlyInAnyOrder(
                "image.published/us-west-1", "image.published/us-east-1", "image.published/eu-west-1",
                "image.published/ap-south-1", "image.published/me-south-1", "release.published");
        ReleasePublished summary = summary(emit);
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(summary.failedRegions()).isEmpty();
        for (ReleasePublished.PublishedImage p : summary.published()) {
            assertThat(publishing.isPublic(p.region(), p.imageId())).as(p.region()).isTrue();
            assertThat(publishing.deprecation(p.imageId())).contains(CLOCK.instant().plus(Duration.ofDays(730)));
        }
        assertThat(publishing.copies()).hasSize(4).noneMatch(c -> c.startsWith("af-") || c.startsWith("cn-"));
        ImagePublished eu = emit.outputs().stream().map(PhaseOutcome.Output::event)
                .filter(ImagePublished.class::isInstance).map(ImagePublished.class::cast)
                .filter(p -> p.region().equals("eu-west-1")).findFirst().orElseThrow();
        assertThat(eu.sourceImageId()).isEqualTo(source);
        assertThat(cloud.getImage("eu-west-1", eu.imageId()).orElseThrow().tags())
                .containsEntry(ResourceTags.RELEASE_TAG, "v1.9.0-rc.1-2")
                .containsEntry(ResourceTags.SOURCE_IMAGE, source)
                .containsEntry(ResourceTags.BUILD_ID, "release-v1-9-0-rc-1-2");
    }

    @Test
    void aPublishedSourceLosesTheExpiryItsBuildsRetentionGaveIt() {
        String source = verifiedImage("v1.9.0", null);
        cloud.tagImage(SOURCE, source, Map.of(ResourceTags.EXPIRES_AT, "1764583200"));

        coordinator().run(release("v1.9.0", "v1.9.0", null, null), Attempt.uncancellable("i-1"));

        assertThat(cloud.getImage(SOURCE, source).orElseThrow().tags()).doesNotContainKey(ResourceTags.EXPIRES_AT)
                .containsEntry(ResourceTags.RELEASE_TAG, "v1.9.0");
    }

    @Test
    void aRerunReusesEveryCopyAndCopiesNothingAgain() {
        verifiedImage("v1.9.0", null);
        coordinator().run(release("v1.9.0", "v1.9.0", null, null), Attempt.uncancellable("i-1"));
        int copies = publishing.copies().size();
        // A replay (new input id) or a redelivery after a crash: the cloud's tags say what exists.
        PhaseOutcome.Emit again = emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-2")));
        assertThat(publishing.copies()).hasSize(copies);
        assertThat(summary(again).outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
    }

    @Test
    void aCopyWhoseTagsNeverLandedIsFoundByName() {
        String source = verifiedImage("v1.9.0", null);
        String orphan = cloud.seedImage("eu-west-1", PublishCoordinator.copyName("v1.9.0", source), Map.of());
        PhaseOutcome.Emit emit = emit(coordinator(Set.of(SOURCE, "eu-west-1"), 2)
                .run(release("v1.9.0", "v1.9.0", null, null), Attempt.uncancellable("i-1")));
        assertThat(publishing.copies()).isEmpty();
        assertThat(summary(emit).published()).extracting(ReleasePublished.PublishedImage::imageId).contains(orphan);
    }

    @Test
    void oneFailingRegionLeavesTheOthersPublishedAndARerunFixesOnlyIt() {
        verifiedImage("v1.9.0", null);
        publishing.failCopiesTo("ap-south-1", "ResourceLimitExceeded");
        ReleasePublished first = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-1"))));
        assertThat(first.outcome()).isEqualTo(ReleasePublished.Outcome.PARTIAL);
        assertThat(first.failedRegions()).singleElement().satisfies(f -> {
            assertThat(f.region()).isEqualTo("ap-south-1");
            assertThat(f.reason()).contains("ResourceLimitExceeded");
        });
        assertThat(first.published()).hasSize(4);

        publishing.healRegion("ap-south-1");
        int before = publishing.copies().size();
        ReleasePublished second = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-2"))));
        assertThat(second.outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(publishing.copies()).hasSize(before + 1).last().asString().startsWith("ap-south-1 ");
    }

    @Test
    void aReleaseTaggedBeforeAnyVerifiedImageAsksForItsOwnBuildAndMakesNothingPublic() {
        String unverified = cloud.seedImage(SOURCE, "cib-b-2", Map.of(ResourceTags.BUILD_ID, "b-2",
                ResourceTags.KUBEVIRT_VERSION, "v1.9.0"), CloudImage.State.AVAILABLE);

        PhaseOutcome.Emit emit = emit(coordinator().run(release("v1.9.0", "v1.9.0", "9fceb02", null),
                Attempt.uncancellable("i-1")));

        BuildRequested build = (BuildRequested) emit.event();
        assertThat(build.buildId()).isEqualTo("release-v1-9-0-aws");
        assertThat(build.releaseTag()).isEqualTo("v1.9.0");
        assertThat(build.kubevirtVersion()).isEqualTo("v1.9.0");
        assertThat(build.cloud()).isEqualTo(Cloud.AWS);
        assertThat(build.region()).isEqualTo(SOURCE);
        assertThat(build.gitRef()).isEqualTo("9fceb02");
        assertThat(build.requestedBy()).isEqualTo("publish-worker");
        assertThat(publishing.isPublic(SOURCE, unverified)).isFalse();
        assertThat(publishing.copies()).isEmpty();
    }

    @Test
    void aDryRunOfAReleaseWithoutAnImageSaysItWouldAskForABuild() {
        ReleasePublished plan = (ReleasePublished) emit(coordinator().run(release("v1.9.0", "v1.9.0", null, true),
                Attempt.uncancellable("i-1"))).event();
        assertThat(plan.dryRun()).isTrue();
        assertThat(String.join("\n", plan.plan())).contains("would request build release-v1-9-0-aws");
    }

    @Test
    void aPassedVerificationOfTheReleasesBuildPublishesThatExactImage() {
        verifiedImage("v1.9.0", null); // an older verified image of the same version: not this release's
        String built = verifiedImage("v1.9.0", null);
        VerifiedReleaseCoordinator verifiedRelease = new VerifiedReleaseCoordinator(coordinator());

        ReleasePublished summary = summary(emit(verifiedRelease.run(verified(built, "v1.9.0",
                ImageVerified.Outcome.PASSED, "v1.9.0"), Attempt.uncancellable("i-1"))));

        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(summary.releaseTag()).isEqualTo("v1.9.0");
        assertThat(summary.published()).filteredOn(p -> p.region().equals(SOURCE))
                .extracting(ReleasePublished.PublishedImage::imageId).containsExactly(built);
    }

    @Test
    void aFailedVerificationOfTheReleasesBuildEndsTheReleaseWithItsReasonAndPublishesNothing() {
        String built = cloud.seedImage(SOURCE, "cib-b-9", Map.of(ResourceTags.BUILD_ID, "b-9",
                ResourceTags.KUBEVIRT_VERSION, "v1.9.0"), CloudImage.State.AVAILABLE);
        VerifiedReleaseCoordinator verifiedRelease = new VerifiedReleaseCoordinator(coordinator());

        ReleasePublished summary = (ReleasePublished) emit(verifiedRelease.run(verified(built, "v1.9.0",
                ImageVerified.Outcome.FAILED, "v1.9.0"), Attempt.uncancellable("i-1"))).event();

        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.FAILED);
        assertThat(summary.failedRegions().get(0).reason()).contains("verification of build", built,
                "vmi-running timed out");
        assertThat(publishing.isPublic(SOURCE, built)).isFalse();
    }

    @Test
    void aVerificationNoReleaseWaitsForIsNotThisPhasesBusiness() {
        String built = verifiedImage("v1.9.0", null);
        assertThat(new VerifiedReleaseCoordinator(coordinator()).run(verified(built, "v1.9.0",
                ImageVerified.Outcome.PASSED, null), Attempt.uncancellable("i-1")))
                .isInstanceOf(PhaseOutcome.NotForThisPhase.class);
        assertThat(publishing.isPublic(SOURCE, built)).isFalse();
    }

    @Test
    void theReleasesImageVerifiedForAnotherVersionIsRefusedSayingBoth() {
        String built = verifiedImage("v1.8.2", null);
        ReleasePublished summary = (ReleasePublished) emit(new VerifiedReleaseCoordinator(coordinator())
                .run(verified(built, "v1.9.0", ImageVerified.Outcome.PASSED, "v1.9.0"),
                        Attempt.uncancellable("i-1"))).event();
        assertThat(summary.failedRegions().get(0).reason()).contains("version gate", built, "v1.8.2", "v1.9.0");
        assertThat(publishing.isPublic(SOURCE, built)).isFalse();
    }

    @Test
    void eachRegionsEventLeavesAsSoonAsThatRegionIsPublic() throws Exception {
        verifiedImage("v1.9.0", null);
        Envelope<ReleaseTagged> input = release("v1.9.0", "v1.9.0", null, null);
        String eastEvent = EventIds.derived(input.id(), "image.published/us-east-1");
        CountDownLatch eastOnTheBroker = new CountDownLatch(1);
        // eu-west-1 stays pending until us-east-1's event is on the broker: held to the end, it would time out.
        publishing.holdCopies("eu-west-1", eastOnTheBroker);
        List<String> broker = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        OutcomeSink sink = (events, attempt) -> events.forEach(e -> {
            broker.add(e.id());
            if (e.id().equals(eastEvent)) {
                eastOnTheBroker.countDown();
            }
        });
        PhaseRunner runner = new PhaseRunner(new InMemoryPhaseLedger(), sink, new EventCodec(),
                URI.create("/cib/publish-worker"), CLOCK, 3, (b, m) -> { });

        var result = (PhaseRunner.Handled) runner.run(input, coordinator(Set.of(SOURCE, "us-east-1", "eu-west-1"), 4),
                Attempt.uncancellable(input.id()));

        ReleasePublished summary = (ReleasePublished) new EventCodec().decode(ReleasePublished.class,
                result.published().get(result.published().size() - 1).headers(),
                result.published().get(result.published().size() - 1).value()).data();
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(broker).doesNotHaveDuplicates().hasSize(4)
                .containsExactlyInAnyOrderElementsOf(result.published().stream().map(WireEvent::id).toList());
        assertThat(broker.indexOf(eastEvent)).isLessThan(broker.indexOf(
                EventIds.derived(input.id(), "image.published/eu-west-1")));
    }

    private static Envelope<ImageVerified> verified(String imageId, String version, ImageVerified.Outcome outcome,
            String releaseTag) {
        boolean failed = outcome == ImageVerified.Outcome.FAILED;
        return Envelope.create(new ImageVerified(EventType.CURRENT_VERSION, "release-v1-9-0-aws", Cloud.AWS, SOURCE,
                null, imageId, "i-0123456789abcdef0", outcome, failed ? "vmi-running timed out" : null, List.of(),
                version, "v1.35.0", null, failed ? false : null, failed ? ImageVerified.FailureKind.IMAGE : null,
                releaseTag, null, null), URI.create("/cib/test-worker"), CLOCK);
    }

    @Test
    void aCommitMismatchNamesBothCommits() {
        String image = verifiedImage("v1.9.0", "aaaaaaa1");
        ReleasePublished summary = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", "bbbbbbb2", null),
                Attempt.uncancellable("i-1"))));
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.FAILED);
        assertThat(summary.failedRegions().get(0).reason()).contains(image, "aaaaaaa1", "bbbbbbb2");
        assertThat(publishing.isPublic(SOURCE, image)).isFalse();
    }

    @Test
    void aMarkerForAnotherVersionIsRefusedSayingBothVersions() {
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, "b-3",
                ResourceTags.KUBEVIRT_VERSION, "v1.9.0"));
        tags.putAll(new VerifiedMarker("b-3", "v1.8.2", null, null, "evt-3", CLOCK.instant()).tags());
        String image = cloud.seedImage(SOURCE, "cib-b-3", tags, CloudImage.State.AVAILABLE);
        ReleasePublished summary = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-1"))));
        assertThat(summary.failedRegions().get(0).reason()).contains(image, "built for v1.9.0",
                "verified for v1.8.2");
    }

    @Test
    void aTagThatNamesAnotherVersionThanTheEventIsRefused() {
        verifiedImage("v1.9.0", null);
        ReleasePublished summary = summary(emit(coordinator().run(release("v1.9.1", "v1.9.0", null, null),
                Attempt.uncancellable("i-1"))));
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.FAILED);
        assertThat(summary.failedRegions().get(0).reason()).contains("v1.9.1", "v1.9.0");
    }

    @Test
    void aDryRunPlansAndChangesNothing() {
        String source = verifiedImage("v1.9.0", null);
        ReleasePublished plan = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, true),
                Attempt.uncancellable("i-1"))));
        assertThat(plan.dryRun()).isTrue();
        assertThat(plan.published()).isEmpty();
        assertThat(String.join("\n", plan.plan())).contains(source, "copy to eu-west-1", "af-south-1",
                "block public access off");
        assertThat(publishing.copies()).isEmpty();
        assertThat(publishing.isPublic(SOURCE, source)).isFalse();
    }

    @Test
    void preflightRefusesBlockedPublicAccessAndOptInRegionsNotEnabledBeforeChangingAnything() {
        String source = verifiedImage("v1.9.0", null);
        publishing.blockPublicImages(true);
        ReleasePublished blocked = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-1"))));
        assertThat(blocked.failedRegions().get(0).reason()).contains("preflight", "block public access");
        publishing.blockPublicImages(false);

        ReleasePublished optIn = summary(emit(coordinator(Set.of(SOURCE, "eu-west-1", "af-south-1"), 4)
                .run(release("v1.9.0", "v1.9.0", null, null), Attempt.uncancellable("i-2"))));
        assertThat(optIn.failedRegions().get(0).reason()).contains("opt-in regions not enabled", "af-south-1");
        assertThat(publishing.copies()).isEmpty();
        assertThat(publishing.isPublic(SOURCE, source)).isFalse();
    }

    @Test
    void regionsAreCopiedConcurrently() {
        verifiedImage("v1.9.0", null);
        // Each copy completes only while all four wait at once: one after another they would run out of budget.
        publishing.rendezvous(4);
        ReleasePublished summary = summary(emit(coordinator().run(release("v1.9.0", "v1.9.0", null, null),
                Attempt.uncancellable("i-1"))));
        assertThat(summary.outcome()).as(String.valueOf(summary.failedRegions()))
                .isEqualTo(ReleasePublished.Outcome.COMPLETE);
    }

    // --- GCP --------------------------------------------------------------------------------------------------------

    private final InMemoryCloud gceImages = new InMemoryCloud();
    private final InMemoryImagePublishing gce = new InMemoryImagePublishing(gceImages, "kubevirt-images");

    private PublishCoordinator bothClouds() {
        return new PublishCoordinator(new PublishCoordinator.AwsPorts(cloud, publishing, publishing, publishing,
                publishing), new PublishCoordinator.GcpPorts(gceImages, gce, gce, gce),
                new PublishSettings(SOURCE, Set.of(), Set.of(), Duration.ofSeconds(10), 8, Optional.empty(),
                        "us-central1", Set.of(Cloud.AWS, Cloud.GCP), Optional.of("kubevirt-ci"), "kubevirt"),
                CLOCK, (b, m) -> { });
    }

    private String verifiedGceImage(String version) {
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, "g-1",
                ResourceTags.KUBEVIRT_VERSION, version));
        tags.putAll(new VerifiedMarker("g-1", version, null, null, "evt-g", CLOCK.instant()).tags());
        return gceImages.seedImage(PublishCoordinator.GCP_LOCATION, "kubevirt-g-1", tags, CloudImage.State.AVAILABLE);
    }

    private static Envelope<ReleaseTagged> release(String tag, List<Cloud> clouds) {
        return Envelope.create(new ReleaseTagged(EventType.CURRENT_VERSION, "release-" + tag.replace('.', '-'), tag,
                tag, clouds, null, null, null, null), URI.create("/test"), CLOCK);
    }

    @Test
    void onGcpTheReleaseImageJoinsItsFamilyOnlyAfterItIsPublicAndExported() {
        verifiedImage("v1.9.0", null);
        String source = verifiedGceImage("v1.9.0");

        PhaseOutcome.Emit emit = emit(bothClouds().run(release("v1.9.0", null), Attempt.uncancellable("i-1")));

        assertThat(gce.calls()).containsExactly("addHeld kubevirt-v1-9-0", "makePublic kubevirt-v1-9-0",
                "export kubevirt-v1-9-0 gs://kubevirt-images/v1.9.0.tar.gz", "release kubevirt-v1-9-0");
        assertThat(gce.resolve("kubevirt")).contains("kubevirt-v1-9-0");
        ReleasePublished summary = summary(emit);
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(summary.published()).filteredOn(p -> p.cloud() == Cloud.GCP).singleElement().satisfies(p -> {
            assertThat(p.imageId()).isEqualTo("kubevirt-v1-9-0");
            assertThat(p.exportUri()).isEqualTo("gs://kubevirt-images/v1.9.0.tar.gz");
        });
        ImagePublished onGcp = emit.outputs().stream().map(PhaseOutcome.Output::event)
                .filter(ImagePublished.class::isInstance).map(ImagePublished.class::cast)
                .filter(p -> p.cloud() == Cloud.GCP).findFirst().orElseThrow();
        assertThat(onGcp.sourceImageId()).isEqualTo(source);
        assertThat(onGcp.project()).isEqualTo("kubevirt-ci");
        assertThat(summary.published()).filteredOn(p -> p.cloud() == Cloud.AWS).hasSize(5);
    }

    @Test
    void aFailedExportLeavesTheFamilyAsItWasAndTheOtherCloudPublished() {
        verifiedImage("v1.9.0", null);
        verifiedGceImage("v1.9.0");
        gce.failExports("the Cloud Build service account lacks roles/compute.admin");

        ReleasePublished summary = summary(emit(bothClouds().run(release("v1.9.0", null),
                Attempt.uncancellable("i-1"))));

        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.PARTIAL);
        assertThat(summary.failedRegions()).singleElement().satisfies(f -> {
            assertThat(f.cloud()).isEqualTo(Cloud.GCP);
            assertThat(f.reason()).contains("lacks roles/compute.admin");
        });
        assertThat(gce.resolve("kubevirt")).as("never handed out through the family").isEmpty();
        assertThat(gce.calls()).noneMatch(c -> c.startsWith("release "));
    }

    @Test
    void aGcpReleaseWithoutAVerifiedImageAsksForAGcpBuild() {
        BuildRequested build = (BuildRequested) emit(bothClouds().run(release("v1.9.0", List.of(Cloud.GCP)),
                Attempt.uncancellable("i-1"))).event();
        assertThat(build.cloud()).isEqualTo(Cloud.GCP);
        assertThat(build.buildId()).isEqualTo("release-v1-9-0-gcp");
        assertThat(build.releaseTag()).isEqualTo("v1.9.0");
        assertThat(gce.calls()).isEmpty();
    }

    @Test
    void aCloudThisWorkerDoesNotPublishOnIsNamedInTheSummary() {
        verifiedImage("v1.9.0", null);
        ReleasePublished summary = summary(emit(coordinator().run(release("v1.9.0", null),
                Attempt.uncancellable("i-1"))));
        assertThat(summary.outcome()).isEqualTo(ReleasePublished.Outcome.PARTIAL);
        assertThat(summary.failedRegions()).singleElement().satisfies(f -> {
            assertThat(f.cloud()).isEqualTo(Cloud.GCP);
            assertThat(f.reason()).contains("not enabled");
        });
    }

    @Test
    void releaseTagsKeepPreReleaseAndRevisionApart() {
        assertThat(ReleaseTag.parse("v1.9.0-1")).contains(new ReleaseTag("v1.9.0-1", "v1.9.0", 1));
        assertThat(ReleaseTag.parse("v1.9.0-rc.1")).contains(new ReleaseTag("v1.9.0-rc.1", "v1.9.0-rc.1", 0));
        assertThat(ReleaseTag.parse("v1.9.0-rc.1-2")).contains(new ReleaseTag("v1.9.0-rc.1-2", "v1.9.0-rc.1", 2));
        assertThat(ReleaseTag.parse("v1.9.0-rc1")).isEmpty();
        assertThat(ReleaseTag.parse("v1.9")).isEmpty();
    }
}
