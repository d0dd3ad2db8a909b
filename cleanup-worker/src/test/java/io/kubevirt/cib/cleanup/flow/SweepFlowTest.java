package io.kubevirt.cib.cleanup.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ImageNames;
import io.kubevirt.cib.common.cloud.PackerNames;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.InjectMoto;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.SweepRequested;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The sweep through the real broker and moto (every region moto reports): seeded leaks in two regions are listed by a
 * dry run that removes nothing, then removed by one sweep asked for twice at once; look-alikes, moto's own images and
 * the newest release stay; the older release is deprecated (EnableImageDeprecation answered by the proxy).
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = MotoTestResource.class, initArgs = @ResourceArg(name = "slowProxy", value = "true"))
class SweepFlowTest {

    private static final Duration WAIT = Duration.ofSeconds(90);

    @InjectMoto
    MotoServer moto;

    @InjectMoto
    SlowCloudProxy proxy;

    @Test
    void aDryRunListsTheLeaksAndOneSweepAskedTwiceRemovesThemOnce() {
        proxy.answer("EnableImageDeprecation", "<EnableImageDeprecationResponse xmlns=\"http://ec2.amazonaws.com/"
                + "doc/2016-11-15/\"><requestId>cib</requestId><return>true</return></EnableImageDeprecationResponse>");
        try (EventStreamClient stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers());
                Ec2Client west = ec2("us-west-1"); Ec2Client eu = ec2("eu-west-1")) {
            int motoImages = west.describeImagesPaginator(b -> b.owners("amazon")).images().stream()
                    .mapToInt(i -> 1).sum();
            String build = "pr-9-" + UUID.randomUUID().toString().substring(0, 6);
            String request = UUID.randomUUID().toString();
            Map<String, String> expired = new HashMap<>(ResourceTags.forRequest(build, request,
                    ResourceTags.Phase.BUILD));
            expired.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(Instant.now().minusSeconds(60)));
            expired.put(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");

            String instance = instance(west, expired);
            String image = image(eu, "kubevirt-expired-" + build, expired);
            String snapshot = snapshot(eu, expired);
            String orphan = image(west, ImageNames.forRequest("v1.8.2", build, request), Map.of());
            String lookAlike = image(west, ImageNames.forRequest("v1.8.2", build, "someone-else"), Map.of());
            String group = west.createSecurityGroup(b -> b.groupName(PackerNames.at(Instant.now().minusSeconds(
                    7 * 3600))).description("packer")).groupId();
            String key = PackerNames.at(Instant.now().minusSeconds(7 * 3600));
            eu.createKeyPair(b -> b.keyName(key));
            String youngGroup = west.createSecurityGroup(b -> b.groupName(PackerNames.at(Instant.now()))
                    .description("packer")).groupId();
            String oldRelease = image(west, "kubevirt-release-old", Map.of(ResourceTags.BUILD_ID, "release-a-" + build,
                    ResourceTags.EXPIRES_AT, "1"));
            String newRelease = image(west, "kubevirt-release-new", Map.of(ResourceTags.BUILD_ID, "release-b-" + build,
                    ResourceTags.EXPIRES_AT, "1"));
            Set<String> leaks = Set.of(instance, image, snapshot, orphan, group, key);

            List<ResourcesCleaned> dry = sweep(stream, "dry-" + build, true, 1);
            assertThat(ids(dry.get(0))).containsAll(leaks).doesNotContain(lookAlike, youngGroup, oldRelease,
                    newRelease);
            assertThat(dry.get(0).resources()).allMatch(r -> r.result() == Result.PLANNED);
            assertThat(image(west, lookAlike)).isTrue();
            assertThat(image(west, orphan)).isTrue();

            List<ResourcesCleaned> real = sweep(stream, "real-" + build, false, 2);
            ResourcesCleaned swept = real.get(0);
            assertThat(ids(swept)).containsAll(leaks);
            assertThat(swept.resources()).filteredOn(r -> leaks.contains(r.id()))
                    .allMatch(r -> r.result() == Result.DONE);
            assertThat(ids(real.get(1))).contains(oldRelease).doesNotContain(newRelease);

            assertThat(west.describeInstances(b -> b.instanceIds(instance)).reservations().get(0).instances().get(0)
                    .state().name()).isIn(InstanceStateName.TERMINATED, InstanceStateName.SHUTTING_DOWN);
            assertThat(image(eu, image)).isFalse();
            assertThat(image(west, orphan)).isFalse();
            assertThat(image(west, lookAlike)).isTrue();
            assertThat(image(west, oldRelease)).as("deprecated, not deleted").isTrue();
            assertThat(image(west, newRelease)).isTrue();
            assertThat(west.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-id")
                    .values(group, youngGroup).build())).securityGroups()).extracting(g -> g.groupId())
                    .containsExactly(youngGroup);
            assertThat(west.describeImagesPaginator(b -> b.owners("amazon")).images().stream().mapToInt(i -> 1)
                    .sum()).isEqualTo(motoImages);
        }
    }

    /** Sends the request {@code copies} times with one event id, as replicas asking for one slot do. */
    private static List<ResourcesCleaned> sweep(EventStreamClient stream, String runId, boolean dryRun, int copies) {
        Envelope<SweepRequested> request = Envelope.create(new SweepRequested("1.1", runId, dryRun, "test", null,
                null), URI.create("/cib/test"), Clock.systemUTC());
        RecordMetadata last = null;
        for (int i = 0; i < copies; i++) {
            last = stream.send(request);
        }
        stream.awaitEvents(ResourcesCleaned.class, runId, 2, WAIT);
        stream.awaitConsumed("cleanup-worker", last, WAIT);
        // The copies are answered from the ledger: one run, its two events once on the topic.
        List<Envelope<ResourcesCleaned>> events = stream.records("resources.cleaned", r -> runId.equals(r.key()),
                Duration.ofMillis(500)).stream().map(r -> stream.decode(ResourcesCleaned.class, r)).toList();
        assertThat(events).extracting(Envelope::id).as("one run, each event once").hasSize(2).doesNotHaveDuplicates();
        return events.stream().map(Envelope::data)
                .sorted((a, b) -> a.trigger().compareTo(b.trigger())).toList();
    }

    private static Set<String> ids(ResourcesCleaned event) {
        return event.resources().stream().map(ResourcesCleaned.Resource::id).collect(Collectors.toSet());
    }

    private Ec2Client ec2(String region) {
        return Ec2Client.builder().region(Region.of(region)).endpointOverride(URI.create(moto.endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    private static String instance(Ec2Client ec2, Map<String, String> tags) {
        String id = ec2.runInstances(b -> b.imageId(MotoServer.BASE_AMI_ID).instanceType(InstanceType.T3_MICRO)
                .minCount(1).maxCount(1)).instances().get(0).instanceId();
        ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        return id;
    }

    private static String image(Ec2Client ec2, String name, Map<String, String> tags) {
        String builder = instance(ec2, Map.of("purpose", "builder"));
        String id = ec2.createImage(b -> b.instanceId(builder).name(name)).imageId();
        ec2.terminateInstances(b -> b.instanceIds(builder));
        if (!tags.isEmpty()) {
            ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        }
        return id;
    }

    private static boolean image(Ec2Client ec2, String id) {
        return !ec2.describeImages(b -> b.owners("self").filters(Filter.builder().name("image-id").values(id)
                .build())).images().isEmpty();
    }

    private static String snapshot(Ec2Client ec2, Map<String, String> tags) {
        String volume = ec2.createVolume(b -> b.availabilityZone("eu-west-1a").size(1)).volumeId();
        String id = ec2.createSnapshot(b -> b.volumeId(volume)).snapshotId();
        ec2.deleteVolume(b -> b.volumeId(volume));
        ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        return id;
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }
}
