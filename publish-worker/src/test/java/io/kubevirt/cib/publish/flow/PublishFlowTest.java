package io.kubevirt.cib.publish.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.InjectMoto;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.kubevirt.cib.devstack.PublishAnswers;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ImageAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.PermissionGroup;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * release.tagged in, public AMIs out, through the real broker and moto (behind the proxy, which answers the two
 * calls moto lacks). The test profile allows six regions (application.properties) to keep the run short.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = MotoTestResource.class, initArgs = @ResourceArg(name = "slowProxy", value = "true"))
class PublishFlowTest {

    private static final String SOURCE = "us-west-1";
    private static final Set<String> REGIONS = Set.of("us-west-1", "us-east-1", "us-east-2", "eu-west-1",
            "eu-central-1", "ap-southeast-2");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final AtomicInteger PATCH = new AtomicInteger(10);

    @InjectMoto
    MotoServer moto;

    @InjectMoto
    SlowCloudProxy proxy;

    private EventStreamClient stream;

    @BeforeEach
    void connect() {
        stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers());
        PublishAnswers.answerWhatMotoLacks(proxy);
    }

    @AfterEach
    void disconnect() {
        stream.close();
    }

    @Test
    void aVerifiedImageEndsPublicInEveryRegionAndARedeliveryCopiesNothing() {
        String version = "v1.9." + PATCH.incrementAndGet();
        String source = seedImage(version, true, "056f2f4");
        Envelope<ReleaseTagged> tagged = stream.send(release(version + "-1", version, "056f2f4", null));

        ReleasePublished summary = stream.awaitEvents(ReleasePublished.class, tagged.data().buildId(), 1, WAIT)
                .get(0).data();
        assertThat(summary.outcome()).as(String.valueOf(summary.failedRegions()))
                .isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(summary.published()).extracting(ReleasePublished.PublishedImage::region)
                .containsExactlyInAnyOrderElementsOf(REGIONS);
        List<Envelope<ImagePublished>> perRegion = stream.awaitEvents(ImagePublished.class,
                tagged.data().buildId(), REGIONS.size(), WAIT);
        assertThat(perRegion).extracting(e -> e.data().region()).containsExactlyInAnyOrderElementsOf(REGIONS);
        for (ReleasePublished.PublishedImage p : summary.published()) {
            assertThat(isPublic(p.region(), p.imageId())).as(p.region()).isTrue();
            if (!p.region().equals(SOURCE)) {
                assertThat(copiesOf(p.region(), version + "-1")).as(p.region()).hasSize(1);
            }
        }
        assertThat(summary.published()).filteredOn(p -> p.region().equals(SOURCE))
                .extracting(ReleasePublished.PublishedImage::imageId).containsExactly(source);

        RecordMetadata redelivery = stream.send(tagged); // the same event again
        stream.awaitConsumed("publish-worker", redelivery, WAIT);
        List<ConsumerRecord<String, String>> all = stream.records(EventType.IMAGE_PUBLISHED.topic(),
                r -> tagged.data().buildId().equals(r.key()), Duration.ofMillis(500));
        // Each region's event is on the topic once: the redelivery is answered from the ledger.
        assertThat(all).extracting(PublishFlowTest::ceId).hasSize(REGIONS.size()).doesNotHaveDuplicates();
        for (String region : REGIONS) {
            if (!region.equals(SOURCE)) {
                assertThat(copiesOf(region, version + "-1")).as(region).hasSize(1);
            }
        }
    }

    @Test
    void aTagBeforeItsImageAsksForTheBuildAndItsPassedVerificationIsPublishedOnce() {
        String version = "v1.9." + PATCH.incrementAndGet();
        String unverified = seedImage(version, false, null, "b-unverified-" + PATCH.get());
        Envelope<ReleaseTagged> tagged = stream.send(release(version, version, null, null));

        // The release asks for its own build; the image that was never verified stays private.
        String buildId = tagged.data().buildId() + "-aws";
        BuildRequested build = stream.awaitEvents(BuildRequested.class, buildId, 1, WAIT).get(0).data();
        assertThat(build.releaseTag()).isEqualTo(version);
        assertThat(build.region()).isEqualTo(SOURCE);
        assertThat(isPublic(SOURCE, unverified)).isFalse();

        // What the build-worker and the test-worker do with it: an image, marked verified, and image.verified
        // carrying the tag. A verification no release waits for arrives too and is left alone.
        String built = seedImage(version, true, null, buildId);
        String otherBuild = "b-other-" + PATCH.get();
        String other = seedImage(version, true, null, otherBuild);
        RecordMetadata notForUs = stream.send(Envelope.create(verified(otherBuild, other, version,
                ImageVerified.Outcome.PASSED, null), URI.create("/cib/test"), Clock.systemUTC()));
        stream.send(verified(buildId, built, version, ImageVerified.Outcome.PASSED, version));

        // Keyed by the release, as in the other order.
        String releaseId = tagged.data().buildId();
        ReleasePublished summary = stream.awaitEvents(ReleasePublished.class, releaseId, 1, WAIT).get(0).data();
        assertThat(summary.outcome()).as(String.valueOf(summary.failedRegions()))
                .isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(summary.releaseTag()).isEqualTo(version);
        assertThat(summary.published()).extracting(ReleasePublished.PublishedImage::region)
                .containsExactlyInAnyOrderElementsOf(REGIONS);
        assertThat(summary.published()).filteredOn(p -> p.region().equals(SOURCE))
                .extracting(ReleasePublished.PublishedImage::imageId).containsExactly(built);
        for (ReleasePublished.PublishedImage p : summary.published()) {
            assertThat(isPublic(p.region(), p.imageId())).as(p.region()).isTrue();
        }
        assertThat(stream.awaitEvents(ImagePublished.class, releaseId, REGIONS.size(), WAIT))
                .extracting(Envelope::id).doesNotHaveDuplicates();
        stream.awaitConsumed("publish-worker", notForUs, WAIT);
        assertThat(isPublic(SOURCE, other)).isFalse();
        assertThat(stream.records(EventType.RELEASE_PUBLISHED.topic(), r -> otherBuild.equals(r.key()),
                Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void aFailedVerificationOfTheReleasesBuildEndsTheReleaseAndACommitMismatchIsRefused() {
        String version = "v1.9." + PATCH.incrementAndGet();
        String releaseId = "release-" + version.replace('.', '-');
        String buildId = releaseId + "-aws";
        String failedImage = seedImage(version, false, null, buildId);
        stream.send(verified(buildId, failedImage, version, ImageVerified.Outcome.FAILED, version));
        ReleasePublished failed = stream.awaitEvents(ReleasePublished.class, releaseId, 1, WAIT).get(0).data();
        assertThat(failed.outcome()).isEqualTo(ReleasePublished.Outcome.FAILED);
        assertThat(failed.failedRegions().get(0).reason()).contains("verification of build " + buildId,
                "vmi-running timed out");
        assertThat(isPublic(SOURCE, failedImage)).isFalse();

        String other = "v1.9." + PATCH.incrementAndGet();
        String verified = seedImage(other, true, "aaaaaaa", "b-" + other.replace('.', '-'));
        ReleasePublished mismatch = publish(release(other, other, "bbbbbbb", null));
        assertThat(mismatch.failedRegions().get(0).reason()).contains(verified, "aaaaaaa", "bbbbbbb");
        assertThat(isPublic(SOURCE, verified)).isFalse();
        assertThat(copiesOf("eu-west-1", other)).isEmpty();
    }

    private static ImageVerified verified(String buildId, String imageId, String version,
            ImageVerified.Outcome outcome, String releaseTag) {
        boolean failed = outcome == ImageVerified.Outcome.FAILED;
        return new ImageVerified(EventType.CURRENT_VERSION, buildId, Cloud.AWS, SOURCE, null, imageId,
                "i-0123456789abcdef0", outcome, failed ? "vmi-running timed out" : null, List.of(), version,
                "v1.35.0", null, failed ? false : null, failed ? ImageVerified.FailureKind.IMAGE : null, releaseTag,
                UUID.randomUUID().toString(), null);
    }

    @Test
    void aDryRunEmitsItsPlanAndChangesNothing() {
        String version = "v1.9." + PATCH.incrementAndGet();
        String source = seedImage(version, true, null);
        ReleasePublished plan = publish(release(version, version, null, true));
        assertThat(plan.dryRun()).isTrue();
        assertThat(String.join("\n", plan.plan())).contains(source, "copy to eu-west-1");
        assertThat(isPublic(SOURCE, source)).isFalse();
        for (String region : REGIONS) {
            assertThat(copiesOf(region, version)).as(region).isEmpty();
        }
    }

    private ReleasePublished publish(ReleaseTagged release) {
        Envelope<ReleaseTagged> sent = stream.send(release);
        return stream.awaitEvents(ReleasePublished.class, sent.data().buildId(), 1, WAIT).get(0).data();
    }

    private static ReleaseTagged release(String tag, String version, String commit, Boolean dryRun) {
        return new ReleaseTagged(EventType.CURRENT_VERSION, "release-" + tag.replace('.', '-'), tag, version,
                List.of(Cloud.AWS), commit, null, null, dryRun);
    }

    private static String ceId(ConsumerRecord<String, String> r) {
        Header h = r.headers().lastHeader("ce_id");
        return h == null ? "" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private Ec2Client ec2(String region) {
        return Ec2Client.builder().region(Region.of(region)).endpointOverride(URI.create(moto.endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    /** A built image in the source region, with the test-worker's marker when {@code verified}. */
    private String seedImage(String version, boolean verified, String commit) {
        return seedImage(version, verified, commit, "b-" + version.replace('.', '-'));
    }

    private String seedImage(String version, boolean verified, String commit, String buildId) {
        try (Ec2Client ec2 = ec2(SOURCE)) {
            String instance = ec2.runInstances(r -> r.imageId(MotoServer.BASE_AMI_ID)
                    .instanceType(InstanceType.T3_MICRO).minCount(1).maxCount(1)).instances().get(0).instanceId();
            String image = ec2.createImage(r -> r.instanceId(instance).name("cib-build-" + buildId)).imageId();
            ec2.terminateInstances(r -> r.instanceIds(instance));
            Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, buildId,
                    ResourceTags.KUBEVIRT_VERSION, version));
            if (verified) {
                tags.putAll(new VerifiedMarker(buildId, version, null, commit, "evt-" + buildId,
                        Clock.systemUTC().instant()).tags());
            }
            ec2.createTags(r -> r.resources(image).tags(tags.entrySet().stream()
                    .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList()));
            return image;
        }
    }

    private boolean isPublic(String region, String imageId) {
        try (Ec2Client ec2 = ec2(region)) {
            return ec2.describeImageAttribute(r -> r.imageId(imageId).attribute(ImageAttributeName.LAUNCH_PERMISSION))
                    .launchPermissions().stream().anyMatch(p -> p.group() == PermissionGroup.ALL);
        }
    }

    private List<String> copiesOf(String region, String releaseTag) {
        try (Ec2Client ec2 = ec2(region)) {
            return ec2.describeImages(r -> r.owners("self").filters(Filter.builder()
                    .name("tag:" + ResourceTags.RELEASE_TAG).values(releaseTag).build())).images().stream()
                    .filter(i -> !i.name().startsWith("cib-build-")).map(i -> i.imageId()).toList();
        }
    }
}
