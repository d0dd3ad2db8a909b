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
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.testing.MotoGuest;
import io.kubevirt.cib.verify.testing.TcpForwarder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * The packaged worker is killed with SIGKILL while it waits for SSH on the instance it launched, and started again:
 * the image.built comes back (its offset was never committed), the restarted worker terminates the first attempt's
 * instance (found by its tags) and verifies on a new one. End state: exactly one image.verified, passed, and no
 * instance of the build alive in moto.
 *
 * <p>The guest is the in-process SSH stand-in behind a {@link TcpForwarder}; while the first worker lives, the
 * forwarder leads to a port that accepts and hangs up at once (sshd not up yet), so the kill lands deterministically
 * in the SSH wait. moto cannot print host keys on a console, so the proxy answers GetConsoleOutput with the
 * stand-in's cloud-init block, as in the flow test.
 */
@Timeout(150)
class VerificationCrashIT {

    private static final String REGION = "us-west-1";
    private static final String IMAGE_BUILT = EventType.IMAGE_BUILT.topic();
    private static final String IMAGE_VERIFIED = EventType.IMAGE_VERIFIED.topic();

    /** A credential only this test configures, so that finding it anywhere proves a leak. */
    private static final String SECRET_KEY = "cibCrashItSecret" + UUID.randomUUID().toString().replace("-", "");

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;
    private static TcpForwarder forwarder;

