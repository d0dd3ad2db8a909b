package io.kubevirt.cib.verify.localrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.LocalStack;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.devstack.guest.MotoWithGuest;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.verify.testing.MotoGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * What {@code bin/local-run} runs, minus the build: dev-stack's LocalStack with the stand-in guest (in-process, free
 * ports) and the packaged test-worker with the %local profile, configured as bin/local-run configures it. An
 * image.built for an AMI seeded in moto ends as a passed image.verified, through sshj and the real verification
 * script; the instance it launched is terminated.
 */
@Timeout(120)
class LocalRunIT {

    private static final String REGION = "us-west-1"; // bin/local-run's AWS_REGION

    @Test
    void imageBuiltOnTheLocalStackWithTheStandInGuestEndsPassed() throws Exception {
        long started = System.nanoTime();
        String buildId = "localrun-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/local-run-it"));
        LocalStack.Options options = new LocalStack.Options(0, 0, List.of(EventType.IMAGE_BUILT.topic(),
                EventType.IMAGE_VERIFIED.topic(), EventType.IMAGE_BUILT.deadLetterTopic()), 1, Optional.of("pass"));

        try (LocalStack.Running stack = LocalStack.start(options);
                EventStreamClient stream = new EventStreamClient(stack.kafkaBootstrap());
                Ec2Client sdk = MotoGuest.sdk(stack.awsEndpoint(), REGION)) {
            MotoWithGuest guest = stack.guest().orElseThrow();
            String ami = MotoGuest.seedAmi(sdk, buildId);
            stream.send(new ImageBuilt(EventType.CURRENT_VERSION, buildId, Cloud.AWS, REGION, null, ami, ami,
                    "v1.8.2", "v1.35.0", "v1.64.0", 1.0, null, false, UUID.randomUUID().toString(), null));

            try (WorkerProcess worker = WorkerProcess.start(localRunProperties(stack.kafkaBootstrap(), guest),
                    Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_REGION", REGION),
                    logs.resolve("test-worker.log"))) {
                ImageVerified verified = stream.awaitEvents(ImageVerified.class, buildId, 1, Duration.ofSeconds(75))
                        .get(0).data();

                assertThat(verified.outcome()).as("%s%n%s", verified.reason(), worker.output())
                        .isEqualTo(ImageVerified.Outcome.PASSED);
                assertThat(guest.guest().commandsRun()).as("the script ran on the stand-in").isPositive();
                assertThat(guest.guest().unsupportedCalls()).isEmpty();
                assertThat(guest.proxy().requests("GetConsoleOutput")).isPositive();
                assertThat(sdk.describeInstances(r -> r.filters(
                        Filter.builder().name("tag:" + ResourceTags.BUILD_ID).values(buildId).build(),
                        Filter.builder().name("tag:" + ResourceTags.PHASE).values("verify").build()))
                        .reservations().stream().flatMap(res -> res.instances().stream())
                        .map(i -> i.state().name()))
                        .as("the verification instance is gone").isNotEmpty()
                        .allMatch(s -> s == InstanceStateName.TERMINATED || s == InstanceStateName.SHUTTING_DOWN);
                System.out.printf("local run IT: image.verified passed after %.1f s%n",
                        (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** bin/local-run's test-worker flags: the %local profile, moto behind the guest's proxy, SSH to the guest. */
    private static Map<String, String> localRunProperties(String bootstrap, MotoWithGuest guest) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("quarkus.profile", "local");
        props.put("kafka.bootstrap.servers", bootstrap);
        props.put("cib.aws.endpoint-override", guest.cloudEndpoint());
        props.put("cib.verify.address-override", guest.sshAddress());
        props.put("quarkus.http.host", "127.0.0.1");
        props.put("quarkus.http.port", "0");
        return props;
    }
}
