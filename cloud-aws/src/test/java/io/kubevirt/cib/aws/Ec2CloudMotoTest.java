package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;

/** Adapter behaviour beyond the shared contracts, against a real moto_server. */
class Ec2CloudMotoTest {

    private static final String REGION = "us-west-2";
    // AWS's documented example key pair: shaped like real credentials, so the redaction checks mean something.
    private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private static MotoServer moto;
    private static Ec2Clients clients;
    private static Ec2Cloud cloud;
    private static Ec2Fixture fixture;

    @BeforeAll
    static void startMoto() {
        moto = MotoServer.start();
        clients = new Ec2Clients(Optional.of(URI.create(moto.endpoint())),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
        cloud = new Ec2Cloud(clients);
        fixture = new Ec2Fixture(clients, MotoServer.BASE_AMI_ID);
    }

    @AfterAll
    static void stopMoto() {
        if (cloud != null) {
            cloud.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void findImagesReportsSnapshotsAndDeleteImageDeletesThem() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        String imageId = fixture.seedImage(REGION, "img-with-snapshot", tags);

        CloudImage image = single(cloud.findImages(REGION, tags));
        assertThat(image.id()).isEqualTo(imageId);
        assertThat(image.snapshotIds()).isNotEmpty().allMatch(id -> id.startsWith("snap-"));
        assertThat(ownSnapshots(image.snapshotIds())).containsExactlyInAnyOrderElementsOf(image.snapshotIds());

        cloud.deleteImage(REGION, imageId);

        assertThat(cloud.findImages(REGION, tags)).isEmpty();
        assertThat(ownSnapshots(image.snapshotIds())).isEmpty();
    }

    @Test
    void deleteImageFinishesWhatAnEarlierAttemptLeftAndSparesOtherImagesSnapshots() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        String halfDeleted = fixture.seedImage(REGION, "img-half-deleted", tags);
        String bystander = fixture.seedImage(REGION, "img-bystander", tags);
        List<String> leftover = snapshotsOf(halfDeleted);
        List<String> bystanderSnapshots = snapshotsOf(bystander);
        // An earlier attempt got as far as DeregisterImage, then died before DeleteSnapshot.
        ec2().deregisterImage(r -> r.imageId(halfDeleted));

        cloud.deleteImage(REGION, halfDeleted);

        assertThat(ownSnapshots(leftover)).isEmpty();
        assertThat(ownSnapshots(bystanderSnapshots)).containsExactlyInAnyOrderElementsOf(bystanderSnapshots);
        assertThat(cloud.findImages(REGION, tags)).extracting(CloudImage::id).containsExactly(bystander);
    }

    @Test
    void stoppedInstancesStillCountAsLeftovers() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        String id = fixture.seedInstance(REGION, tags);
        ec2().stopInstances(r -> r.instanceIds(id));

        CloudInstance instance = single(cloud.findInstances(REGION, tags));
        assertThat(instance.id()).isEqualTo(id);
        assertThat(instance.location()).isEqualTo(REGION);
        assertThat(instance.state()).isIn(CloudInstance.State.STOPPING, CloudInstance.State.STOPPED);
        assertThat(instance.tags()).containsAllEntriesOf(tags);
    }

    @Test
    void terminateStillStopsTheLiveInstancesWhenAnotherIdIsUnknown() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        String live = fixture.seedInstance(REGION, tags);

        // EC2 fails a whole TerminateInstances call for one unknown id; the adapter must not let that spare `live`.
        cloud.terminate(REGION, List.of("i-0123456789abcdef0", live));

        assertThat(cloud.findInstances(REGION, tags)).isEmpty();
    }

    @Test
    void awsErrorsBecomeCloudExceptionsWithCodeAndRegionButNoCredentials() {
        assertThatThrownBy(() -> cloud.deleteImage(REGION, "not-an-ami"))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage())
                            .contains("DescribeImages", REGION, "InvalidAMIID.Malformed", "HTTP 400");
                    assertThat(e.retryable()).isFalse();
                    assertThat(stackTrace(e)).doesNotContain(ACCESS_KEY, SECRET_KEY, "AKIA", "Signature=");
                });
    }

    @Test
    void serverErrorsForAnUnknownRegionAreRetryable() {
        // moto answers requests for a region it does not know with HTTP 500 (after the SDK's own retries).
        assertThatThrownBy(() -> cloud.findImages("xx-nowhere-1", Map.of(ResourceTags.BUILD_ID, "x")))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("DescribeImages", "xx-nowhere-1", "HTTP 500");
                    assertThat(e.retryable()).isTrue();
                    assertThat(stackTrace(e)).doesNotContain(ACCESS_KEY, SECRET_KEY);
                });
    }

    @Test
    void anUnreachableEndpointIsARetryableCloudException() throws IOException {
        URI nobodyListens;
        try (ServerSocket socket = new ServerSocket(0)) {
            nobodyListens = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        try (Ec2Cloud unreachable = new Ec2Cloud(new Ec2Clients(Optional.of(nobodyListens),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY))))) {
            assertThatThrownBy(() -> unreachable.findInstances(REGION, Map.of()))
                    .isInstanceOfSatisfying(CloudException.class, e -> {
                        assertThat(e.getMessage()).contains("DescribeInstances", REGION, "SdkClientException");
                        assertThat(e.retryable()).isTrue();
                        assertThat(stackTrace(e)).doesNotContain(ACCESS_KEY, SECRET_KEY);
                    });
        }
    }

    private static Ec2Client ec2() {
        return clients.forRegion(REGION);
    }

    private static List<String> snapshotsOf(String imageId) {
        return ec2().describeImages(r -> r.imageIds(imageId)).images().get(0).blockDeviceMappings().stream()
                .map(m -> m.ebs().snapshotId())
                .toList();
    }

    /** Those of {@code ids} that still exist (a filter, unlike SnapshotIds, does not fail on unknown ids). */
    private static List<String> ownSnapshots(List<String> ids) {
        return ec2().describeSnapshots(r -> r.ownerIds("self")
                        .filters(Filter.builder().name("snapshot-id").values(ids).build()))
                .snapshots().stream()
                .map(s -> s.snapshotId())
                .toList();
    }

    private static <T> T single(List<T> items) {
        assertThat(items).hasSize(1);
        return items.get(0);
    }

    private static String uniqueBuild() {
        return "b-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String stackTrace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
