package io.kubevirt.cib.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.bridge.domain.WebhookSignature;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.ReleaseTagged;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real GitHub payloads, signed like GitHub signs them, against the bridge and a real broker. */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerTestResource.class, initArgs = {
    @ResourceArg(name = KafkaBrokerTestResource.TOPICS_ARG, value = "build.requested,release.tagged")})
class GithubHookTest {

    private static final String SECRET = "test-secret-current";
    private static final String PREVIOUS_SECRET = "test-secret-previous";
    private static final String RETIRED_SECRET = "test-secret-retired";

    @TestHTTPResource("/hooks/github")
    URI hook;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final EventCodec codec = new EventCodec();
    private TopicReader topics;

    @BeforeEach
    void reader() {
        topics = new TopicReader(KafkaBrokerTestResource.bootstrapServers());
        FakeChangedPaths.set(List.of("packer/sources-aws.pkr.hcl"));
    }

    @Test
    void openedPullRequestPublishesABuildRequestBeforeAnswering() throws Exception {
        // Warm-up (class loading, first metadata fetch), then a timed delivery: GitHub waits at most 10 s, we aim at 1.
        byte[] first = GithubPayloads.bytes("pull_request.opened.json");
        post("pull_request", UUID.randomUUID().toString(), first, WebhookSignature.sign(SECRET, first));
        String delivery = UUID.randomUUID().toString();
        long t0 = System.nanoTime();
        var response = post("pull_request", delivery, GithubPayloads.bytes("pull_request.opened.json"),
                WebhookSignature.sign(SECRET, GithubPayloads.bytes("pull_request.opened.json")));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(took).isLessThan(Duration.ofSeconds(1));
        String id = EventIds.derived(delivery, "build.requested/aws");
        assertThat(json.readTree(response.body()).path("events").get(0).path("id").asText()).isEqualTo(id);
        // Already on the broker when the answer came: no waiting needed beyond one read.
        var records = topics.withId("build.requested", id, Duration.ofSeconds(5), 1);
        assertThat(records).hasSize(1);
        var event = codec.decode(BuildRequested.class, records.get(0).headers(), records.get(0).value());
        assertThat(records.get(0).key()).isEqualTo("pr-2-ec26c3e-aws");
        assertThat(event.data().cloud()).isEqualTo(Cloud.AWS);
        assertThat(event.attributes().source()).hasToString("/cib/git-hook-bridge");
    }

    @Test
    void synchronizeOnSharedFilesRequestsEveryCloudWithThePreviousSecret() throws Exception {
        FakeChangedPaths.set(List.of("packer/installer/first-boot.sh"));
        String delivery = UUID.randomUUID().toString();
        byte[] body = GithubPayloads.bytes("pull_request.synchronize.json");
        var response = post("pull_request", delivery, body, WebhookSignature.sign(PREVIOUS_SECRET, body));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        for (Cloud cloud : Cloud.values()) {
            assertThat(topics.withId("build.requested", EventIds.derived(delivery, "build.requested/"
                    + cloud.wireName()), Duration.ofSeconds(5), 1)).hasSize(1);
        }
    }

    @Test
    void releaseTagPushPublishesReleaseTagged() throws Exception {
        String delivery = UUID.randomUUID().toString();
        byte[] body = GithubPayloads.tagPush("v1.9.0-1");
        var response = post("push", delivery, body, WebhookSignature.sign(SECRET, body));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        var records = topics.withId("release.tagged", EventIds.derived(delivery, "release.tagged"),
                Duration.ofSeconds(5), 1);
        ReleaseTagged data = codec.decode(ReleaseTagged.class, records.get(0).headers(), records.get(0).value())
                .data();
        assertThat(data.releaseTag()).isEqualTo("v1.9.0-1");
        assertThat(data.kubevirtVersion()).isEqualTo("v1.9.0");
        assertThat(data.gitCommit()).isEqualTo(GithubPayloads.TAGGED_COMMIT);
    }

    @Test
    void aRepeatedDeliveryAddsNoNewEvent() throws Exception {
        String delivery = UUID.randomUUID().toString();
        byte[] body = GithubPayloads.bytes("pull_request.reopened.json");
        var first = post("pull_request", delivery, body, WebhookSignature.sign(SECRET, body));
        var again = post("pull_request", delivery, body, WebhookSignature.sign(SECRET, body));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(again.statusCode()).isEqualTo(200);
        JsonNode a = json.readTree(first.body()).path("events");
        JsonNode b = json.readTree(again.body()).path("events");
        assertThat(b).isEqualTo(a);
        // Whatever records the broker holds for this delivery, they are one event: one id, consumers skip repeats.
        var ids = topics.all("build.requested", Duration.ofSeconds(2)).stream()
                .filter(r -> r.key().equals("pr-2-ec26c3e-aws"))
                .map(r -> r.headers().get("ce_id"))
                .filter(id -> id.equals(a.get(0).path("id").asText()))
                .distinct().toList();
        assertThat(ids).hasSize(1);
    }

