package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DeleteSnapshotRequest;
import software.amazon.awssdk.services.ec2.model.DeleteSnapshotResponse;
import software.amazon.awssdk.services.ec2.model.DeregisterImageRequest;
import software.amazon.awssdk.services.ec2.model.DeregisterImageResponse;
import software.amazon.awssdk.services.ec2.model.DescribeImagesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.GetConsoleOutputRequest;
import software.amazon.awssdk.services.ec2.model.GetConsoleOutputResponse;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.NestedVirtualizationSpecification;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.RunInstancesResponse;
import software.amazon.awssdk.services.ec2.model.VolumeType;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesResponse;

/** Failures moto cannot produce on demand (throttling, slow snapshot release), via a hand-made Ec2Client. */
class Ec2CloudFaultTest {

    private static final String REGION = "eu-central-1";
    private static final WaitPolicy QUICK =
            new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(500));

    private final List<String> calls = new ArrayList<>();

    @Test
    void deleteImageWaitsUntilAwsReleasesTheSnapshot() {
        AtomicInteger inUse = new AtomicInteger(2);
        Ec2Cloud cloud = cloud(new ImageWithSnapshot() {
            @Override
            public DeleteSnapshotResponse deleteSnapshot(DeleteSnapshotRequest request) {
                calls.add("DeleteSnapshot " + request.snapshotId());
                if (inUse.getAndDecrement() > 0) {
                    throw error(400, "InvalidSnapshot.InUse", "The snapshot is currently in use by ami-1");
                }
                return DeleteSnapshotResponse.builder().build();
            }
        });

        cloud.deleteImage(REGION, "ami-1");

        assertThat(calls).containsExactly("DescribeImages", "DeregisterImage ami-1",
                "DeleteSnapshot snap-1", "DeleteSnapshot snap-1", "DeleteSnapshot snap-1");
    }

    @Test
    void aSnapshotStillInUseAfterTheWaitIsARetryableFailure() {
        Ec2Cloud cloud = cloud(new ImageWithSnapshot() {
            @Override
            public DeleteSnapshotResponse deleteSnapshot(DeleteSnapshotRequest request) {
                throw error(400, "InvalidSnapshot.InUse", "The snapshot is currently in use by ami-1");
            }
        });

        assertThatThrownBy(() -> cloud.deleteImage(REGION, "ami-1"))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("DeleteSnapshot(snap-1)", REGION, "InvalidSnapshot.InUse");
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    void throttlingIsRetryable() {
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public DescribeInstancesResponse describeInstances(DescribeInstancesRequest request) {
                throw error(503, "RequestLimitExceeded", "Request limit exceeded.");
            }
        });

        assertThatThrownBy(() -> cloud.findInstances(REGION, Map.of()))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("DescribeInstances", REGION, "RequestLimitExceeded",
                            "failed: throttling: ");
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    void throttlingUnderItsOtherCodesIsNamedAndRetryableToo() {
        for (String code : List.of("Throttling", "ThrottlingException")) {
            Ec2Cloud cloud = cloud(new Fake() {
                @Override
                public DescribeImagesResponse describeImages(DescribeImagesRequest request) {
                    throw error(400, code, "Rate exceeded");
                }
            });

            assertThatThrownBy(() -> cloud.findImages(REGION, Map.of()))
                    .isInstanceOfSatisfying(CloudException.class, e -> {
                        assertThat(e.getMessage()).contains("DescribeImages", "throttling", code);
                        assertThat(e.retryable()).isTrue();
                    });
        }
    }

    @Test
    void clientErrorsAreNotRetryableAndTerminatingNothingCallsNothing() {
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public TerminateInstancesResponse terminateInstances(TerminateInstancesRequest request) {
                calls.add("TerminateInstances " + request.instanceIds());
                throw error(400, "UnauthorizedOperation", "You are not authorized to perform this operation.");
            }
        });

        cloud.terminate(REGION, List.of());
        assertThat(calls).isEmpty();

        assertThatThrownBy(() -> cloud.terminate(REGION, List.of("i-1")))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("TerminateInstances[i-1]", REGION, "UnauthorizedOperation");
                    assertThat(e.retryable()).isFalse();
                });
    }

    @Test
    void credentialsInSdkMessagesAreRedactedFromMessageAndCause() {
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public DescribeImagesResponse describeImages(DescribeImagesRequest request) {
                // Not something EC2 says today - but if a message ever echoes a key or a signature, it must not leak.
                throw error(403, "SignatureDoesNotMatch",
                        "Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-central-1/ec2, Signature=deadbeef0123");
            }
        });

        assertThatThrownBy(() -> cloud.findImages(REGION, Map.of()))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("SignatureDoesNotMatch", "HTTP 403");
                    assertThat(e.getCause()).isInstanceOf(AwsErrors.RedactedSdkException.class);
                    assertThat(stackTrace(e)).doesNotContain("AKIAIOSFODNN7EXAMPLE", "deadbeef0123");
                });
    }

    @Test
    void timeoutsAndIoFailuresAreRetryable() {
        SdkClientException io = SdkClientException.create("Unable to execute HTTP request",
                new java.net.SocketTimeoutException("Read timed out"));
        assertThat(AwsErrors.translate("DescribeImages", REGION, io).retryable()).isTrue();
        assertThat(AwsErrors.translate("DescribeImages", REGION, SdkClientException.create("bad region")).retryable())
                .isFalse();
    }

    @Test
    void launchRequestCarriesEverythingTheSpecAsksFor() {
        List<RunInstancesRequest> sent = new ArrayList<>();
        Ec2Cloud cloud = cloud(new Launcher(sent));

        var launched = cloud.launch(new LaunchSpec(REGION, "ami-1", "c8i.large", 50, Optional.of("subnet-1"),
                List.of("sg-1", "sg-2"), "ec2-user", "ssh-ed25519 AAAAkey \"quoted\\comment\"",
                Map.of("cib-build-id", "b1"), "tok-1", true));

        assertThat(calls).containsExactly("DescribeImages [ami-1]", "RunInstances");
        RunInstancesRequest request = sent.get(0);
        assertThat(request.minCount()).isEqualTo(1);
        assertThat(request.maxCount()).isEqualTo(1);
        assertThat(request.imageId()).isEqualTo("ami-1");
        assertThat(request.instanceTypeAsString()).isEqualTo("c8i.large");
        assertThat(request.subnetId()).isEqualTo("subnet-1");
        assertThat(request.securityGroupIds()).containsExactly("sg-1", "sg-2");
        assertThat(request.clientToken()).isEqualTo("tok-1");
        assertThat(request.tagSpecifications()).extracting(t -> t.resourceType())
                .containsExactlyInAnyOrder(ResourceType.INSTANCE, ResourceType.VOLUME);
        assertThat(request.tagSpecifications()).allSatisfy(t -> assertThat(t.tags())
                .extracting(tag -> tag.key() + "=" + tag.value()).containsExactly("cib-build-id=b1"));
        // The root device as the image names it (Amazon Linux style here), not a guess.
        assertThat(request.blockDeviceMappings()).singleElement().satisfies(m -> {
            assertThat(m.deviceName()).isEqualTo("/dev/xvda");
            assertThat(m.ebs().volumeSize()).isEqualTo(50);
            assertThat(m.ebs().volumeType()).isEqualTo(VolumeType.GP3);
            assertThat(m.ebs().deleteOnTermination()).isTrue();
        });
        assertThat(request.cpuOptions().nestedVirtualization()).isEqualTo(NestedVirtualizationSpecification.ENABLED);
        // Quotes and backslashes in the key line are escaped: the key cannot break out of its YAML string.
        assertThat(decode(request.userData())).isEqualTo("#cloud-config\n"
                + "ssh_authorized_keys:\n"
                + "  - \"ssh-ed25519 AAAAkey \\\"quoted\\\\comment\\\"\"\n");
        assertThat(launched.id()).isEqualTo("i-1");
        assertThat(launched.state()).isEqualTo(io.kubevirt.cib.common.cloud.CloudInstance.State.PENDING);
        assertThat(launched.tags()).containsEntry("cib-build-id", "b1");
        assertThat(launched.address()).contains("10.0.0.5");
    }

    @Test
    void aMinimalLaunchSendsNoOptionalParts() {
        List<RunInstancesRequest> sent = new ArrayList<>();
        Ec2Cloud cloud = cloud(new Launcher(sent));

        cloud.launch(new LaunchSpec(REGION, "ami-1", "t3.micro", 0, Optional.empty(), List.of(), "ubuntu",
                "ssh-ed25519 AAAAkey", Map.of(), "tok-2", false));

        // No disk size: the image's own root volume, and no need to look the image up.
        assertThat(calls).containsExactly("RunInstances");
        RunInstancesRequest request = sent.get(0);
        assertThat(request.subnetId()).isNull();
        assertThat(request.hasSecurityGroupIds()).isFalse();
        assertThat(request.hasTagSpecifications()).isFalse();
        assertThat(request.hasBlockDeviceMappings()).isFalse();
        assertThat(request.cpuOptions()).isNull();
        assertThat(request.clientToken()).isEqualTo("tok-2");
    }

    @Test
    void aKeyThatIsNotOneLineIsRefusedBeforeAnyCall() {
        Ec2Cloud cloud = cloud(new Launcher(new ArrayList<>()));

        assertThatThrownBy(() -> cloud.launch(new LaunchSpec(REGION, "ami-1", "t3.micro", 0, Optional.empty(),
                List.of(), "ubuntu", "ssh-ed25519 AAAAkey\nruncmd: [reboot]", Map.of(), "tok-3", false)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(calls).isEmpty();
    }

    @Test
    void insufficientCapacityOnLaunchIsRetryable() {
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public RunInstancesResponse runInstances(RunInstancesRequest request) {
                throw error(500, "InsufficientInstanceCapacity", "We currently do not have sufficient capacity.");
            }
        });

        assertThatThrownBy(() -> cloud.launch(new LaunchSpec(REGION, "ami-1", "c8i.large", 0, Optional.empty(),
                List.of(), "ubuntu", "ssh-ed25519 AAAAkey", Map.of(), "tok-4", true)))
                .isInstanceOfSatisfying(CloudException.class, e -> {
                    assertThat(e.getMessage()).contains("RunInstances(ami-1)", REGION, "InsufficientInstanceCapacity");
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    void consoleOutputFallsBackToBufferedOutputWhereLatestIsUnsupportedAndHostKeysComeFromCloudInit() {
        String console = "[   10.1] cloud-init[712]: Cloud-init v. 24.1 running 'modules:final'\n"
                + "[   10.2] cloud-init[712]: -----BEGIN SSH HOST KEY KEYS-----\n"
                + "[   10.2] cloud-init[712]: ecdsa-sha2-nistp256 AAAAE2VjZHNh root@ip-10-0-0-5\n"
                + "[   10.2] cloud-init[712]: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@ip-10-0-0-5\n"
                + "[   10.2] cloud-init[712]: -----END SSH HOST KEY KEYS-----\n";
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public GetConsoleOutputResponse getConsoleOutput(GetConsoleOutputRequest request) {
                calls.add("GetConsoleOutput latest=" + request.latest());
                if (Boolean.TRUE.equals(request.latest())) {
                    throw error(400, "UnsupportedOperation", "Latest is not supported for this instance type.");
                }
                return GetConsoleOutputResponse.builder().instanceId(request.instanceId())
                        .output(Base64.getEncoder().encodeToString(console.getBytes(StandardCharsets.UTF_8)))
                        .build();
            }
        });

        assertThat(cloud.consoleOutput(REGION, "i-1")).isEqualTo(console);
        assertThat(cloud.hostKeys(REGION, "i-1")).containsExactly(
                "ecdsa-sha2-nistp256 AAAAE2VjZHNh root@ip-10-0-0-5",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@ip-10-0-0-5");
        assertThat(calls).containsExactly("GetConsoleOutput latest=true", "GetConsoleOutput latest=null",
                "GetConsoleOutput latest=true", "GetConsoleOutput latest=null");
    }

    @Test
    void noConsoleOutputYetIsAnEmptyStringAndNoHostKeys() {
        Ec2Cloud cloud = cloud(new Fake() {
            @Override
            public GetConsoleOutputResponse getConsoleOutput(GetConsoleOutputRequest request) {
                return GetConsoleOutputResponse.builder().instanceId(request.instanceId()).build();
            }
        });

        assertThat(cloud.consoleOutput(REGION, "i-1")).isEmpty();
        assertThat(cloud.hostKeys(REGION, "i-1")).isEmpty();
    }

    @Test
    void addressPrefersThePublicIp() {
        assertThat(Ec2Cloud.address(Instance.builder().privateIpAddress("10.0.0.5").publicIpAddress("203.0.113.7")
                .build())).contains("203.0.113.7");
        assertThat(Ec2Cloud.address(Instance.builder().privateIpAddress("10.0.0.5").build())).contains("10.0.0.5");
        assertThat(Ec2Cloud.address(Instance.builder().build())).isEmpty();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private Ec2Cloud cloud(Fake fake) {
        return new Ec2Cloud(new Ec2Clients(region -> fake), new GuardedWaiter(new SimpleMeterRegistry()), QUICK);
    }

    private static Ec2Exception error(int status, String code, String message) {
        return (Ec2Exception) Ec2Exception.builder()
                .statusCode(status)
                .message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message)
                        .serviceName("Ec2").build())
                .build();
    }

    private static String stackTrace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    /** Every operation not overridden fails, as Ec2Client's default methods do. */
    abstract static class Fake implements Ec2Client {
        @Override
        public String serviceName() {
            return SERVICE_NAME;
        }

        @Override
        public void close() {
        }
    }

    /** ami-1 (root device /dev/xvda) launches as i-1, pending, private address 10.0.0.5; requests are recorded. */
    class Launcher extends Fake {
        private final List<RunInstancesRequest> sent;

        Launcher(List<RunInstancesRequest> sent) {
            this.sent = sent;
        }

        @Override
        public DescribeImagesResponse describeImages(DescribeImagesRequest request) {
            calls.add("DescribeImages " + request.imageIds());
            return DescribeImagesResponse.builder().images(Image.builder()
                    .imageId("ami-1").state(ImageState.AVAILABLE).rootDeviceName("/dev/xvda").build()).build();
        }

        @Override
        public RunInstancesResponse runInstances(RunInstancesRequest request) {
            calls.add("RunInstances");
            sent.add(request);
            // Like AWS's answer: pending, a private address, and (here) no tags listed.
            return RunInstancesResponse.builder().instances(Instance.builder()
                    .instanceId("i-1").state(st -> st.name(InstanceStateName.PENDING))
                    .privateIpAddress("10.0.0.5").build()).build();
        }
    }

    /** ami-1 with one snapshot, snap-1; deregistration succeeds. */
    abstract class ImageWithSnapshot extends Fake {
        @Override
        public DescribeImagesResponse describeImages(DescribeImagesRequest request) {
            calls.add("DescribeImages");
            return DescribeImagesResponse.builder().images(Image.builder()
                    .imageId("ami-1").state(ImageState.AVAILABLE)
                    .blockDeviceMappings(m -> m.deviceName("/dev/sda1").ebs(ebs -> ebs.snapshotId("snap-1")))
                    .build()).build();
        }

        @Override
        public DeregisterImageResponse deregisterImage(DeregisterImageRequest request) {
            calls.add("DeregisterImage " + request.imageId());
            return DeregisterImageResponse.builder().build();
        }
    }
}
