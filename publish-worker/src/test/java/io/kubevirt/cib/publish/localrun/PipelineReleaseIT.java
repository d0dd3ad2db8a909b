package io.kubevirt.cib.publish.localrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.LocalStack;
import io.kubevirt.cib.devstack.LocalWorkers;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageAttributeName;
import software.amazon.awssdk.services.ec2.model.LaunchPermission;
import software.amazon.awssdk.services.ec2.model.PermissionGroup;

/**
 * The tag-first release through the real broker, as {@code bin/local-run} runs the workers: dev-stack's LocalStack
 * with the stand-in guest, the packaged build-worker (Packer against moto), test-worker (SSH to the guest) and
 * publish-worker (moto behind the publish proxy, a few allowed regions). {@code release.tagged} comes first, while no
 * image of its KubeVirt version exists: the publish-worker asks for the build, and the passed verification carrying
 * the release tag ends as a verified-first release does: the image public in the source region, one public copy in
 * every other allowed region (read from moto itself), one image.published per region, one release.published complete.
 * The same release.tagged delivered again adds nothing.
 */
@Timeout(170)
class PipelineReleaseIT {

    private static final String SOURCE = LocalWorkers.REGION;
    private static final List<String> REGIONS = List.of(SOURCE, "us-east-1", "eu-west-1");
    private static final String VERSION = "v1.8.2";
    private static final String TAG = VERSION + "-1"; // revision 1 of the version, as bin/local-run tags it
    private static final String GROUP = "publish-worker"; // the release-tagged channel's group.id