    @Test
    void wrongMissingAndRotatedOutSignaturesAreRefusedWithoutEvents() throws Exception {
        byte[] body = GithubPayloads.bytes("pull_request.opened.json");
        String wrong = UUID.randomUUID().toString();
        String missing = UUID.randomUUID().toString();
        String retired = UUID.randomUUID().toString();
        String tampered = UUID.randomUUID().toString();

        assertThat(post("pull_request", wrong, body, "sha256=" + "0".repeat(64)).statusCode()).isEqualTo(401);
        assertThat(post("pull_request", missing, body, null).statusCode()).isEqualTo(401);
        assertThat(post("pull_request", retired, body, WebhookSignature.sign(RETIRED_SECRET, body)).statusCode())
                .isEqualTo(401);
        byte[] other = GithubPayloads.bytes("pull_request.synchronize.json");
        assertThat(post("pull_request", tampered, other, WebhookSignature.sign(SECRET, body)).statusCode())
                .isEqualTo(401);

        var seen = topics.all("build.requested", Duration.ofSeconds(2)).stream()
                .map(r -> r.headers().get("ce_id")).toList();
        for (String delivery : List.of(wrong, missing, retired, tampered)) {
            assertThat(seen).doesNotContain(EventIds.derived(delivery, "build.requested/aws"),
                    EventIds.derived(delivery, "build.requested/gcp"));
        }
    }

    @Test
    void pingIsAnsweredOtherEventsAccepted() throws Exception {
        byte[] ping = GithubPayloads.bytes("ping.json");
        var pong = post("ping", UUID.randomUUID().toString(), ping, WebhookSignature.sign(SECRET, ping));
        assertThat(pong.statusCode()).isEqualTo(200);
        assertThat(json.readTree(pong.body()).path("outcome").asText()).isEqualTo("pong");

        byte[] closed = GithubPayloads.bytes("pull_request.closed.json");
        assertThat(post("pull_request", UUID.randomUUID().toString(), closed, WebhookSignature.sign(SECRET, closed))
                .statusCode()).isEqualTo(202);
        byte[] branch = GithubPayloads.bytes("push.branch.json");
        assertThat(post("push", UUID.randomUUID().toString(), branch, WebhookSignature.sign(SECRET, branch))
                .statusCode()).isEqualTo(202);
        byte[] issue = "{\"action\":\"opened\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(post("issues", UUID.randomUUID().toString(), issue, WebhookSignature.sign(SECRET, issue))
                .statusCode()).isEqualTo(202);
    }

    @Test
    void malformedWrongTypeAndOversizedAreRefusedWithAReason() throws Exception {
        String malformedDelivery = UUID.randomUUID().toString();
        byte[] malformed = "{\"action\": \"opened\",".getBytes(StandardCharsets.UTF_8);
        var bad = post("pull_request", malformedDelivery, malformed, WebhookSignature.sign(SECRET, malformed));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json.readTree(bad.body()).path("reason").asText()).contains("not JSON");

        byte[] body = GithubPayloads.bytes("pull_request.opened.json");
        String formDelivery = UUID.randomUUID().toString();
        var form = send(request("pull_request", formDelivery, body, WebhookSignature.sign(SECRET, body))
                .header("Content-Type", "application/x-www-form-urlencoded"));
        assertThat(form.statusCode()).isEqualTo(400);
        assertThat(json.readTree(form.body()).path("reason").asText()).contains("application/json");

        String bigDelivery = UUID.randomUUID().toString();
        byte[] big = ("{\"pad\":\"" + "x".repeat(1_100_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        var oversized = post("pull_request", bigDelivery, big, WebhookSignature.sign(SECRET, big));
        assertThat(oversized.statusCode()).isEqualTo(400);
        assertThat(json.readTree(oversized.body()).path("reason").asText()).contains("larger than");

        var seen = topics.all("build.requested", Duration.ofSeconds(2)).stream()
                .map(r -> r.headers().get("ce_id")).toList();
        for (String delivery : List.of(malformedDelivery, formDelivery, bigDelivery)) {
            assertThat(seen).doesNotContain(EventIds.derived(delivery, "build.requested/aws"));
        }
    }

    @Test
    void aPreReleaseTagIsPublished() throws Exception {
        byte[] body = GithubPayloads.tagPush("v1.9.0-rc.1");
        var response = post("push", UUID.randomUUID().toString(), body, WebhookSignature.sign(SECRET, body));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private HttpResponse<String> post(String event, String delivery, byte[] body, String signature)
            throws Exception {
        return send(request(event, delivery, body, signature).header("Content-Type", "application/json"));
    }

    private HttpRequest.Builder request(String event, String delivery, byte[] body, String signature) {
        HttpRequest.Builder b = HttpRequest.newBuilder(hook).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", delivery)
                .header("User-Agent", "GitHub-Hookshot/test");
        if (signature != null) {
            b.header("X-Hub-Signature-256", signature);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
