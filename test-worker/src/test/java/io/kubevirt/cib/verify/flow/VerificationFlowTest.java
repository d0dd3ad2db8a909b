package io.kubevirt.cib.verify.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Instance;
import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.InjectMoto;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.kubevirt.cib.verify.testing.MotoGuest;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.testing.StandInTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * image.built in, image.verified out, through the real broker, with moto (AWS) or the local Compute server (GCP)
 * for the cloud, the real sshj client, and an SSH stand-in on 127.0.0.1 running the real verification script against
 * a stand-in cluster. The stand-in accepts only the key the worker handed the cloud at launch (as cloud-init would
 * install it) and presents the host key the cloud reported. moto cannot print a guest's host keys on its console,
 * so the proxy in front of it answers GetConsoleOutput with the stand-in's cloud-init block.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = MotoTestResource.class, initArgs = @ResourceArg(name = "slowProxy", value = "true"))
@QuarkusTestResource(StandInTestResource.class)
class VerificationFlowTest {

    private static final String REGION = "us-west-1";
    private static final String ZONE = "us-central1-b";
    private static final String PROJECT = "cib-test-project";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @InjectMoto
    MotoServer moto;

    @InjectMoto
    SlowCloudProxy proxy;

    private EventStreamClient stream;
    private Ec2Cloud ec2;
    private Ec2Client sdk;
    private StandInGuest instance;
    private Thread guestAgent;

