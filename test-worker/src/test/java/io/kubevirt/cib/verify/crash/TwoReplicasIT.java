package io.kubevirt.cib.verify.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.verify.testing.MotoGuest;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.testing.TcpForwarder;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Two test-worker replicas in one group while verifications wait for SSH: a second replica joins (partitions move;
 * the attempts on them are cancelled, their instances terminated, before the new owner launches), then the first is
 * SIGKILLed and the second finishes. Every build ends with exactly one image.verified id, passed, and no verification
 * instance left running.
 */
@Timeout(240)
class TwoReplicasIT {

    private static final String REGION = "us-west-1";
    private static final int BUILDS = 3;

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;
    private static TcpForwarder forwarder;

    @BeforeAll
    static void startPeers() throws Exception {
        broker = KafkaBroker.start(0);
        // Four partitions: when the second replica joins, some must move.
        broker.createTopics(List.of(EventType.IMAGE_BUILT.topic(), EventType.IMAGE_VERIFIED.topic()), 4);
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
        forwarder = new TcpForwarder();
    }

    @AfterAll
    static void stopPeers() throws Exception {
        forwarder.close();
        proxy.close();
        moto.close();
        broker.close();
    }

    @Test
    void aJoinAndAKillWhileVerificationsWaitStillGiveOneResultPerBuildAndNoInstance() throws Exception {
        Path logs = Files.createDirectories(Path.of("target/two-replicas-it"));
        List<String> buildIds = IntStream.range(0, BUILDS)
                .mapToObj(i -> "rep-" + i + "-" + UUID.randomUUID().toString().substring(0, 6)).toList();

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Client sdk = MotoGuest.sdk(moto.endpoint(), REGION);
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
                StandInGuest guest = StandInGuest.builder(() -> MotoGuest.userDataKeys(sdk)).scenario("pass")
                        .start();
                VerificationCrashIT.SshNotUpYet notUpYet = new VerificationCrashIT.SshNotUpYet()) {
            proxy.answer("GetConsoleOutput", MotoGuest.consoleOutputXml(guest.reportedHostKeyLine()));
            forwarder.pointAt(notUpYet.port());
            Map<String, String> properties = VerificationCrashIT.workerProperties(broker.bootstrapServers(),
                    proxy.endpoint(), forwarder.port(), Duration.ofMinutes(5));
            properties.put("mp.messaging.incoming.image-built.session.timeout.ms", "6000");
            // One verification at a time per replica: the one stand-in guest plays a single instance (one
            // simulated cluster), and only one replica is left when SSH opens.
            properties.put("mp.messaging.incoming.image-built.concurrency", "1");

            WorkerProcess a = WorkerProcess.start(with(properties, "replica-a"), VerificationCrashIT.workerEnv(),
                    logs.resolve("a.log"));
            WorkerProcess b = null;
            try {
                a.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                for (String buildId : buildIds) {
                    stream.send(VerificationCrashIT.imageBuilt(buildId, MotoGuest.seedAmi(sdk, buildId)));
                }
                VerificationCrashIT.awaitRunningVerifyInstance(sdk, buildIds.get(0), Duration.ofSeconds(60));
                notUpYet.awaitAttempts(2, Duration.ofSeconds(30));

                b = WorkerProcess.start(with(properties, "replica-b"), VerificationCrashIT.workerEnv(),
                        logs.resolve("b.log"));
                b.awaitLogLine("partitions assigned", Duration.ofSeconds(60));
                notUpYet.awaitAttempts(4, Duration.ofSeconds(30));
                a.kill();
                forwarder.pointAt(guest.port()); // sshd is up now

                for (String buildId : buildIds) {
                    stream.awaitEvents(ImageVerified.class, buildId, 1, Duration.ofSeconds(120));
                }
                for (String buildId : buildIds) {
                    List<ConsumerRecord<String, String>> verified = stream.records(EventType.IMAGE_VERIFIED.topic(),
                            r -> buildId.equals(r.key()), Duration.ofSeconds(2));
                    assertThat(verified).extracting(r -> new String(r.headers().lastHeader("ce_id").value()))
                            .as(buildId).containsOnly(new String(verified.get(0).headers().lastHeader("ce_id").value()));
                    ImageVerified data = stream.decode(ImageVerified.class, verified.get(0)).data();
                    assertThat(data.outcome()).as(data.reason()).isEqualTo(ImageVerified.Outcome.PASSED);
                    assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).as(buildId).isEmpty();
                }
            } finally {
                a.close();
                if (b != null) {
                    b.close();
                }
                proxy.clearAnswers();
            }
        }
    }

    private static Map<String, String> with(Map<String, String> properties, String instance) {
        Map<String, String> copy = new java.util.LinkedHashMap<>(properties);
        copy.put("cib.messaging.instance-id", instance);
        return copy;
    }
}
