package io.kubevirt.cib.build.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.ImageBuilt;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replicas of the build-worker in one consumer group, with rebalances while builds run (a second replica joins, the
 * first stops gracefully, a third joins, the second is SIGKILLed): partitions move while Packer works, yet every request ends with exactly one
 * AMI and one image.built id, no build.failed, and no build instance left running. Without the revoke-and-wait of
 * PhaseClaims, the new owner of a moved partition would start the same build beside the old one.
 */
class TwoReplicasIT {

    private static final String REGION = "us-west-1";
    private static final int BUILDS = 4;

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
        // Four partitions for two consumers per replica: when the second replica joins, partitions must move.
        broker.createTopics(List.of("build.requested"), 4);
    }

    @AfterAll
    static void stopPeers() throws Exception {
        proxy.close();
        moto.close();
        broker.close();
    }

    @Test
    void aRebalanceAndAKillMidBuildStillGiveOneAmiAndOneOutcomePerRequest() throws Exception {
        Path logs = Files.createDirectories(Path.of("target/two-replicas-it"));
        // Keeps each build's instance up for a while, so that the rebalance and the kill land mid-build.
        proxy.delay("StopInstances", Duration.ofSeconds(12));
        List<String> buildIds = java.util.stream.IntStream.range(0, BUILDS)
                .mapToObj(i -> "rep-" + i + "-" + UUID.randomUUID().toString().substring(0, 6)).toList();

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))))) {
            WorkerProcess a = WorkerProcess.start(properties("replica-a"), Map.of(), logs.resolve("a.log"));
            WorkerProcess b = null;
            WorkerProcess c = null;
            try {
                a.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                buildIds.forEach(id -> stream.send(EmulatedBuildWorker.request(id, "two-replicas-test")));
                EmulatedBuildWorker.awaitAnyBuildInstance(ec2, buildIds, Duration.ofSeconds(90));

                // A replica joins while builds run: partitions move, their attempts stop before B starts them.
                b = WorkerProcess.start(properties("replica-b"), Map.of(), logs.resolve("b.log"));
                b.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                EmulatedBuildWorker.awaitAnyBuildInstance(ec2, buildIds, Duration.ofSeconds(90));
                // One stops gracefully (SIGTERM), its attempts cancelled and cleaned up; a third joins.
                a.close();
                c = WorkerProcess.start(properties("replica-c"), Map.of(), logs.resolve("c.log"));
                c.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                EmulatedBuildWorker.awaitAnyBuildInstance(ec2, buildIds, Duration.ofSeconds(90));
                // And one is SIGKILLed mid-build.
                b.kill();

                for (String buildId : buildIds) {
                    stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(240));
                }
                proxy.clearDelays();
                for (String buildId : buildIds) {
                    List<ConsumerRecord<String, String>> built = stream.records("image.built",
                            r -> buildId.equals(r.key()), Duration.ofSeconds(2));
                    assertThat(built).extracting(r -> header(r, "ce_id")).as(buildId).containsOnly(header(built.get(0), "ce_id"));
                    assertThat(stream.records("build.failed", r -> buildId.equals(r.key()), Duration.ofMillis(500)))
                            .as("build.failed for " + buildId).isEmpty();
                    ImageBuilt data = stream.decode(ImageBuilt.class, built.get(0)).data();
                    assertThat(ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId)))
                            .extracting(CloudImage::id).as(buildId).containsExactly(data.imageId());
                    assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).as(buildId).isEmpty();
                }

                // A new consumer group re-reads build.requested from offset 0: every request is answered from the
                // ledger, whose outcome is on the broker already: nothing is built or published again.
                Map<String, String> rereading = properties("rereader");
                rereading.put("mp.messaging.incoming.build-requested.group.id", "build-worker-reread");
                try (WorkerProcess rereader = WorkerProcess.start(rereading, Map.of(), logs.resolve("reread.log"))) {
                    for (String buildId : buildIds) {
                        rereader.awaitLogLine("build " + buildId + ": input ", Duration.ofSeconds(60));
                    }
                    assertThat(rereader.output()).doesNotContainPattern("packer \\d+ started")
                            .contains("its outcome is on the broker already");
                }
                for (String buildId : buildIds) {
                    List<ConsumerRecord<String, String>> built = stream.records("image.built",
                            r -> buildId.equals(r.key()), Duration.ofSeconds(1));
                    assertThat(built).hasSize(1);
                    assertThat(built).extracting(r -> header(r, "ce_id")).as(buildId).containsOnly(header(built.get(0), "ce_id"));
                    assertThat(ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).as(buildId).hasSize(1);
                }
            } finally {
                a.close();
                if (b != null) {
                    b.close();
                }
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value());
    }

    private static Map<String, String> properties(String instance) {
        Map<String, String> props = EmulatedBuildWorker.properties(broker.bootstrapServers(), proxy.endpoint(),
                "target/two-replicas-it/packer-" + instance);
        props.put("cib.build.packer.interrupt-grace", "20s");
        props.put("cib.messaging.instance-id", instance);
        // The killed replica's partitions move once its session expires.
        props.put("mp.messaging.incoming.build-requested.session.timeout.ms", "6000");
        props.put("mp.messaging.incoming.build-requested.heartbeat.interval.ms", "1000");
        return props;
    }
}