    @BeforeEach
    void connect() {
        stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers());
        ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
        sdk = MotoGuest.sdk(moto.endpoint(), REGION);
    }

    @AfterEach
    void disconnect() throws Exception {
        if (guestAgent != null) {
            guestAgent.interrupt();
        }
        if (instance != null) {
            instance.close();
        }
        proxy.clearAnswers();
        stream.close();
        ec2.close();
        sdk.close();
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void imagePassesIsMarkedVerifiedAndNoInstanceIsLeft(Cloud cloud) throws Exception {
        String buildId = newBuildId();
        String image = seedImage(cloud, buildId);
        bootStandIn(cloud, b -> b.scenario("pass"));

        Envelope<ImageBuilt> built = stream.send(imageBuilt(buildId, cloud, image));
        ImageVerified verified = awaitVerified(buildId, 1).get(0);

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.PASSED);
        assertThat(verified.causedBy()).isEqualTo(built.id());
        assertThat(verified.instanceId()).isNotBlank();
        assertThat(verified.checks()).extracting(ImageVerified.Check::name).containsExactly("node-ready",
                "default-storage-class", "datavolume-import", "vmi-running", "guest-booted", "cleanup");
        assertThat(verified.checks()).allSatisfy(c -> assertThat(c.status()).isEqualTo(ImageVerified.CheckStatus.PASSED));
        assertThat(verified.foundVersions()).isNotNull();
        assertThat(imageTags(cloud, image)).containsEntry(ResourceTags.VERIFIED_KUBEVIRT_VERSION, "v1.8.2")
                .containsEntry(ResourceTags.LAST_VERIFICATION_OUTCOME, "passed");
        assertNoLiveInstance(cloud, buildId);
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void vmNeverReachingRunningFailsWithThatStepsEvidence(Cloud cloud) throws Exception {
        String buildId = newBuildId();
        String image = seedImage(cloud, buildId);
        bootStandIn(cloud, b -> b.scenario("vm-never-running"));

        stream.send(imageBuilt(buildId, cloud, image));
        ImageVerified verified = awaitVerified(buildId, 1).get(0);

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        ImageVerified.Check vmi = verified.checks().stream().filter(c -> c.name().equals("vmi-running")).findFirst()
                .orElseThrow();
        assertThat(vmi.status()).isEqualTo(ImageVerified.CheckStatus.FAILED);
        assertThat(vmi.evidence()).containsIgnoringCase("scheduling");
        assertThat(verified.reason()).contains("vmi-running");
        assertThat(imageTags(cloud, image)).doesNotContainKey(ResourceTags.VERIFIED_KUBEVIRT_VERSION);
        assertNoLiveInstance(cloud, buildId);
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void sshNeverComingUpFailsWithTheReasonAfterTheBudget(Cloud cloud) throws Exception {
        String buildId = newBuildId();
        String image = seedImage(cloud, buildId);
        bootStandIn(cloud, b -> b.neverListen());
        StandInTestResource.forwarder().pointAt(-1);

        stream.send(imageBuilt(buildId, cloud, image));
        ImageVerified verified = awaitVerified(buildId, 1).get(0);

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).startsWith("ssh: ");
        assertNoLiveInstance(cloud, buildId);
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void aHostKeyThatDoesNotMatchTheReportedOneIsRefusedAndReported(Cloud cloud) throws Exception {
        String buildId = newBuildId();
        String image = seedImage(cloud, buildId);
        bootStandIn(cloud, b -> b.presentDifferentHostKey());

        stream.send(imageBuilt(buildId, cloud, image));
        ImageVerified verified = awaitVerified(buildId, 1).get(0);

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).startsWith("ssh host key rejected");
        assertThat(instance.commandsRun()).isZero();
        assertNoLiveInstance(cloud, buildId);
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void theSameImageBuiltDeliveredTwiceLaunchesOneInstance(Cloud cloud) throws Exception {
        String buildId = newBuildId();
        String image = seedImage(cloud, buildId);
        bootStandIn(cloud, b -> b.scenario("pass"));
        long launchesBefore = launches(cloud);

        Envelope<ImageBuilt> built = stream.send(imageBuilt(buildId, cloud, image));
        RecordMetadata duplicate = stream.send(built);
        awaitVerified(buildId, 1);
        stream.awaitConsumed("test-worker", duplicate, WAIT);
        // The duplicate is answered from the ledger, whose outcome is on the broker already: nothing new.
        List<ImageVerified> verified = stream.records("image.verified", r -> buildId.equals(r.key()),
                Duration.ofMillis(500)).stream().map(r -> stream.decode(ImageVerified.class, r).data()).toList();
        assertThat(verified).hasSize(1);

        assertThat(launches(cloud) - launchesBefore).isEqualTo(1);
        assertThat(verified).extracting(ImageVerified::outcome).containsOnly(ImageVerified.Outcome.PASSED);
        assertNoLiveInstance(cloud, buildId);
    }

    @ParameterizedTest
    @EnumSource(Cloud.class)
    void imageThatDoesNotExistIsReportedAsFailed(Cloud cloud) {
        String buildId = newBuildId();

        stream.send(imageBuilt(buildId, cloud, cloud == Cloud.AWS ? "ami-0123456789abcdef0" : "no-such-image"));
        ImageVerified verified = awaitVerified(buildId, 1).get(0);

        assertThat(verified.outcome()).isEqualTo(ImageVerified.Outcome.FAILED);
        assertThat(verified.reason()).contains("does not exist");
        assertNoLiveInstance(cloud, buildId);
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private static String newBuildId() {
        return "v-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static ImageBuilt imageBuilt(String buildId, Cloud cloud, String imageId) {
        return new ImageBuilt(EventType.CURRENT_VERSION, buildId, cloud, cloud == Cloud.AWS ? REGION : ZONE,
                cloud == Cloud.AWS ? null : PROJECT, imageId, imageId, "v1.8.2", "v1.35.0", "v1.64.0", 1.0, null, false,
                UUID.randomUUID().toString(), null);
    }

    private String seedImage(Cloud cloud, String buildId) {
        if (cloud == Cloud.AWS) {
            return MotoGuest.seedAmi(sdk, buildId);
        }
        String image = "kubevirt-v1-8-2-" + buildId;
        StandInTestResource.compute().seedImage(PROJECT, image, Map.of(ResourceTags.BUILD_ID, buildId));
        return image;
    }

    private Map<String, String> imageTags(Cloud cloud, String image) {
        return cloud == Cloud.AWS ? ec2.getImage(REGION, image).orElseThrow().tags()
                // Through the adapter's one label encoding: both clouds then read the same spelling.
                : io.kubevirt.cib.gcp.GceLabels.fromLabels(
                        StandInTestResource.compute().image(PROJECT, image).orElseThrow().getLabelsMap());
    }

    private long launches(Cloud cloud) {
        return cloud == Cloud.AWS ? proxy.requests("RunInstances")
                : StandInTestResource.compute().instancesCreated();
    }

    /**
     * The stand-in behind the forwarder, accepting the key the cloud was given at launch and presenting the host
     * key the cloud reports: on AWS through the (proxied) console output, on GCP through guest attributes.
     */
    private void bootStandIn(Cloud cloud, UnaryOperator<StandInGuest.Builder> options) throws Exception {
        if (cloud == Cloud.AWS) {
            instance = options.apply(StandInGuest.builder(() -> MotoGuest.userDataKeys(sdk))).start();
            proxy.answer("GetConsoleOutput", MotoGuest.consoleOutputXml(instance.reportedHostKeyLine()));
        } else {
            LocalComputeServer compute = StandInTestResource.compute();
            instance = options.apply(StandInGuest.builder(() -> gcpSshKeys(compute))).start();
            guestAgent = publishHostKeysOnceLaunched(compute, instance.reportedHostKeyLine());
        }
        StandInTestResource.forwarder().pointAt(instance.port());
    }

    private List<ImageVerified> awaitVerified(String buildId, int count) {
        return stream.awaitEvents(ImageVerified.class, buildId, count, WAIT).stream().map(Envelope::data).toList();
    }

    /** What the guest agent would install: the ssh-keys metadata of the instances, "user:key" each. */
    private static List<String> gcpSshKeys(LocalComputeServer compute) {
        return compute.instances(PROJECT).stream()
                .flatMap(i -> i.getMetadata().getItemsList().stream())
                .filter(item -> item.getKey().equals("ssh-keys"))
                .flatMap(item -> item.getValue().lines())
                .map(line -> line.substring(line.indexOf(':') + 1))
                .toList();
    }

    /** The guest agent publishing host keys as guest attributes once the instance is up. */
    private static Thread publishHostKeysOnceLaunched(LocalComputeServer compute, String hostKeyLine) {
        String[] parts = hostKeyLine.split(" ");
        Thread thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (Instance i : compute.instances(PROJECT)) {
                    compute.publishHostKeys(PROJECT, ZONE, i.getName(), Map.of(parts[0], parts[1]));
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "guest-agent");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void assertNoLiveInstance(Cloud cloud, String buildId) {
        if (cloud == Cloud.AWS) {
            assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).isEmpty();
        } else {
            assertThat(StandInTestResource.compute().instances(PROJECT))
                    .noneMatch(i -> buildId.equals(i.getLabelsMap().get(ResourceTags.BUILD_ID)));
        }
    }
}
