package io.kubevirt.cib.publish.flow;

import static io.kubevirt.cib.publish.support.MotoRelease.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.InjectMoto;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.kubevirt.cib.devstack.PublishAnswers;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.publish.support.MotoRelease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One region's CopyImage fails (injected by the proxy in front of moto as a 403 UnauthorizedOperation, what a
 * policy denying the region returns): the other regions are published and release.published names the failed
 * region and why. After the fault is removed, an operator's replay (the same data, a new event id, replayOf the
 * original, as {@code bin/cib replay} sends it) copies only to that region. Same test resources as PublishFlowTest,
 * so both run in one application (six regions allowed by the test profile).
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = MotoTestResource.class, initArgs = @ResourceArg(name = "slowProxy", value = "true"))
class RegionFailureFlowTest {

    private static final Set<String> REGIONS = Set.of("us-west-1", "us-east-1", "us-east-2", "eu-west-1",
            "eu-central-1", "ap-southeast-2");
    private static final String FAILING = "eu-central-1";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @InjectMoto
    MotoServer moto;

    @InjectMoto
    SlowCloudProxy proxy;

    private EventStreamClient stream;
    private MotoRelease aws;

    @BeforeEach
    void connect() {
        stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers());
        aws = new MotoRelease(moto.endpoint());
        PublishAnswers.answerWhatMotoLacks(proxy);
    }

    @AfterEach
    void disconnect() {
        proxy.clearFailures();
        aws.close();
        stream.close();
    }

    @Test
    void oneFailingRegionIsNamedAndAReplayAfterTheFixCopiesOnlyThere() {
        String version = "v1.10.1";
        String tag = version + "-1";
        String source = aws.seedVerifiedImage(version, null);
        proxy.fail("CopyImage", FAILING, 403, "UnauthorizedOperation",
                "You are not authorized to perform this operation (injected: a policy denies " + FAILING + ")");

        Envelope<ReleaseTagged> tagged = stream.send(MotoRelease.release(tag, version, null));
        String buildId = tagged.data().buildId();
        ReleasePublished partial = stream.awaitEvents(ReleasePublished.class, buildId, 1, WAIT).get(0).data();

        assertThat(partial.outcome()).isEqualTo(ReleasePublished.Outcome.PARTIAL);
        assertThat(partial.failedRegions()).singleElement().satisfies(f -> {
            assertThat(f.cloud()).isEqualTo(Cloud.AWS);
            assertThat(f.region()).isEqualTo(FAILING);
            assertThat(f.reason()).contains("CopyImage", FAILING, "UnauthorizedOperation", "403");
        });
        assertThat(partial.published()).extracting(ReleasePublished.PublishedImage::region)
                .containsExactlyInAnyOrderElementsOf(REGIONS.stream().filter(r -> !r.equals(FAILING)).toList());
        List<ImagePublished> first = imagePublished(buildId, tagged.id());
        assertThat(first).extracting(ImagePublished::region).doesNotContain(FAILING)
                .containsAll(REGIONS.stream().filter(r -> !r.equals(FAILING)).toList());
        for (ReleasePublished.PublishedImage p : partial.published()) {
            assertThat(aws.isPublic(p.region(), p.imageId())).as(p.region()).isTrue();
        }
        assertThat(aws.copies(FAILING, tag, source)).isEmpty();

        proxy.clearFailures();
        Map<String, Long> copyCallsBefore = copyCalls();
        // What bin/cib replay sends: the original's data with replayOf set, under a new event id.
        ReleaseTagged replayData = new EventCodec().withLineage(tagged.data(), tagged.data().causedBy(), tagged.id());
        Envelope<ReleaseTagged> replay = stream.send(replayData);
        assertThat(replay.id()).isNotEqualTo(tagged.id());
        ReleasePublished fixed = stream.decode(ReleasePublished.class, stream.awaitRecords(
                EventType.RELEASE_PUBLISHED.topic(), r -> buildId.equals(r.key())
                        && tagged.id().equals(stream.decode(ReleasePublished.class, r).data().replayOf()), 1, WAIT)
                .get(0)).data();

        assertThat(fixed.outcome()).as(String.valueOf(fixed.failedRegions()))
                .isEqualTo(ReleasePublished.Outcome.COMPLETE);
        assertThat(fixed.published()).extracting(ReleasePublished.PublishedImage::region)
                .containsExactlyInAnyOrderElementsOf(REGIONS);
        Map<String, Long> newCopyCalls = new LinkedHashMap<>();
        copyCalls().forEach((region, calls) -> newCopyCalls.put(region, calls - copyCallsBefore.get(region)));
        Map<String, Long> expected = new LinkedHashMap<>();
        REGIONS.stream().filter(r -> !r.equals(SOURCE)).forEach(r -> expected.put(r, r.equals(FAILING) ? 1L : 0L));
        assertThat(newCopyCalls).as("CopyImage calls of the replay per region").isEqualTo(expected);
        for (ReleasePublished.PublishedImage p : fixed.published()) {
            assertThat(aws.isPublic(p.region(), p.imageId())).as(p.region()).isTrue();
            if (!p.region().equals(SOURCE)) {
                assertThat(aws.copies(p.region(), tag, source)).as(p.region()).containsExactly(p.imageId());
            }
        }
        // The regions published the first time keep their image.
        for (ReleasePublished.PublishedImage p : partial.published()) {
            assertThat(fixed.published()).contains(p);
        }
        assertThat(imagePublished(buildId, replay.id())).extracting(ImagePublished::region).contains(FAILING)
                .allSatisfy(region -> assertThat(region).isIn(REGIONS));
        assertThat(imagePublished(buildId, replay.id())).allSatisfy(e ->
                assertThat(e.replayOf()).isEqualTo(tagged.id()));
    }

    /** The image.published events one input caused. */
    private List<ImagePublished> imagePublished(String buildId, String causedBy) {
        List<ConsumerRecord<String, String>> records = stream.records(EventType.IMAGE_PUBLISHED.topic(),
                r -> buildId.equals(r.key()), Duration.ofSeconds(2));
        return records.stream().map(r -> stream.decode(ImagePublished.class, r).data())
                .filter(e -> causedBy.equals(e.causedBy())).toList();
    }

    private Map<String, Long> copyCalls() {
        Map<String, Long> calls = new LinkedHashMap<>();
        REGIONS.stream().filter(r -> !r.equals(SOURCE)).forEach(r -> calls.put(r, proxy.requests("CopyImage", r)));
        return calls;
    }
}