    @Test
    void aReleaseTaggedBeforeItsImageExistsIsBuiltVerifiedAndPublishedOnceInEveryAllowedRegion() throws Exception {
        long started = System.nanoTime();
        String releaseId = "release-it-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/pipeline-release-it"));
        List<String> topics = new ArrayList<>();
        for (EventType type : List.of(EventType.BUILD_REQUESTED, EventType.IMAGE_BUILT, EventType.BUILD_FAILED,
                EventType.IMAGE_VERIFIED, EventType.RELEASE_TAGGED, EventType.IMAGE_PUBLISHED,
                EventType.RELEASE_PUBLISHED)) {
            topics.add(type.topic());
            topics.add(type.deadLetterTopic());
        }
        LocalStack.Options options = new LocalStack.Options(0, 0, topics, 1, Optional.of("pass"));

        try (LocalStack.Running stack = LocalStack.start(options);
                EventStreamClient stream = new EventStreamClient(stack.kafkaBootstrap());
                LocalWorkers workers = new LocalWorkers(stack, logs)) {
            workers.start("build-worker", workers.buildWorker());
            workers.start("test-worker", workers.testWorker());
            Map<String, String> publish = workers.publishWorker(REGIONS);
            publish.put("cib.aws.copy-poll-interval", "200ms"); // moto's copies are available at once
            workers.start("publish-worker", publish);
            workers.awaitAssigned(Duration.ofSeconds(60));
            long upAt = System.nanoTime();

            Envelope<ReleaseTagged> tagged = Envelope.create(new ReleaseTagged(EventType.CURRENT_VERSION, releaseId,
                    TAG, VERSION, List.of(Cloud.AWS), null, null, null), URI.create("/cib/operator-cli"),
                    Clock.systemUTC());
            stream.send(tagged);

            // The release asks for its own build, and the release tag travels with it to the verification.
            String buildId = releaseId + "-aws";
            BuildRequested requested = stream.awaitEvents(BuildRequested.class, buildId, 1, Duration.ofSeconds(30))
                    .get(0).data();
            assertThat(requested.releaseTag()).isEqualTo(TAG);
            assertThat(requested.kubevirtVersion()).isEqualTo(VERSION);
            assertThat(requested.region()).isEqualTo(SOURCE);
            ImageBuilt built = stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(60)).get(0).data();
            assertThat(built.releaseTag()).isEqualTo(TAG);
            ImageVerified verified = stream.awaitEvents(ImageVerified.class, buildId, 1, Duration.ofSeconds(60))
                    .get(0).data();
            assertThat(verified.outcome()).as(verified.reason()).isEqualTo(ImageVerified.Outcome.PASSED);
            assertThat(verified.releaseTag()).isEqualTo(TAG);
            assertThat(verified.imageId()).isEqualTo(built.imageId());
            long verifiedAt = System.nanoTime();

            ReleasePublished summary = awaitOne(stream, ReleasePublished.class, Duration.ofSeconds(60)).data();
            long publishedAt = System.nanoTime();
            assertThat(summary.outcome()).as("%s", summary.failedRegions())
                    .isEqualTo(ReleasePublished.Outcome.COMPLETE);
            assertThat(summary.releaseTag()).isEqualTo(TAG);
            assertThat(summary.buildId()).as("keyed by the release, as in the other order").isEqualTo(releaseId);
            assertThat(summary.published()).extracting(ReleasePublished.PublishedImage::region)
                    .containsExactlyInAnyOrderElementsOf(REGIONS);
            assertThat(summary.published()).filteredOn(p -> p.region().equals(SOURCE))
                    .extracting(ReleasePublished.PublishedImage::imageId).containsExactly(built.imageId());

            List<ImagePublished> perRegion = ofRelease(stream, ImagePublished.class).stream().map(Envelope::data)
                    .toList();
            assertThat(perRegion).extracting(ImagePublished::region).containsExactlyInAnyOrderElementsOf(REGIONS);
            assertThat(perRegion).allSatisfy(p -> assertThat(p.sourceImageId()).isEqualTo(built.imageId()));
            Map<String, String> published = perRegion.stream().collect(Collectors.toMap(ImagePublished::region,
                    ImagePublished::imageId));
            assertThat(published).isEqualTo(summary.published().stream().collect(Collectors.toMap(
                    ReleasePublished.PublishedImage::region, ReleasePublished.PublishedImage::imageId)));

            // What moto itself holds: the source public, one public copy of it per other region, no more.
            for (String region : REGIONS) {
                try (Ec2Client ec2 = ec2(stack.awsEndpoint(), region)) {
                    if (region.equals(SOURCE)) {
                        assertThat(isPublic(ec2, built.imageId())).as("source %s public", built.imageId()).isTrue();
                        continue;
                    }
                    List<Image> copies = copiesOf(ec2, built.imageId());
                    assertThat(copies).as("copies of %s in %s", built.imageId(), region)
                            .extracting(Image::imageId).containsExactly(published.get(region));
                    assertThat(isPublic(ec2, published.get(region))).as("%s public", region).isTrue();
                }
            }

            // The same release.tagged again (same id, a redelivery): answered from the ledger, nothing new.
            RecordMetadata again = stream.send(tagged);
            stream.awaitConsumed(GROUP, again, Duration.ofSeconds(30));
            assertThat(stream.records(EventType.BUILD_REQUESTED.topic(), r -> buildId.equals(r.key()),
                    Duration.ofSeconds(2))).as("build.requested records of the release's build").hasSize(1);
            assertThat(ofRelease(stream, ReleasePublished.class)).hasSize(1);
            assertThat(ofRelease(stream, ImagePublished.class)).hasSize(REGIONS.size());
            for (String region : REGIONS.subList(1, REGIONS.size())) {
                try (Ec2Client ec2 = ec2(stack.awsEndpoint(), region)) {
                    assertThat(copiesOf(ec2, built.imageId())).as("copies in %s after the redelivery", region)
                            .hasSize(1);
                }
            }
            long end = System.nanoTime();
            System.out.printf("pipeline release IT: workers up %.1f s; tag -> built and verified %.1f s;"
                    + " verified -> published in %d regions %.1f s; redelivery %.1f s; total %.1f s%n",
                    (upAt - started) / 1e9, (verifiedAt - upAt) / 1e9, REGIONS.size(),
                    (publishedAt - verifiedAt) / 1e9, (end - publishedAt) / 1e9, (end - started) / 1e9);
        }
    }

    /** Waits for the first event of {@code type} for the release's tag, then checks that it is the only one. */
    private static <T extends PipelineEvent> Envelope<T> awaitOne(EventStreamClient stream, Class<T> type,
            Duration timeout) {
        stream.awaitRecords(EventType.of(type).topic(), r -> r.value().contains("\"" + TAG + "\""), 1, timeout);
        List<Envelope<T>> all = ofRelease(stream, type);
        assertThat(all).as("%s events of release %s", EventType.of(type).topic(), TAG).hasSize(1);
        return all.get(0);
    }

    /**
     * Every event of {@code type} on its topic for this release, whatever its record key: the count is what must be
     * exactly one per region or release (decoded, so the release tag is compared as data, not as text).
     */
    private static <T extends PipelineEvent> List<Envelope<T>> ofRelease(EventStreamClient stream, Class<T> type) {
        List<Envelope<T>> found = new ArrayList<>();
        for (ConsumerRecord<String, String> r : stream.records(EventType.of(type).topic(), r -> true,
                Duration.ofSeconds(1))) {
            Envelope<T> e = stream.decode(type, r);
            String tag = e.data() instanceof ReleasePublished p ? p.releaseTag()
                    : ((ImagePublished) e.data()).releaseTag();
            if (TAG.equals(tag)) {
                found.add(e);
            }
        }
        return found;
    }

    /** Copies of the source in one region: by the release tags, or by a name made from the source (untagged). */
    private static List<Image> copiesOf(Ec2Client ec2, String sourceImageId) {
        return ec2.describeImagesPaginator(b -> b.owners("self")).images().stream()
                .filter(i -> !i.imageId().equals(sourceImageId))
                .filter(i -> i.name() != null && i.name().contains(sourceImageId)
                        || i.tags().stream().anyMatch(t -> t.key().equals(ResourceTags.SOURCE_IMAGE)
                                && t.value().equals(sourceImageId)))
                .toList();
    }

    private static boolean isPublic(Ec2Client ec2, String imageId) {
        List<LaunchPermission> permissions = ec2.describeImageAttribute(b -> b.imageId(imageId)
                .attribute(ImageAttributeName.LAUNCH_PERMISSION)).launchPermissions();
        return permissions.stream().anyMatch(p -> p.group() == PermissionGroup.ALL);
    }

    private static Ec2Client ec2(String endpoint, String region) {
        return Ec2Client.builder().region(Region.of(region)).endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }
}
