package io.kubevirt.cib.publish.crash;

import static io.kubevirt.cib.publish.support.MotoRelease.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.PublishAnswers;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.publish.support.MotoRelease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged publish-worker as a real process, SIGKILLed in the middle of a fan-out to every enabled region of
 * moto's account, then restarted. The proxy in front of moto gives each region its own CopyImage latency, so at the
 * kill some regions are public, some copies are in flight (held by the proxy, which lets them through after the kill,
 * as AWS finishes a call it has received: those copies land without the tags the worker sets after CopyImage) and
 * some regions are not started. The release.tagged is delivered twice (same event id). moto ignores CopyImage's
 * client token, so what keeps a region from a second copy here is the worker's lookup by tags and by name.
 */
class PublishCrashIT {

    private static final String GROUP = "publish-worker";
    private static final String COMMIT = "056f2f4";

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
        PublishAnswers.answerWhatMotoLacks(proxy);
    }

    @AfterAll
    static void stopPeers() {
        proxy.close();
        moto.close();
        broker.close();
    }

    @Test
    void deliveredTwiceKilledMidFanOutAndRestartedEndsWithOnePublicCopyInEveryEnabledRegion() throws Exception {
        long started = System.nanoTime();
        Path logs = Files.createDirectories(Path.of("target/publish-crash-it"));
        String version = "v1.9.3";
        String tag = version + "-1";
        try (MotoRelease aws = new MotoRelease(moto.endpoint());
                EventStreamClient stream = new EventStreamClient(broker.bootstrapServers())) {
            MotoRelease.Regions regions = aws.regions();
            assertThat(regions.notOptedIn()).as("moto reports opt-in regions this account has not enabled")
                    .isNotEmpty();
            List<String> targets = regions.enabled().stream().filter(r -> !r.equals(SOURCE)).sorted().toList();
            assertThat(targets).hasSizeGreaterThan(10);
            for (int i = 0; i < targets.size(); i++) {
                proxy.delay("CopyImage", targets.get(i), latency(i));
            }
            String source = aws.seedVerifiedImage(version, COMMIT);
            Envelope<ReleaseTagged> tagged = stream.send(MotoRelease.release(tag, version, COMMIT));
            RecordMetadata redelivery = stream.send(tagged); // delivered twice: the same event id
            String buildId = tagged.data().buildId();

            long killedAt;
            long heldAtKill;
            try (WorkerProcess first = WorkerProcess.start(workerProperties(), workerEnv(), logs.resolve("first.log"))) {
                // Mid-fan-out: the source and at least three copies public, at least three copies still held.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> proxy.requests("ModifyImageAttribute") >= 4 && proxy.inFlight("CopyImage") >= 3);
                heldAtKill = proxy.inFlight("CopyImage");
                first.kill();
                killedAt = System.nanoTime();
            }
            long eventsBeforeRestart = stream.records(EventType.IMAGE_PUBLISHED.topic(),
                    r -> buildId.equals(r.key()), Duration.ofSeconds(1)).size();

            // The held calls reach moto after the kill; the copies they make never got the worker's tags.
            await().atMost(Duration.ofSeconds(30)).until(() -> proxy.inFlight("CopyImage") == 0);
            List<String> untagged = targets.stream().filter(r -> aws.copiesByName(r, tag, source).stream()
                    .anyMatch(i -> i.tags().stream().noneMatch(t -> t.key().equals(ResourceTags.RELEASE_TAG))))
                    .toList();
            assertThat(untagged).as("the kill left copies whose tags never landed").isNotEmpty();
            Map<String, Long> copyCallsBeforeRestart = copyCalls(targets);
            List<String> notStarted = targets.stream().filter(r -> copyCallsBeforeRestart.get(r) == 0).toList();

            try (WorkerProcess second = WorkerProcess.start(workerProperties(), workerEnv(),
                    logs.resolve("second.log"))) {
                ReleasePublished summary = stream.awaitEvents(ReleasePublished.class, buildId, 1,
                        Duration.ofSeconds(90)).get(0).data();
                long publishedAt = System.nanoTime();
                // Both deliveries handled (the group's offset is past them) before anything is counted.
                stream.awaitConsumed(GROUP, redelivery, Duration.ofSeconds(30));

                assertThat(summary.outcome()).as(String.valueOf(summary.failedRegions()))
                        .isEqualTo(ReleasePublished.Outcome.COMPLETE);
                assertThat(summary.published()).extracting(ReleasePublished.PublishedImage::region)
                        .containsExactlyInAnyOrderElementsOf(regions.enabled());
                assertThat(summary.failedRegions()).extracting(ReleasePublished.FailedRegion::region)
                        .doesNotContainAnyElementsOf(regions.notOptedIn());

                List<ConsumerRecord<String, String>> perRegionRecords = stream.records(
                        EventType.IMAGE_PUBLISHED.topic(), r -> buildId.equals(r.key()), Duration.ofSeconds(3));
                Map<String, Set<String>> idsByRegion = new TreeMap<>();
                Map<String, Set<String>> imagesByRegion = new TreeMap<>();
                Map<String, Long> occurrences = new TreeMap<>();
                for (ConsumerRecord<String, String> r : perRegionRecords) {
                    ImagePublished event = stream.decode(ImagePublished.class, r).data();
                    idsByRegion.computeIfAbsent(event.region(), k -> new TreeSet<>()).add(MotoRelease.ceId(r));
                    imagesByRegion.computeIfAbsent(event.region(), k -> new TreeSet<>()).add(event.imageId());
                    occurrences.merge(event.region() + " " + MotoRelease.ceId(r), 1L, Long::sum);
                }
                assertThat(idsByRegion.keySet()).containsExactlyInAnyOrderElementsOf(regions.enabled());
                idsByRegion.forEach((region, ids) -> assertThat(ids).as("image.published ids of " + region)
                        .hasSize(1));

                for (String region : targets) {
                    Set<String> copies = aws.copies(region, tag, source);
                    assertThat(copies).as("copies of the release in " + region).hasSize(1);
                    assertThat(imagesByRegion.get(region)).as("announced image in " + region).isEqualTo(copies);
                    assertThat(aws.isPublic(region, copies.iterator().next())).as(region).isTrue();
                }
                assertThat(copyCalls(targets)).as("one CopyImage per region over both workers")
                        .allSatisfy((region, calls) -> assertThat(calls).as(region).isEqualTo(1L));
                assertThat(imagesByRegion.get(SOURCE)).containsExactly(source);
                assertThat(aws.isPublic(SOURCE, source)).isTrue();
                for (String region : regions.notOptedIn()) {
                    assertThat(aws.copies(region, tag, source)).as("not opted in: " + region).isEmpty();
                    assertThat(proxy.requests("CopyImage", region)).as(region).isZero();
                }

                List<ConsumerRecord<String, String>> summaries = stream.records(EventType.RELEASE_PUBLISHED.topic(),
                        r -> buildId.equals(r.key()), Duration.ofSeconds(1));
                Map<String, Long> summaryIds = summaries.stream().collect(Collectors.groupingBy(MotoRelease::ceId,
                        TreeMap::new, Collectors.counting()));
                assertThat(summaryIds).as("release.published ids").hasSize(1);
                // Events leave once: the ledger knows which of the input's ids the first worker had put out before
                // the kill, and the redelivery of a handled input publishes nothing again.
                assertThat(occurrences).as("occurrences of each image.published id on the topic")
                        .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1L));
                assertThat(summaries).as("release.published records").hasSize(1);
                assertThat(second.output()).contains(buildId);

                Map<Long, Long> histogram = occurrences.values().stream().collect(Collectors.groupingBy(n -> n,
                        TreeMap::new, Collectors.counting()));
                System.out.printf("%npublish crash IT: %d enabled regions (source incl.), %d not opted in skipped;"
                        + " at the kill %d copies in flight, %d regions not started; %d copies left untagged and"
                        + " reused by name; %d image.published records before the restart%n"
                        + "  image.published: %d records, one id per region, occurrences of each id on the topic"
                        + " (times -> ids): %s%n  release.published: %d records, %d id, occurrences %s%n"
                        + "  kill -> release.published %.1f s, IT wall time %.1f s%n%n",
                        regions.enabled().size(), regions.notOptedIn().size(), heldAtKill, notStarted.size(),
                        untagged.size(), eventsBeforeRestart, perRegionRecords.size(), histogram, summaries.size(),
                        summaryIds.size(), summaryIds.values(), (publishedAt - killedAt) / 1e9,
                        (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** Staggered per-region copy latency: 1 s, 2.5 s, 4 s, 5.5 s, again. */
    private static Duration latency(int index) {
        return Duration.ofMillis(1000 + (index % 4) * 1500L);
    }

    private static Map<String, Long> copyCalls(List<String> regions) {
        Map<String, Long> calls = new LinkedHashMap<>();
        regions.forEach(r -> calls.put(r, proxy.requests("CopyImage", r)));
        return calls;
    }

    /** The %test profile's publishing settings as -D properties for the packaged (prod-profile) jar: no allow-list. */
    private static Map<String, String> workerProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", broker.bootstrapServers());
        props.put("cib.aws.endpoint-override", proxy.endpoint());
        props.put("cib.aws.copy-poll-interval", "200ms");
        props.put("cib.publish.aws.copy-budget", "60s");
        props.put("cib.publish.aws.deprecate-after", "730d");
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        // Static membership: the restarted worker gets the killed one's partitions back at once.
        props.put("cib.messaging.instance-id", "publish-crash-it");
        props.put("mp.messaging.incoming.release-tagged.session.timeout.ms", "6000");
        props.put("mp.messaging.incoming.release-tagged.heartbeat.interval.ms", "1000");
        return props;
    }

    private static Map<String, String> workerEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_REGION", SOURCE);
    }
}
