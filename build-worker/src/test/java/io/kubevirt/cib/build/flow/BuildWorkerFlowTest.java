package io.kubevirt.cib.build.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.common.messaging.KafkaHeaderMaps;
import io.kubevirt.cib.devstack.InjectMoto;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The build phase end to end on real parts: the Kafka broker (KRaft, in-process), Debian's Packer 1.6.6 running the
 * project's amazon-ebs template against moto_server, and the EC2 adapter checking what exists afterwards.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(MotoTestResource.class)
class BuildWorkerFlowTest {

    private static final Duration BUILD_WAIT = Duration.ofSeconds(90);
    private static final String REGION = "us-west-1";

    @InjectMoto
    MotoServer moto;

    private EventStreamClient stream;
    private Ec2Cloud ec2;

    @BeforeEach
    void connect() {
        stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers());
        ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
    }

    @AfterEach
    void disconnect() {
        stream.close();
        ec2.close();
    }

    private static BuildRequested request(String buildId) {
        return new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null, "v1.35", REGION,
                "refs/heads/main", "test", null, null);
    }

    private static String newBuildId() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void buildRequestedBecomesImageBuiltWhoseAmiCarriesTheBuildTags() {
        String buildId = newBuildId();
        Envelope<BuildRequested> request = stream.send(request(buildId));

        ImageBuilt built = stream.awaitEvents(ImageBuilt.class, buildId, 1, BUILD_WAIT).get(0).data();

        assertThat(built.causedBy()).isEqualTo(request.id());
        assertThat(built.region()).isEqualTo(REGION);
        assertThat(built.kubevirtVersion()).isEqualTo("v1.8.2");
        assertThat(built.kubernetesVersion()).isEqualTo("v1.35.0");
        assertThat(built.cdiVersion()).isEqualTo("v1.64.0");
        assertThat(built.templateDigest()).startsWith("sha256:");
        assertThat(built.reused()).isFalse();
        CloudImage ami = ec2.getImage(REGION, built.imageId()).orElseThrow();
        assertThat(ami.state()).isEqualTo(CloudImage.State.AVAILABLE);
        assertThat(ami.tags())
                .containsEntry(ResourceTags.BUILD_ID, buildId)
                .containsEntry(ResourceTags.PHASE, "build")
                .containsEntry(ResourceTags.KUBEVIRT_VERSION, "v1.8.2")
                .containsKey(ResourceTags.EXPIRES_AT);
        assertThat(ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).isEmpty();
    }

    @TestHTTPResource("/q/health")
    URI health;

    @Test
    void aPhaseThatThrowsEndsAsBuildFailedTheNextRecordIsBuiltAndHealthStaysUp() throws Exception {
        String next = newBuildId();
        Envelope<BuildRequested> throwing = stream.send(request("t-phase-throws"));
        stream.send(request(next));

        List<Envelope<BuildFailed>> failed = stream.awaitEvents(BuildFailed.class, "t-phase-throws", 1, BUILD_WAIT);
        Envelope<BuildFailed> ours = failed.stream().filter(e -> throwing.id().equals(e.data().causedBy()))
                .findFirst().orElseThrow();
        assertThat(ours.data().stage()).isEqualTo(BuildFailed.Stage.WORKER);
        assertThat(ours.data().reason()).contains("unexpected IllegalStateException", "fault injected");
        assertThat(stream.awaitEvents(ImageBuilt.class, next, 1, BUILD_WAIT)).hasSize(1);

        HttpClient http = HttpClient.newHttpClient();
        for (String probe : List.of("/live", "/ready")) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(health + probe)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(probe + ": " + answer.body()).isEqualTo(200);
        }
    }

    @Test
    void theSameEventDeliveredTwiceYieldsOneAmi() {
        String buildId = newBuildId();
        Envelope<BuildRequested> request = stream.send(request(buildId));
        RecordMetadata duplicate = stream.send(request);

        stream.awaitEvents(ImageBuilt.class, buildId, 1, BUILD_WAIT);
        stream.awaitConsumed("build-worker", duplicate, BUILD_WAIT);

        // The redelivery is answered from the ledger, whose outcome is on the broker already: nothing new.
        assertThat(stream.records("image.built", r -> buildId.equals(r.key()), Duration.ofMillis(500))).hasSize(1);
        assertThat(ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).hasSize(1);
    }

    @Test
    void aDeliberateReplayBuildsAgain() {
        String buildId = newBuildId();
        Envelope<BuildRequested> original = stream.send(request(buildId));
        stream.awaitEvents(ImageBuilt.class, buildId, 1, BUILD_WAIT);

        BuildRequested replay = new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null,
                "v1.35", REGION, null, "operator", null, original.id());
        stream.send(replay);

        List<Envelope<ImageBuilt>> built = stream.awaitEvents(ImageBuilt.class, buildId, 2, BUILD_WAIT);
        assertThat(built.get(0).data().imageId()).isNotEqualTo(built.get(1).data().imageId());
        assertThat(built.get(0).data().replayOf()).isNull();
        assertThat(built.get(1).data().replayOf()).isEqualTo(original.id());
        assertThat(ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, buildId))).hasSize(2);
    }

    @Test
    void badRecordsAreDeadLetteredWithTheirReasonAndTheNextEventIsStillBuilt() {
        String malformedBuild = newBuildId();
        String futureBuild = newBuildId();
        String goodBuild = newBuildId();
        Map<String, String> headers = Map.of("ce_specversion", "1.0", "ce_id", UUID.randomUUID().toString(),
                "ce_source", "/test", "ce_type", "build.requested", "content-type", "application/json");

        stream.sendRaw("build.requested", malformedBuild, headers, "{\"schemaVersion\": \"1.0\", \"buildId\": ");
        stream.sendRaw("build.requested", futureBuild, headers,
                "{\"schemaVersion\": \"2.0\", \"buildId\": \"" + futureBuild + "\", \"cloud\": \"aws\"}");
        stream.send(request(goodBuild));

        ConsumerRecord<String, String> malformed = deadLetterOf(malformedBuild);
        assertThat(header(malformed, "dead-letter-reason")).startsWith("malformed: ");
        assertThat(header(malformed, "dead-letter-topic")).isEqualTo("build.requested");
        assertThat(header(malformed, "dead-letter-partition")).isNotBlank();
        assertThat(header(malformed, "dead-letter-offset")).isNotBlank();
        assertThat(header(deadLetterOf(futureBuild), "dead-letter-reason")).startsWith("unknown-version: ");
        assertThat(stream.awaitEvents(ImageBuilt.class, goodBuild, 1, BUILD_WAIT)).hasSize(1);
    }

    @Test
    void aBuildThatCannotRunBecomesBuildFailedWithARedactedReason() {
        String buildId = newBuildId();
        // moto answers an unknown region with HTTP 500: the build cannot even look for earlier attempts.
        BuildRequested request = new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null,
                null, "xx-nowhere-1", null, "test", null, null);
        stream.send(request);

        BuildFailed failed = stream.awaitEvents(BuildFailed.class, buildId, 1, BUILD_WAIT).get(0).data();

        assertThat(failed.reason()).isNotBlank().doesNotContain("AKIA").doesNotContain("aws_secret_access_key");
        assertThat(failed.stage()).isIn(BuildFailed.Stage.PACKER, BuildFailed.Stage.CLOUD);
    }

    private ConsumerRecord<String, String> deadLetterOf(String buildId) {
        return stream.awaitRecords("build.requested.dlq", r -> buildId.equals(r.key()), 1, Duration.ofSeconds(30)).get(0);
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return KafkaHeaderMaps.toMap(record.headers()).get(name);
    }
}