    @BeforeAll
    static void startPeers() throws IOException {
        broker = KafkaBroker.start(0);
        broker.createTopics(List.of(IMAGE_BUILT, IMAGE_VERIFIED, EventType.IMAGE_BUILT.deadLetterTopic()), 1);
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
    void workerKilledWhileWaitingForSshAndRestartedEndsWithOneResultAndNoInstance() throws Exception {
        long started = System.nanoTime();
        String buildId = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/crash-it"));

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Client sdk = MotoGuest.sdk(moto.endpoint(), REGION);
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
                StandInGuest guest = StandInGuest.builder(() -> MotoGuest.userDataKeys(sdk)).scenario("pass").start();
                SshNotUpYet notUpYet = new SshNotUpYet()) {
            String ami = MotoGuest.seedAmi(sdk, buildId);
            proxy.answer("GetConsoleOutput", MotoGuest.consoleOutputXml(guest.reportedHostKeyLine()));
            forwarder.pointAt(notUpYet.port());
            long launchesBefore = proxy.requests("RunInstances");
            Envelope<ImageBuilt> built = stream.send(imageBuilt(buildId, ami));

            String firstInstance;
            // A long SSH budget: without the kill, this worker would still be waiting when the test ends.
            try (WorkerProcess first = WorkerProcess.start(workerProperties(broker.bootstrapServers(), proxy.endpoint(), forwarder.port(), Duration.ofMinutes(30)),
                    workerEnv(), logs.resolve("first.log"))) {
                firstInstance = awaitRunningVerifyInstance(sdk, buildId, Duration.ofSeconds(60));
                first.awaitLogLine("instance reported 1 host key(s)", Duration.ofSeconds(20));
                // Two attempts seen: the worker is inside its SSH retry loop, not just about to enter it.
                notUpYet.awaitAttempts(2, Duration.ofSeconds(20));
                first.kill();
            }
            long killedAt = System.nanoTime();
            // Read the topics for a while from the beginning: the same read must find the image.built that is
            // known to be there, or an empty image.verified would prove nothing.
            assertThat(stream.records(IMAGE_BUILT, r -> buildId.equals(r.key()), Duration.ofSeconds(2)))
                    .as("the read sees this build's records").hasSize(1);
            assertThat(stream.records(IMAGE_VERIFIED, r -> buildId.equals(r.key()), Duration.ofSeconds(2)))
                    .as("no result before the restart").isEmpty();
            assertThat(instanceState(sdk, firstInstance)).as("the killed worker could not clean up")
                    .isEqualTo(InstanceStateName.RUNNING);

            forwarder.pointAt(guest.port()); // sshd is up now
            try (WorkerProcess second = WorkerProcess.start(workerProperties(broker.bootstrapServers(), proxy.endpoint(), forwarder.port(), Duration.ofSeconds(20)),
                    workerEnv(), logs.resolve("second.log"))) {
                ImageVerified verified = stream.awaitEvents(ImageVerified.class, buildId, 1, Duration.ofSeconds(60))
                        .get(0).data();
                long resultAt = System.nanoTime();

                assertThat(verified.outcome()).as(verified.reason()).isEqualTo(ImageVerified.Outcome.PASSED);
                assertThat(verified.causedBy()).isEqualTo(built.id());
                assertThat(verified.instanceId()).isNotEqualTo(firstInstance);
                // Settle: a second result (e.g. a late redelivery verifying again) would show up here.
                assertThat(stream.records(IMAGE_VERIFIED, r -> buildId.equals(r.key()), Duration.ofSeconds(4)))
                        .hasSize(1);
                assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).isEmpty();
                assertThat(instanceState(sdk, firstInstance)).isEqualTo(InstanceStateName.TERMINATED);
                assertThat(second.output())
                        .contains("terminating instances of an interrupted earlier attempt: [" + firstInstance + "]");
                assertThat(proxy.requests("RunInstances") - launchesBefore).as("one launch per attempt").isEqualTo(2);
                assertThat(ec2.getImage(REGION, ami).orElseThrow().tags())
                        .containsEntry(ResourceTags.VERIFIED_BY, ResourceTags.idValue(built.id()));
                // The configured secret key reached neither log nor event.
                String everything = Files.readString(logs.resolve("first.log")) + second.output()
                        + stream.records(IMAGE_VERIFIED, r -> buildId.equals(r.key()), Duration.ofSeconds(1)).stream()
                                .map(r -> r.value() + r.headers()).toList();
                assertThat(everything).as("worker logs and events").doesNotContain(SECRET_KEY);
                System.out.printf("crash IT: kill -> image.verified %.1f s, total %.1f s%n",
                        (resultAt - killedAt) / 1e9, (System.nanoTime() - started) / 1e9);
            }
        } finally {
            proxy.clearAnswers();
        }
    }

    // --- the worker ------------------------------------------------------------------------------------------------

    /** The %test profile's settings, as -D properties for the packaged (prod-profile) jar. */
    static Map<String, String> workerProperties(String bootstrap, String cloudEndpoint, int sshPort,
            Duration sshBudget) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", bootstrap);
        props.put("cib.aws.endpoint-override", cloudEndpoint);
        props.put("cib.verify.address-override", "127.0.0.1:" + sshPort);
        props.put("cib.verify.clouds", "aws");
        props.put("cib.verify.aws.machine-type", "t3.micro");
        props.put("cib.verify.aws.nested-virtualization", "false");
        props.put("cib.verify.aws.ssh-user", StandInGuest.USER);
        props.put("cib.verify.host-key-wait", "10s");
        props.put("cib.verify.ssh.initial-interval", "200ms");
        props.put("cib.verify.ssh.max-interval", "1s");
        props.put("cib.verify.ssh.budget", sshBudget.toSeconds() + "s");
        props.put("cib.verify.ssh.connect-timeout", "2s");
        props.put("cib.verify.script.step-timeout", "4s");
        props.put("cib.verify.script.poll-interval", "200ms");
        props.put("cib.verify.script.sudo", "true");
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        // The killed member must leave the group quickly so the restarted one gets its partition.
        props.put("mp.messaging.incoming.image-built.session.timeout.ms", "6000");
        props.put("mp.messaging.incoming.image-built.heartbeat.interval.ms", "1000");
        return props;
    }

    static Map<String, String> workerEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", REGION);
    }

    // --- moto --------------------------------------------------------------------------------------------------------

    static ImageBuilt imageBuilt(String buildId, String ami) {
        return new ImageBuilt(EventType.CURRENT_VERSION, buildId, Cloud.AWS, REGION, null, ami, ami, "v1.8.2",
                "v1.35.0", "v1.64.0", 1.0, null, false, UUID.randomUUID().toString(), null);
    }

    static String awaitRunningVerifyInstance(Ec2Client sdk, String buildId, Duration timeout)
            throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (Instant.now().isBefore(giveUp)) {
            List<String> ids = sdk.describeInstances(r -> r.filters(
                    Filter.builder().name("tag:" + ResourceTags.PHASE).values("verify").build(),
                    Filter.builder().name("tag:" + ResourceTags.BUILD_ID).values(buildId).build(),
                    Filter.builder().name("instance-state-name").values("running").build()))
                    .reservations().stream().flatMap(res -> res.instances().stream())
                    .map(i -> i.instanceId()).toList();
            if (!ids.isEmpty()) {
                assertThat(ids).hasSize(1);
                return ids.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the worker never launched a verification instance for " + buildId);
    }

    private static InstanceStateName instanceState(Ec2Client sdk, String instanceId) {
        return sdk.describeInstances(r -> r.instanceIds(instanceId)).reservations().get(0).instances().get(0)
                .state().name();
    }

    /** A booting guest's port 22: connections are accepted and dropped at once, and counted. */
    static final class SshNotUpYet implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final AtomicInteger attempts = new AtomicInteger();

        SshNotUpYet() throws IOException {
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket client = server.accept()) {
                        attempts.incrementAndGet();
                    } catch (IOException closed) {
                        // shutting down
                    }
                }
            }, "ssh-not-up-yet");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void awaitAttempts(int count, Duration timeout) throws InterruptedException {
            long giveUp = System.nanoTime() + timeout.toNanos();
            while (attempts.get() < count) {
                if (System.nanoTime() > giveUp) {
                    throw new AssertionError("the worker made " + attempts.get() + " SSH attempts, expected " + count);
                }
                Thread.sleep(50);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
