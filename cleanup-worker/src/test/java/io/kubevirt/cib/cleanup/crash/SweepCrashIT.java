package io.kubevirt.cib.cleanup.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ImageNames;
import io.kubevirt.cib.common.cloud.PackerNames;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Resource;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.SweepRequested;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Two packaged cleanup-workers (replicas of one group) are asked to sweep at once: the same scheduled slot by both
 * (one event id, twice) and an operator's request beside it. Leaks are seeded in three moto regions; removals are
 * slowed by the dev-stack proxy, so the replica that owns sweep.requested is SIGKILLed mid-sweep, and restarted. The
 * killed sweep's request comes back uncommitted and its rerun finishes the rest. End state: every leak gone, each
 * removed by exactly one remove call seen by the proxy, every look-alike untouched, no failed resource and no
 * failure event; the resources.cleaned events list each removal at most once (what the killed sweep removed before
 * dying is in no event, as its outcome was never published).
 */
@Timeout(170)
class SweepCrashIT {

    private static final List<String> REGIONS = List.of("us-west-1", "eu-west-1", "ap-southeast-2");
    /** The remove calls of the sweep ports, and the form parameter naming the resource. */
    private static final Map<String, String> REMOVALS = Map.of("TerminateInstances", "InstanceId.1",
            "DeregisterImage", "ImageId", "DeleteSnapshot", "SnapshotId", "DeleteSecurityGroup", "GroupId",
            "DeleteKeyPair", "KeyName");
    private static final Duration REMOVAL_DELAY = Duration.ofMillis(150);

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
        // One partition: its one owner is the replica that sweeps (deploy/topics/sweep.requested).
        broker.createTopics(List.of(EventType.SWEEP_REQUESTED.topic()), 1);
        broker.createTopics(List.of(EventType.RESOURCES_CLEANED.topic(), EventType.IMAGE_VERIFIED.topic(),
                EventType.BUILD_FAILED.topic()), 3);
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
    }

    @AfterAll
    static void stopPeers() throws Exception {
        proxy.close();
        moto.close();
        broker.close();
    }

    @Test
    void twoReplicasAskedAtOnceAndAKillMidSweepEndCleanWithEachLeakRemovedOnce() throws Exception {
        long started = System.nanoTime();
        Path logs = Files.createDirectories(Path.of("target/sweep-crash-it"));
        Map<String, AtomicLong> removeCalls = new ConcurrentHashMap<>();
        REMOVALS.forEach((action, param) -> proxy.observe(action, params -> {
            String id = params.get(param);
            if (id != null) {
                removeCalls.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
            }
        }));
        REMOVALS.keySet().forEach(action -> proxy.delay(action, REMOVAL_DELAY));

        Leaks seeded = new Leaks();
        List<Ec2Client> clients = new ArrayList<>();
        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers())) {
            for (String region : REGIONS) {
                Ec2Client ec2 = Leaks.ec2(moto.endpoint(), region);
                clients.add(ec2);
                seeded.seed(ec2, region);
            }
            System.out.printf("sweep crash IT: %d leaks (and %d snapshots of leaked images), %d look-alikes seeded"
                    + " in %.1f s%n", seeded.leaks.size(), seeded.imageSnapshots.size(), seeded.lookAlikes.size(),
                    (System.nanoTime() - started) / 1e9);

            WorkerProcess a = WorkerProcess.start(properties("replica-a"), env(), logs.resolve("a.log"));
            WorkerProcess b = WorkerProcess.start(properties("replica-b"), env(), logs.resolve("b.log"));
            WorkerProcess restarted = null;
            try {
                a.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                b.awaitLogLine("partitions assigned", Duration.ofSeconds(60));

                long upAt = System.nanoTime();
                // Both replicas' schedules ask for one slot (one id, twice), an operator asks beside them.
                String slot = "sweep-slot-" + UUID.randomUUID().toString().substring(0, 8);
                String operator = "sweep-op-" + UUID.randomUUID().toString().substring(0, 8);
                Envelope<SweepRequested> slotRequest = request(slot);
                Envelope<SweepRequested> operatorRequest = request(operator);
                stream.send(slotRequest);
                RecordMetadata slotAgain = stream.send(slotRequest);
                stream.send(operatorRequest);

                // Kill the owner of sweep.requested once a few removals went through it.
                awaitRemovals(removeCalls, 3, Duration.ofSeconds(60));
                boolean aSweeps = a.output().contains("build " + slot + ": sweep.requested");
                WorkerProcess owner = aSweeps ? a : b;
                assertThat(owner.output()).contains("build " + slot + ": sweep.requested");
                owner.kill();
                long killedAt = System.nanoTime();
                Set<String> removedBeforeKill = Set.copyOf(removeCalls.keySet());
                assertThat(removedBeforeKill).as("the kill landed mid-sweep").isSubsetOf(seeded.removable())
                        .hasSizeLessThan(seeded.leaks.size());
                restarted = WorkerProcess.start(properties(aSweeps ? "replica-a" : "replica-b"), env(),
                        logs.resolve((aSweeps ? "a" : "b") + "-restarted.log"));

                // The slot's rerun (2 events; its duplicate is answered from the ledger and adds nothing); then
                // the operator's sweep, which finds nothing left.
                stream.awaitEvents(ResourcesCleaned.class, slot, 2, Duration.ofSeconds(90));
                List<Envelope<ResourcesCleaned>> operatorEvents = stream.awaitEvents(ResourcesCleaned.class,
                        operator, 2, Duration.ofSeconds(60));
                long doneAt = System.nanoTime();
                stream.awaitConsumed("cleanup-worker", slotAgain, Duration.ofSeconds(30));
                List<Envelope<ResourcesCleaned>> slotEvents = stream.records(EventType.RESOURCES_CLEANED.topic(),
                        rec -> slot.equals(rec.key()), Duration.ofMillis(500)).stream()
                        .map(rec -> stream.decode(ResourcesCleaned.class, rec)).toList();
                assertThat(slotEvents).as("the slot's two events, each once on the topic").hasSize(2);

                assertThat(slotEvents).extracting(Envelope::id).as("one outcome for the slot, whoever asked")
                        .containsOnly(EventIds.derived(slotRequest.id(), "resources.cleaned/sweep"),
                                EventIds.derived(slotRequest.id(), "resources.cleaned/lifecycle"));
                assertThat(operatorEvents).extracting(Envelope::id).containsOnly(
                        EventIds.derived(operatorRequest.id(), "resources.cleaned/sweep"),
                        EventIds.derived(operatorRequest.id(), "resources.cleaned/lifecycle"));
                List<Resource> listed = new ArrayList<>();
                slotEvents.forEach(e -> listed.addAll(e.data().resources()));
                operatorEvents.forEach(e -> listed.addAll(e.data().resources()));
                assertThat(listed).as("no failed resource").noneMatch(r -> r.result() == Result.FAILED);
                List<String> done = listed.stream().filter(r -> r.result() == Result.DONE).map(Resource::id)
                        .toList();
                assertThat(done).as("each removal listed once").doesNotHaveDuplicates();
                assertThat(done).as("nothing removed twice: not after the killed sweep")
                        .doesNotContainAnyElementsOf(removedBeforeKill);
                assertThat(Set.copyOf(done)).as("only leaks").isSubsetOf(seeded.removable());
                Set<String> removedByEither = new java.util.HashSet<>(done);
                removedByEither.addAll(removedBeforeKill);
                // (An image's snapshots are checked below: gone, and never by more than one call.)
                assertThat(removedByEither).as("the killed sweep and its rerun together").containsAll(seeded.leaks);
                // No failure event: a phase failure would be the request's un-suffixed derived id.
                for (Envelope<SweepRequested> r : List.of(slotRequest, operatorRequest)) {
                    assertThat(stream.records(EventType.RESOURCES_CLEANED.topic(), rec -> header(rec, "ce_id")
                            .equals(EventIds.derived(r.id(), "resources.cleaned")), Duration.ofMillis(500)))
                            .isEmpty();
                }
                assertThat(stream.records(EventType.SWEEP_REQUESTED.deadLetterTopic(), rec -> true,
                        Duration.ofMillis(500))).isEmpty();

                // The cloud: every leak gone, removed by exactly one call; look-alikes untouched.
                for (int i = 0; i < REGIONS.size(); i++) {
                    seeded.assertGone(clients.get(i), REGIONS.get(i));
                    seeded.assertUntouched(clients.get(i), REGIONS.get(i));
                }
                Map<String, Long> calls = removeCalls.entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
                assertThat(calls.keySet()).as("remove calls only for leaks").isSubsetOf(seeded.removable());
                assertThat(calls).as("one remove call per resource").allSatisfy((id, n) -> assertThat(n)
                        .as(id).isEqualTo(1L));
                assertThat(restarted.output() + (aSweeps ? b : a).output()).doesNotContain("ERROR");
                System.out.printf("sweep crash IT: replicas up %.1f s; ask -> kill %.1f s (%d removals before it, %d"
                        + " after); kill -> every request answered %.1f s; total %.1f s%n", (upAt - started) / 1e9,
                        (killedAt - upAt) / 1e9, removedBeforeKill.size(), done.size(), (doneAt - killedAt) / 1e9,
                        (System.nanoTime() - started) / 1e9);
            } finally {
                // Everything is asserted by now: SIGKILL rather than wait for graceful stops (~15 s each here).
                a.kill();
                b.kill();
                if (restarted != null) {
                    restarted.kill();
                }
            }
        } finally {
            clients.forEach(Ec2Client::close);
            proxy.clearDelays();
        }
    }

    private static Envelope<SweepRequested> request(String runId) {
        return Envelope.create(new SweepRequested(EventType.CURRENT_VERSION, runId, false, "sweep-crash-it", null,
                null), URI.create("/cib/test"), Clock.systemUTC());
    }

    private static void awaitRemovals(Map<String, AtomicLong> calls, int count, Duration timeout)
            throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (calls.size() < count) {
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("only " + calls.size() + " removals within " + timeout);
            }
            Thread.sleep(50);
        }
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? "" : new String(h.value());
    }

    /** The prod-profile jar with the %test settings that matter here, as -D properties. */
    private static Map<String, String> properties(String instance) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", broker.bootstrapServers());
        props.put("cib.aws.endpoint-override", proxy.endpoint());
        props.put("cib.cleanup.sweep.interval", "0s"); // the test asks, as the schedules would
        props.put("cib.messaging.instance-id", instance);
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        for (String channel : List.of("sweep-requested", "image-verified", "build-failed")) {
            props.put("mp.messaging.incoming." + channel + ".session.timeout.ms", "6000");
            props.put("mp.messaging.incoming." + channel + ".heartbeat.interval.ms", "1000");
        }
        return props;
    }

    private static Map<String, String> env() {
        return Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_REGION", "us-east-1");
    }

    /** What is seeded: leaks the sweep must remove, and look-alikes it must leave. */
    static final class Leaks {
        final Set<String> leaks = ConcurrentHashMap.newKeySet();
        /** Snapshots CreateImage made for leaked images: removed with their image. */
        final Set<String> imageSnapshots = ConcurrentHashMap.newKeySet();
        final Set<String> lookAlikes = ConcurrentHashMap.newKeySet();
        private final Map<String, Map<String, String>> byRegion = new HashMap<>();

        static Ec2Client ec2(String endpoint, String region) {
            return Ec2Client.builder().region(software.amazon.awssdk.regions.Region.of(region))
                    .endpointOverride(URI.create(endpoint))
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("test", "test")))
                    .build();
        }

        Set<String> removable() {
            Set<String> all = new java.util.HashSet<>(leaks);
            all.addAll(imageSnapshots);
            return all;
        }

        void seed(Ec2Client ec2, String region) {
            Map<String, String> kinds = byRegion.computeIfAbsent(region, r -> new LinkedHashMap<>());
            String build = "pr-7-" + UUID.randomUUID().toString().substring(0, 6);
            String request = UUID.randomUUID().toString();
            Map<String, String> expired = new HashMap<>(ResourceTags.forRequest(build, request,
                    ResourceTags.Phase.BUILD));
            expired.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(Instant.now().minusSeconds(60)));
            expired.put(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");
            Map<String, String> live = new HashMap<>(expired);
            live.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(Instant.now().plusSeconds(3600)));

            leak(kinds, "instance", Seeding.instance(ec2, expired));
            leak(kinds, "instance", Seeding.instance(ec2, expired));
            // Packer tags an image's snapshots as it tags the image (snapshot_tags): a sweep killed between
            // deregistering the image and deleting them leaves tagged snapshots, which the next sweep finds.
            String image = Seeding.image(ec2, "kubevirt-expired-" + build, expired);
            leak(kinds, "image", image);
            Seeding.snapshotsOf(ec2, image).stream().filter(id -> Seeding.exists(ec2, "snapshot", id)).forEach(id -> {
                Seeding.tag(ec2, id, expired);
                snapshotOfImage(kinds, id);
            });
            leak(kinds, "snapshot", Seeding.snapshot(ec2, region + "a", expired));
            String orphan = Seeding.image(ec2, ImageNames.forRequest("v1.8.2", build, request), Map.of());
            leak(kinds, "image", orphan);
            Seeding.snapshotsOf(ec2, orphan).stream().filter(id -> Seeding.exists(ec2, "snapshot", id))
                    .forEach(id -> snapshotOfImage(kinds, id));
            leak(kinds, "group", ec2.createSecurityGroup(b -> b.groupName(PackerNames.at(Instant.now()
                    .minusSeconds(7 * 3600))).description("packer")).groupId());
            String key = PackerNames.at(Instant.now().minusSeconds(7 * 3600));
            ec2.createKeyPair(b -> b.keyName(key));
            leak(kinds, "key", key);

            lookAlike(kinds, "instance", Seeding.instance(ec2, live));
            lookAlike(kinds, "instance", Seeding.instance(ec2, Map.of("Name", "kubevirt-expired-" + build)));
            lookAlike(kinds, "image", Seeding.image(ec2, ImageNames.forRequest("v1.8.2", build, "someone-else"),
                    Map.of()));
            lookAlike(kinds, "image", Seeding.image(ec2, "kubevirt-release-" + build, Map.of(ResourceTags.BUILD_ID,
                    "release-" + build, ResourceTags.EXPIRES_AT, "1")));
            lookAlike(kinds, "group", ec2.createSecurityGroup(b -> b.groupName(PackerNames.at(Instant.now()))
                    .description("packer")).groupId());
            lookAlike(kinds, "group", ec2.createSecurityGroup(b -> b.groupName("packer_not-a-time-" + build)
                    .description("look-alike")).groupId());
        }

        private void leak(Map<String, String> kinds, String kind, String id) {
            leaks.add(id);
            kinds.put(id, "leak:" + kind);
        }

        private void snapshotOfImage(Map<String, String> kinds, String id) {
            imageSnapshots.add(id);
            kinds.put(id, "leak:snapshot");
        }

        private void lookAlike(Map<String, String> kinds, String kind, String id) {
            lookAlikes.add(id);
            kinds.put(id, "keep:" + kind);
        }

        void assertGone(Ec2Client ec2, String region) {
            byRegion.get(region).forEach((id, what) -> {
                if (what.startsWith("leak:")) {
                    assertThat(Seeding.exists(ec2, what.substring(5), id)).as(region + " " + what + " " + id)
                            .isFalse();
                }
            });
        }

        void assertUntouched(Ec2Client ec2, String region) {
            byRegion.get(region).forEach((id, what) -> {
                if (what.startsWith("keep:")) {
                    assertThat(Seeding.exists(ec2, what.substring(5), id)).as(region + " " + what + " " + id)
                            .isTrue();
                }
            });
        }
    }
}
