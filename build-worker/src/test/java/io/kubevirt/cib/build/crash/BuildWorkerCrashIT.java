package io.kubevirt.cib.build.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
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
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The worker dies the way a container does: the JVM and Packer are SIGKILLed together (no pdeathsig clean-up, no
 * shutdown hook), while Packer's CreateImage is on its way. A proxy in front of moto holds CreateImage and lets it
 * through after the kill, so the end state of the first attempt is what AWS would leave: a running build instance
 * and an AMI with the request's name but no tags. The restarted worker must clean that up itself and end with exactly
 * one tagged AMI, no untagged image or snapshot of the build, no running instance, and one image.built.
 */
class BuildWorkerCrashIT {

    private static final String REGION = "us-west-1";
    /** Distinctive, so a leak anywhere would be found by a plain text search. */
    private static final String SECRET_KEY = "cibCrashItSecretKey/DoNotLog+4f3a9e";
    private static final Duration CREATE_IMAGE_HELD = Duration.ofSeconds(6);

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
    void workerAndPackerKilledAtCreateImageAndRestartedEndWithOneTaggedAmiAndNothingElse() throws Exception {
        String buildId = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/crash-it"));
        proxy.delay("CreateImage", CREATE_IMAGE_HELD);

        try (EventStreamClient stream = new EventStreamClient(broker.bootstrapServers());
                Ec2Clients clients = Ec2Clients.create(Optional.of(URI.create(moto.endpoint())));
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))))) {
            Ec2Client raw = clients.forRegion(REGION);
            Envelope<BuildRequested> request = stream.send(new BuildRequested(EventType.CURRENT_VERSION, buildId,
                    Cloud.AWS, "v1.8.2", null, null, REGION, null, "crash-test", null, null));

            try (WorkerProcess first = WorkerProcess.start(workerProperties(), workerEnv(), logs.resolve("first.log"))) {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .until(() -> proxy.requests("CreateImage") > 0);
                List<ProcessHandle> packer = ProcessHandle.of(first.pid()).orElseThrow().descendants().toList();
                assertThat(packer).as("Packer runs under the worker").isNotEmpty();
                // The credential the test configured is the one Packer really runs with.
                assertThat(packer).anySatisfy(p -> assertThat(environ(p.pid()))
                        .contains("AWS_SECRET_ACCESS_KEY=" + SECRET_KEY));
                killLikeAContainer(first, packer);
            }

            // CreateImage goes through after the kill; CreateTags never comes.
            List<Image> orphans = await().atMost(CREATE_IMAGE_HELD.plusSeconds(30))
                    .until(() -> imagesOf(raw, buildId), images -> !images.isEmpty());
            assertThat(orphans).singleElement().satisfies(image -> assertThat(image.tags()).isEmpty());
            String orphan = orphans.get(0).imageId();
            List<String> orphanSnapshots = snapshotsOf(orphans.get(0));
            assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId)))
                    .as("nobody cleaned up the killed attempt's build instance yet").isNotEmpty();
            proxy.clearDelays();

            try (WorkerProcess second = WorkerProcess.start(workerProperties(), workerEnv(), logs.resolve("second.log"))) {
                List<Envelope<ImageBuilt>> built = stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(120));
                ImageBuilt event = built.get(0).data();
                assertThat(event.causedBy()).isEqualTo(request.id());

                // Exactly one AMI of this build, tagged; it is the one announced.
                List<Image> images = imagesOf(raw, buildId);
                assertThat(images).singleElement().satisfies(image -> {
                    assertThat(image.imageId()).isEqualTo(event.imageId());
                    assertThat(tags(image.tags())).containsEntry(ResourceTags.BUILD_ID, buildId)
                            .containsEntry(ResourceTags.PHASE, "build");
                });
                // The killed attempt's AMI was adopted or removed; either way none of its snapshots is left untagged.
                List<String> snapshots = new ArrayList<>(snapshotsOf(images.get(0)));
                snapshots.addAll(orphanSnapshots);
                for (Snapshot snapshot : existingSnapshots(raw, snapshots)) {
                    assertThat(tags(snapshot.tags())).as("snapshot " + snapshot.snapshotId())
                            .containsEntry(ResourceTags.BUILD_ID, buildId);
                }
                if (!event.imageId().equals(orphan)) {
                    assertThat(existingSnapshots(raw, orphanSnapshots)).isEmpty();
                }
                assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).isEmpty();
                var records = stream.records("image.built", r -> buildId.equals(r.key()), Duration.ofSeconds(2));
                assertThat(records).hasSize(1);

                // The credential Packer ran with never reaches a log line or an event.
                assertThat(second.output()).contains(buildId).doesNotContain(SECRET_KEY);
                assertThat(Files.readString(logs.resolve("first.log"))).contains(buildId).doesNotContain(SECRET_KEY);
                assertThat(records.get(0).value()).doesNotContain(SECRET_KEY);
                records.get(0).headers().forEach(h -> assertThat(new String(h.value())).doesNotContain(SECRET_KEY));
            }
        }
    }

    /**
     * SIGKILL for the JVM and every process under it at once, as a container runtime does. Packer is frozen first so
     * that the SIGTERM its pdeathsig sends when the JVM dies cannot start its own clean-up.
     */
    private static void killLikeAContainer(WorkerProcess worker, List<ProcessHandle> children) throws Exception {
        signal("-STOP", children);
        worker.kill();
        signal("-KILL", children);
        for (ProcessHandle child : children) {
            child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static void signal(String signal, List<ProcessHandle> processes) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        // A child may already be gone; kill then reports it, which is fine.
        new ProcessBuilder(command).redirectErrorStream(true).start().waitFor();
    }

    private static String environ(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8)
                    .replace('\0', '\n');
        } catch (IOException e) {
            return "";
        }
    }

    /** This account's AMIs whose name holds the build ID (the plan's name does), whatever their tags. */
    private static List<Image> imagesOf(Ec2Client ec2, String buildId) {
        return ec2.describeImages(r -> r.owners("self")
                .filters(Filter.builder().name("name").values("*" + buildId + "*").build())).images();
    }

    private static List<String> snapshotsOf(Image image) {
        return image.blockDeviceMappings().stream()
                .filter(m -> m.ebs() != null && m.ebs().snapshotId() != null)
                .map(m -> m.ebs().snapshotId())
                .toList();
    }

    private static List<Snapshot> existingSnapshots(Ec2Client ec2, List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return ec2.describeSnapshots(r -> r.ownerIds("self")
                .filters(Filter.builder().name("snapshot-id").values(ids).build())).snapshots();
    }

    private static Map<String, String> tags(List<Tag> tags) {
        Map<String, String> map = new LinkedHashMap<>();
        tags.forEach(t -> map.put(t.key(), t.value()));
        return map;
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

    /** Credentials for Packer and the SDK: moto accepts any, and these are what the leak checks look for. */
    private static Map<String, String> workerEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7CIBTEST", "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
                "AWS_REGION", REGION);
    }
}
