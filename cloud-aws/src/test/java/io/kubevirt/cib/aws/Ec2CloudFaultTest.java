package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesResponse;

/** Failures moto cannot produce on demand (throttling, slow snapshot release), via a hand-made Ec2Client. */
class Ec2CloudFaultTest {

    private static final String REGION = "eu-central-1";
    private static final Ec2Cloud.SnapshotRelease QUICK =
            new Ec2Cloud.SnapshotRelease(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(500));

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
                    assertThat(e.getMessage()).contains("DescribeInstances", REGION, "RequestLimitExceeded");
                    assertThat(e.retryable()).isTrue();
                });
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

    private Ec2Cloud cloud(Fake fake) {
        return new Ec2Cloud(new Ec2Clients(region -> fake), QUICK);
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
