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
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker is killed with SIGKILL in the middle of a real Packer build and started again: the request comes back
 * (its offset was never committed), the leftovers of the first attempt are removed, and the end state is exactly one
 * tagged AMI, one image.built and no running build instance. A proxy in front of moto holds StopInstances so the
 * kill lands while Packer's build instance is up.
 */
class BuildWorkerCrashIT {

    private static final String REGION = "us-west-1";
    /** Distinctive, so a leak anywhere would be found by a plain text search. */
    private static final String SECRET_KEY = "cibCrashItSecretKey/DoNotLog+4f3a9e";

    private static KafkaBroker broker;
    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void startPeers() {
        broker = KafkaBroker.start(0);
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
    void workerKilledMidBuildAndRestartedEndsWithOneAmiAndNoBuildInstance() throws Exception {
        String buildId = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/crash-it"));
        proxy.delay("StopInstances", Duration.ofSeconds(20));

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))))) {
            Envelope<BuildRequested> request = stream.send(new BuildRequested(EventType.CURRENT_VERSION, buildId,
                    Cloud.AWS, "v1.8.2", null, null, REGION, null, "crash-test", null, null));

            try (WorkerProcess first = WorkerProcess.start(workerProperties(), workerEnv(), logs.resolve("first.log"))) {
                awaitBuildInstance(ec2, buildId, Duration.ofSeconds(120));
                first.kill();
            }
            proxy.clearDelays();
            awaitNoPackerFor(buildId, Duration.ofSeconds(30));

            try (WorkerProcess second = WorkerProcess.start(workerProperties(), workerEnv(), logs.resolve("second.log"))) {
                List<Envelope<ImageBuilt>> built = stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(120));
                assertThat(built.get(0).data().causedBy()).isEqualTo(request.id());

                List<CloudImage> tagged = ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId));
                assertThat(tagged).extracting(CloudImage::id).containsExactly(built.get(0).data().imageId());
                assertThat(ec2.findImages(REGION, Map.of()))
                        .filteredOn(image -> image.name() != null && image.name().contains(buildId))
                        .hasSize(1);
                assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).isEmpty();
                var records = stream.records("image.built", r -> buildId.equals(r.key()), Duration.ofSeconds(2));
                assertThat(records).hasSize(1);

                // The credentials Packer and the SDK used never reach a log line or an event.
                assertThat(second.output()).contains(buildId).doesNotContain(SECRET_KEY);
                assertThat(Files.readString(logs.resolve("first.log"))).doesNotContain(SECRET_KEY);
                assertThat(records.get(0).value()).doesNotContain(SECRET_KEY);
                records.get(0).headers().forEach(h -> assertThat(new String(h.value())).doesNotContain(SECRET_KEY));
            }
        }
    }

    private static void awaitBuildInstance(Ec2Cloud ec2, String buildId, Duration timeout) throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (Instant.now().isBefore(giveUp)) {
            if (!ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId)).isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Packer never started a build instance for " + buildId);
    }

    /** The killed worker's Packer got SIGTERM through pdeathsig; it must not live on as an orphan. */
    private static void awaitNoPackerFor(String buildId, Duration timeout) throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (Instant.now().isBefore(giveUp)) {
            boolean alive = ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine()
                    .map(c -> c.contains("packer") && c.contains(buildId)).orElse(false));
            if (!alive) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("an orphaned packer for " + buildId + " is still running");
    }

    private static Map<String, String> workerProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", broker.bootstrapServers());
        props.put("cib.aws.endpoint-override", proxy.endpoint());
        props.put("cib.build.packer.template-dir", Path.of("../packer").toAbsolutePath().normalize().toString());
        props.put("cib.build.packer.aws-source", "amazon-ebs.aws-emulated");
        props.put("cib.build.packer.vars.aws_source_ami", MotoServer.BASE_AMI_ID);
        props.put("cib.build.packer.work-dir", Path.of("target/crash-it/packer").toAbsolutePath().toString());
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        // The killed member must leave the group quickly so the restarted one gets its partition.
        props.put("mp.messaging.incoming.build-requested.session.timeout.ms", "6000");
        props.put("mp.messaging.incoming.build-requested.heartbeat.interval.ms", "1000");
        return props;
    }

    private static Map<String, String> workerEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7CIBTEST", "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
                "AWS_REGION", REGION);
    }
}
