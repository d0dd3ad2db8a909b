package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceBlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeType;

/** Adapter behaviour beyond the shared contracts, against a real moto_server. */
class Ec2CloudMotoTest {

    private static final String REGION = "us-west-2";
    // AWS's documented example key pair: shaped like real credentials, so the redaction checks mean something.
    private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String SSH_KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEexampleEXAMPLEexampleEXAMPLEexample cib-verify";

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

    @Test
    void launchTagsInstanceAndRootVolumeAndSendsTokenUserDataAndDiskSize() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild(), ResourceTags.PHASE, "verify");
        String token = "tok-" + UUID.randomUUID();

        CloudInstance launched = cloud.launch(spec(tags, token, 37, Optional.empty(), List.of(), false));

        assertThat(launched.id()).startsWith("i-");
        assertThat(launched.location()).isEqualTo(REGION);
        assertThat(launched.tags()).containsAllEntriesOf(tags);
        Instance instance = rawInstance(launched.id());
        assertThat(instance.imageId()).isEqualTo(MotoServer.BASE_AMI_ID);
        assertThat(instance.instanceTypeAsString()).isEqualTo("t3.micro");
        assertThat(instance.clientToken()).isEqualTo(token);
        assertThat(tagMap(instance.tags())).containsAllEntriesOf(tags);

        // The root device of the base AMI is /dev/sda1; its volume carries the size, type and tags asked for.
        InstanceBlockDeviceMapping root = instance.blockDeviceMappings().stream()
                .filter(m -> m.deviceName().equals(instance.rootDeviceName()))
                .findFirst().orElseThrow();
        assertThat(root.deviceName()).isEqualTo("/dev/sda1");
        assertThat(root.ebs().deleteOnTermination()).isTrue();
        Volume volume = ec2().describeVolumes(r -> r.volumeIds(root.ebs().volumeId())).volumes().get(0);
        assertThat(volume.size()).isEqualTo(37);
        assertThat(volume.volumeType()).isEqualTo(VolumeType.GP3);
        assertThat(tagMap(volume.tags())).containsAllEntriesOf(tags);
        assertThat(instance.blockDeviceMappings()).hasSize(1);

        // EC2 hands user data back base64-encoded; it is the cloud-config that authorizes the launch's key.
        String userData = new String(Base64.getDecoder().decode(ec2().describeInstanceAttribute(r -> r
                .instanceId(launched.id()).attribute(InstanceAttributeName.USER_DATA)).userData().value()),
                StandardCharsets.UTF_8);
        assertThat(userData).startsWith("#cloud-config\n")
                .contains("ssh_authorized_keys:\n  - \"" + SSH_KEY + "\"\n");
    }

    @Test
    void launchUsesTheGivenSubnetAndSecurityGroupsAndDescribeReportsStateAndAddress() {
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        Subnet subnet = ec2().describeSubnets(r -> r.filters(Filter.builder().name("default-for-az").values("true")
                .build())).subnets().get(0);
        String group = ec2().createSecurityGroup(r -> r.groupName("cib-verify-" + tags.get(ResourceTags.BUILD_ID))
                .description("cib verify").vpcId(subnet.vpcId())).groupId();

        CloudInstance launched = cloud.launch(spec(tags, "tok-" + UUID.randomUUID(), 20,
                Optional.of(subnet.subnetId()), List.of(group), false));

        Instance instance = rawInstance(launched.id());
        assertThat(instance.subnetId()).isEqualTo(subnet.subnetId());
        assertThat(instance.securityGroups()).extracting(g -> g.groupId()).containsExactly(group);
        CloudInstance described = cloud.describe(REGION, launched.id()).orElseThrow();
        assertThat(described.state()).isEqualTo(CloudInstance.State.RUNNING); // moto has no pending phase
        assertThat(described.tags()).containsAllEntriesOf(tags);
        String expected = instance.publicIpAddress() != null ? instance.publicIpAddress() : instance.privateIpAddress();
        assertThat(described.address()).contains(expected);
        assertThat(launched.address()).contains(expected);

        cloud.terminate(REGION, List.of(launched.id()));
        assertThat(cloud.describe(REGION, launched.id())).hasValueSatisfying(i ->
                assertThat(i.state()).isEqualTo(CloudInstance.State.TERMINATED));
    }

    @Test
    void launchWithNestedVirtualizationSendsCpuOptionsOnTheWire() {
        // moto accepts and ignores CpuOptions, so the wire format is what can be checked here.
        // The EC2 Query protocol marshals into query parameters; a later SDK stage moves them into the POST body.
        List<Map<String, List<String>>> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionInterceptor capture = new ExecutionInterceptor() {
            @Override
            public void afterMarshalling(Context.AfterMarshalling context, ExecutionAttributes attributes) {
                sent.add(context.httpRequest().rawQueryParameters());
            }
        };
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, uniqueBuild());
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
        try (SdkHttpClient http = UrlConnectionHttpClient.create();
                Ec2Cloud capturing = new Ec2Cloud(new Ec2Clients(region -> Ec2Client.builder()
                        .region(Region.of(region))
                        .endpointOverride(URI.create(moto.endpoint()))
                        .credentialsProvider(credentials)
                        .httpClient(http)
                        .overrideConfiguration(o -> o.addExecutionInterceptor(capture))
                        .build()))) {

            CloudInstance launched = capturing.launch(spec(tags, "tok-" + UUID.randomUUID(), 20, Optional.empty(),
                    List.of(), true));

            assertThat(cloud.findInstances(REGION, tags)).extracting(CloudInstance::id).containsExactly(launched.id());
        }
        assertThat(sent).filteredOn(params -> params.get("Action").equals(List.of("RunInstances"))).singleElement()
                .satisfies(params -> assertThat(params).containsEntry("CpuOptions.NestedVirtualization",
                        List.of("enabled")));
    }

    @Test
    void launchFromAnUnknownImageIsANonRetryableCloudException() {
        assertThatThrownBy(() -> cloud.launch(new LaunchSpec(REGION, "ami-00000000000000000", "t3.micro", 20,
                Optional.empty(), List.of(), "ubuntu", SSH_KEY, Map.of(), "tok-" + UUID.randomUUID(), false)))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("ami-00000000000000000", REGION, "InvalidAMIID.NotFound");
                    assertThat(e.retryable()).isFalse();
                });
    }

    @Test
    void describeOfAnUnknownInstanceIsEmpty() {
        assertThat(cloud.describe(REGION, "i-0123456789abcdef0")).isEmpty();
    }

    @Test
    void consoleOutputIsDecodedAndMotosSampleConsoleHasNoHostKeys() {
        String id = fixture.seedInstance(REGION, Map.of(ResourceTags.BUILD_ID, uniqueBuild()));

        // moto answers GetConsoleOutput for every instance with one fixed sample text (a 2006 Xen kernel boot log),
        // never with cloud-init output, so there is no SSH HOST KEY KEYS block to parse. Parsing a real block is
        // covered by Ec2CloudFaultTest and pipeline-common's HostKeysTest.
        assertThat(cloud.consoleOutput(REGION, id)).isNotBlank().contains("Linux version");
        assertThat(cloud.hostKeys(REGION, id)).isEmpty();
    }

    @Test
    void tagImageMergesAndGetImageSeesOnlyOwnLiveImages() {
        String build = uniqueBuild();
        String imageId = fixture.seedImage(REGION, "img-" + build,
                Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "build", "keep", "old"));

        cloud.tagImage(REGION, imageId, Map.of(ResourceTags.PHASE, "verify", "cib-verified", "true"));
        cloud.tagImage(REGION, imageId, Map.of());

        CloudImage image = cloud.getImage(REGION, imageId).orElseThrow();
        assertThat(image.id()).isEqualTo(imageId);
        assertThat(image.name()).isEqualTo("img-" + build);
        assertThat(image.location()).isEqualTo(REGION);
        assertThat(image.state()).isEqualTo(CloudImage.State.AVAILABLE);
        assertThat(image.snapshotIds()).isNotEmpty();
        assertThat(image.tags()).isEqualTo(Map.of(ResourceTags.BUILD_ID, build, ResourceTags.PHASE, "verify",
                "keep", "old", "cib-verified", "true"));

        // Canonical's base image exists but is not ours; a deregistered image of ours is gone.
        assertThat(cloud.getImage(REGION, MotoServer.BASE_AMI_ID)).isEmpty();
        ec2().deregisterImage(r -> r.imageId(imageId));
        assertThat(cloud.getImage(REGION, imageId)).isEmpty();
    }

    @Test
    void taggingAnUnknownImageIsACloudException() {
        assertThatThrownBy(() -> cloud.tagImage(REGION, "ami-00000000000000000", Map.of("k", "v")))
                .isInstanceOfSatisfying(CloudException.class, e ->
                        assertThat(e.getMessage()).contains("CreateTags(ami-00000000000000000)", REGION));
    }

    private static LaunchSpec spec(Map<String, String> tags, String token, int diskGb, Optional<String> subnet,
            List<String> groups, boolean nested) {
        return new LaunchSpec(REGION, MotoServer.BASE_AMI_ID, "t3.micro", diskGb, subnet, groups, "ubuntu", SSH_KEY,
                tags, token, nested);
    }

    private static Instance rawInstance(String id) {
        return ec2().describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
    }

    private static Map<String, String> tagMap(List<Tag> tags) {
        return tags.stream().collect(java.util.stream.Collectors.toMap(Tag::key, Tag::value));
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
