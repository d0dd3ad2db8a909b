package io.kubevirt.cib.cleanup.localrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.LocalStack;
import io.kubevirt.cib.devstack.LocalWorkers;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Action;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.ResourcesCleaned.Trigger;
import io.kubevirt.cib.events.SweepRequested;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * build -> verify -> cleanup through the real broker, as {@code bin/local-run --once} runs it: dev-stack's LocalStack
 * with the stand-in guest (in-process, free ports), the packaged build-worker (Packer's emulated source against
 * moto), test-worker (%local, SSH to the stand-in guest) and cleanup-worker, configured as bin/local-run configures
 * them, except the cleanup retention: zero, so the pull-request image is past it at once. After the verification's
 * resources.cleaned and one sweep, moto holds no instance, image or snapshot of the build.
 */
@Timeout(170)
class PipelineCleanupIT {

    private static final String REGION = LocalWorkers.REGION;

    @Test
    void aPullRequestBuildLeavesNothingInTheCloudAfterVerificationAndASweep() throws Exception {
        long started = System.nanoTime();
        String buildId = "pr-5-" + UUID.randomUUID().toString().substring(0, 8);
        Path logs = Files.createDirectories(Path.of("target/pipeline-cleanup-it"));
        List<String> topics = new ArrayList<>();
        for (EventType type : List.of(EventType.BUILD_REQUESTED, EventType.IMAGE_BUILT, EventType.BUILD_FAILED,
                EventType.IMAGE_VERIFIED, EventType.RESOURCES_CLEANED)) {
            topics.add(type.topic());
            topics.add(type.deadLetterTopic());
        }
        topics.add(EventType.SWEEP_REQUESTED.topic() + ":1");
        LocalStack.Options options = new LocalStack.Options(0, 0, topics, 1, Optional.of("pass"));

        try (LocalStack.Running stack = LocalStack.start(options);
                EventStreamClient stream = new EventStreamClient(stack.kafkaBootstrap());
                Ec2Client ec2 = ec2(stack.awsEndpoint())) {
            try (LocalWorkers workers = new LocalWorkers(stack, logs)) {
                workers.start("build-worker", workers.buildWorker());
                workers.start("test-worker", workers.testWorker());
                workers.start("cleanup-worker", cleanupWorker(stack));
                workers.awaitAssigned(Duration.ofSeconds(60));
                long upAt = System.nanoTime();

                stream.send(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null, null,
                        REGION, null, "pipeline-cleanup-it", null, null));
                ImageBuilt built = stream.awaitEvents(ImageBuilt.class, buildId, 1, Duration.ofSeconds(60)).get(0)
                        .data();
                ImageVerified verified = stream.awaitEvents(ImageVerified.class, buildId, 1, Duration.ofSeconds(60))
                        .get(0).data();
                assertThat(verified.outcome()).as(verified.reason()).isEqualTo(ImageVerified.Outcome.PASSED);
                ResourcesCleaned afterVerification = stream.awaitEvents(ResourcesCleaned.class, buildId, 1,
                        Duration.ofSeconds(30)).get(0).data();
                long verifiedAt = System.nanoTime();

                assertThat(afterVerification.trigger()).isEqualTo(Trigger.VERIFICATION);
                assertThat(afterVerification.resources()).anySatisfy(r -> {
                    assertThat(r.id()).isEqualTo(verified.instanceId());
                    assertThat(r.action()).isEqualTo(Action.TERMINATE);
                    assertThat(r.result()).isIn(Result.DONE, Result.ALREADY_GONE);
                });
                assertThat(afterVerification.resources()).anySatisfy(r -> {
                    assertThat(r.id()).isEqualTo(built.imageId());
                    assertThat(r.action()).isEqualTo(Action.EXPIRE);
                    assertThat(r.result()).isEqualTo(Result.DONE);
                });
                assertThat(liveInstances(ec2, buildId)).as("no instance of the build, build or verify").isEmpty();
                assertThat(images(ec2, buildId)).as("the image stays until the sweep").isNotEmpty();

                // The sweep bin/cib sweep asks for: the image is past its (zero) retention.
                String run = "sweep-" + buildId;
                stream.send(Envelope.create(new SweepRequested(EventType.CURRENT_VERSION, run, false, "test", null,
                        null), URI.create("/cib/operator"), Clock.systemUTC()));
                List<Envelope<ResourcesCleaned>> swept = stream.awaitEvents(ResourcesCleaned.class, run, 2,
                        Duration.ofSeconds(60));
                long sweptAt = System.nanoTime();
                assertThat(swept).flatExtracting(e -> e.data().resources()).anySatisfy(r -> {
                    assertThat(r.id()).isEqualTo(built.imageId());
                    assertThat(r.action()).isEqualTo(Action.DELETE);
                    assertThat(r.result()).isEqualTo(Result.DONE);
                }).noneMatch(r -> r.result() == Result.FAILED);

                assertThat(liveInstances(ec2, buildId)).isEmpty();
                assertThat(images(ec2, buildId)).as("no image of the build").isEmpty();
                assertThat(ec2.describeSnapshotsPaginator(b -> b.ownerIds("self").filters(tag(buildId)))
                        .snapshots()).as("no snapshot of the build (tagged)").isEmpty();
                assertThat(ec2.describeSnapshotsPaginator(b -> b.ownerIds("self")).snapshots())
                        .as("no snapshot made for the build's image").noneMatch(s -> s.description() != null
                                && s.description().contains(built.imageId()));
                System.out.printf("pipeline cleanup IT: workers up %.1f s; request -> verified and cleaned %.1f s;"
                        + " sweep %.1f s; total %.1f s%n", (upAt - started) / 1e9, (verifiedAt - upAt) / 1e9,
                        (sweptAt - verifiedAt) / 1e9, (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** bin/local-run's cleanup-worker flags, with a zero retention. */
    private static Map<String, String> cleanupWorker(LocalStack.Running stack) {
        Map<String, String> props = LocalWorkers.common(stack.kafkaBootstrap(), stack.awsEndpoint());
        props.put("cib.cleanup.retention", "0s");
        props.put("cib.cleanup.sweep.interval", "0s");
        return props;
    }

    private static Ec2Client ec2(String endpoint) {
        return Ec2Client.builder().region(Region.of(REGION)).endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    private static Filter tag(String buildId) {
        return Filter.builder().name("tag:" + ResourceTags.BUILD_ID).values(buildId).build();
    }

    private static List<String> liveInstances(Ec2Client ec2, String buildId) {
        return ec2.describeInstancesPaginator(b -> b.filters(tag(buildId))).reservations().stream()
                .flatMap(r -> r.instances().stream())
                .filter(i -> i.state().name() != InstanceStateName.TERMINATED
                        && i.state().name() != InstanceStateName.SHUTTING_DOWN)
                .map(i -> i.instanceId()).toList();
    }

    /** Images of the build: tagged with it, or named for it (an untagged image keeps the build id in its name). */
    private static List<String> images(Ec2Client ec2, String buildId) {
        List<String> found = new ArrayList<>();
        ec2.describeImagesPaginator(b -> b.owners("self")).images().stream()
                .filter(i -> i.name() != null && i.name().contains(buildId)
                        || i.tags().stream().anyMatch(t -> t.key().equals(ResourceTags.BUILD_ID)
                                && t.value().equals(buildId)))
                .forEach(i -> found.add(i.imageId()));
        return found;
    }
}
