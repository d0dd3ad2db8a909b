package io.kubevirt.cib.gcp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fake's wire format, checked with a plain HTTP client against the Compute v1 REST reference (field names,
 * status codes, error bodies), independently of the google-cloud-compute client that the adapter tests use.
 */
class LocalComputeServerTest {

    private static final String P = "/compute/v1/projects/p";
    private static final String ZONE = P + "/zones/us-central1-b";
    private static final String UUID_1 = "8c6e2f7a-1f2b-4c3d-9e8f-0a1b2c3d4e5f";

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalComputeServer server;

    @BeforeEach
    void start() {
        server = LocalComputeServer.start();
        server.seedImage("p", "img", Map.of("cib-build-id", "b-1"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void imagesUseTheApiFieldNames() throws Exception {
        JsonObject image = ok("GET", P + "/global/images/img", null);

        assertThat(image.get("kind").getAsString()).isEqualTo("compute#image");
        assertThat(image.get("id").getAsJsonPrimitive().isString()).as("uint64 ids are JSON strings").isTrue();
        assertThat(image.get("status").getAsString()).isEqualTo("READY");
        assertThat(image.getAsJsonObject("labels").get("cib-build-id").getAsString()).isEqualTo("b-1");
        assertThat(image.get("labelFingerprint").getAsString()).isNotEmpty();
        assertThat(image.get("selfLink").getAsString())
                .isEqualTo("https://www.googleapis.com/compute/v1/projects/p/global/images/img");

        JsonObject list = ok("GET", P + "/global/images?filter=" + enc("labels.cib-build-id = \"b-1\""), null);
        assertThat(list.get("kind").getAsString()).isEqualTo("compute#imageList");
        assertThat(list.getAsJsonArray("items")).hasSize(1);
        assertThat(ok("GET", P + "/global/images?filter=" + enc("labels.cib-build-id = \"b-2\""), null).has("items"))
                .as("an empty list has no items field").isFalse();
    }

    @Test
    void errorsHaveGooglesErrorBody() throws Exception {
        HttpResponse<String> missing = send("GET", P + "/global/images/nope", null);

        assertThat(missing.statusCode()).isEqualTo(404);
        JsonObject error = JsonParser.parseString(missing.body()).getAsJsonObject().getAsJsonObject("error");
        assertThat(error.get("code").getAsInt()).isEqualTo(404);
        assertThat(error.get("message").getAsString()).isEqualTo("The resource 'projects/p/global/images/nope' was not found");
        JsonObject first = error.getAsJsonArray("errors").get(0).getAsJsonObject();
        assertThat(first.get("reason").getAsString()).isEqualTo("notFound");
        assertThat(first.get("domain").getAsString()).isEqualTo("global");
        // An unimplemented call is loud, never a 404 that an adapter would read as "gone".
        assertThat(send("GET", P + "/global/snapshots/x", null).statusCode()).isEqualTo(400);
    }

    @Test
    void setLabelsNeedsTheCurrentFingerprintAndReplacesAllLabels() throws Exception {
        String fingerprint = ok("GET", P + "/global/images/img", null).get("labelFingerprint").getAsString();

        HttpResponse<String> stale = send("POST", P + "/global/images/img/setLabels",
                "{\"labels\":{\"a\":\"1\"},\"labelFingerprint\":\"c3RhbGU=\"}");
        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(stale.body()).contains("conditionNotMet");

        JsonObject op = ok("POST", P + "/global/images/img/setLabels",
                "{\"labels\":{\"a\":\"1\"},\"labelFingerprint\":\"" + fingerprint + "\"}");
        assertThat(op.get("kind").getAsString()).isEqualTo("compute#operation");
        assertThat(op.get("status").getAsString()).isEqualTo("DONE");
        assertThat(op.get("operationType").getAsString()).isEqualTo("setLabels");
        JsonObject image = ok("GET", P + "/global/images/img", null);
        assertThat(image.getAsJsonObject("labels").keySet()).containsExactly("a");
        assertThat(image.get("labelFingerprint").getAsString()).isNotEqualTo(fingerprint);

        HttpResponse<String> invalid = send("POST", P + "/global/images/img/setLabels",
                "{\"labels\":{\"v\":\"v1.8.2\"},\"labelFingerprint\":\""
                        + image.get("labelFingerprint").getAsString() + "\"}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).contains("\"reason\":\"invalid\"").contains("violates format constraints");
    }

    @Test
    void insertIsDeduplicatedByRequestIdAndRefusedForAnExistingName() throws Exception {
        String body = instanceJson("vm-1");

        JsonObject first = ok("POST", ZONE + "/instances?requestId=" + UUID_1, body);
        JsonObject repeat = ok("POST", ZONE + "/instances?requestId=" + UUID_1, body);
        HttpResponse<String> other = send("POST", ZONE + "/instances?requestId=" + java.util.UUID.randomUUID(), body);

        assertThat(repeat.get("name").getAsString()).isEqualTo(first.get("name").getAsString());
        assertThat(first.get("zone").getAsString()).endsWith("/projects/p/zones/us-central1-b");
        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(other.body()).contains("alreadyExists");
        assertThat(server.instancesCreated()).isEqualTo(1);
        assertThat(server.instanceInsertRequests()).isEqualTo(3);
        assertThat(send("POST", ZONE + "/instances?requestId=not-a-uuid", instanceJson("vm-2")).statusCode())
                .isEqualTo(400);
        assertThat(send("POST", ZONE + "/instances", "{\"name\":\"vm-3\",\"bogusField\":1}").statusCode())
                .as("unknown fields are refused").isEqualTo(400);
        assertThat(send("POST", P + "/zones/us-central1/instances", instanceJson("vm-4")).statusCode())
                .as("a region is not a zone").isEqualTo(400);
    }

    @Test
    void instancesHaveAddressesDisksAndFilters() throws Exception {
        ok("POST", ZONE + "/instances", instanceJson("vm-1"));
        server.seedInstance("p", "us-central1-b", "vm-2", Map.of("cib-phase", "build"));
        server.setInstanceStatus("p", "us-central1-b", "vm-2", "TERMINATED");

        JsonObject vm = ok("GET", ZONE + "/instances/vm-1", null);
        JsonObject nic = vm.getAsJsonArray("networkInterfaces").get(0).getAsJsonObject();
        assertThat(nic.get("networkIP").getAsString()).startsWith("10.128.0.");
        assertThat(nic.getAsJsonArray("accessConfigs").get(0).getAsJsonObject().get("natIP").getAsString())
                .startsWith("34.");
        JsonObject disk = vm.getAsJsonArray("disks").get(0).getAsJsonObject();
        assertThat(disk.get("diskSizeGb").getAsString()).isEqualTo("20");
        assertThat(disk.has("initializeParams")).isFalse();
        assertThat(vm.get("machineType").getAsString())
                .isEqualTo("https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-b/machineTypes/e2-small");

        assertThat(ok("GET", ZONE + "/instances?filter=" + enc("(status != \"TERMINATED\")"), null)
                .getAsJsonArray("items")).hasSize(1);
        assertThat(ok("GET", ZONE + "/instances?filter=" + enc("name eq vm-.*"), null)
                .getAsJsonArray("items")).hasSize(2);
        assertThat(send("GET", ZONE + "/instances?filter=" + enc("(name = \"a\") OR (name = \"b\")"), null)
                .statusCode()).isEqualTo(400);
    }

    @Test
    void guestAttributesAndSerialOutputShapes() throws Exception {
        ok("POST", ZONE + "/instances", instanceJson("vm-1"));
        String path = ZONE + "/instances/vm-1/getGuestAttributes?queryPath=" + enc("hostkeys/");
        assertThat(send("GET", path, null).statusCode()).as("nothing published yet").isEqualTo(404);

        server.publishHostKeys("p", "us-central1-b", "vm-1", Map.of("ssh-ed25519", "AAAAC3Nz"));
        JsonObject attributes = ok("GET", path, null);
        assertThat(attributes.get("queryPath").getAsString()).isEqualTo("hostkeys/");
        JsonObject item = attributes.getAsJsonObject("queryValue").getAsJsonArray("items").get(0).getAsJsonObject();
        assertThat(item.get("namespace").getAsString()).isEqualTo("hostkeys");
        assertThat(item.get("key").getAsString()).isEqualTo("ssh-ed25519");
        assertThat(item.get("value").getAsString()).isEqualTo("AAAAC3Nz");

        server.appendSerialOutput("p", "us-central1-b", "vm-1", "hello\n");
        JsonObject serial = ok("GET", ZONE + "/instances/vm-1/serialPort?port=1", null);
        assertThat(serial.get("kind").getAsString()).isEqualTo("compute#serialPortOutput");
        assertThat(serial.get("contents").getAsString()).isEqualTo("hello\n");
        assertThat(serial.get("next").getAsString()).isEqualTo("6");
    }

    @Test
    void guestAttributesNeedTheMetadataFlag() throws Exception {
        ok("POST", ZONE + "/instances", instanceJson("vm-1").replace("TRUE", "FALSE"));

        assertThatThrownBy(() -> server.publishHostKeys("p", "us-central1-b", "vm-1", Map.of("ssh-rsa", "AAAA")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("enable-guest-attributes");
    }

    @Test
    void delayedOperationsRunThenFinishAndCanBeWaitedFor() throws Exception {
        // Long enough that the GET below still sees the instance provisioning on a loaded machine.
        server.setOperationDelay(Duration.ofSeconds(3));
        JsonObject op = ok("POST", ZONE + "/instances", instanceJson("vm-1"));
        assertThat(op.get("status").getAsString()).isEqualTo("RUNNING");
        assertThat(ok("GET", ZONE + "/instances/vm-1", null).get("status").getAsString()).isEqualTo("PROVISIONING");

        JsonObject done = ok("POST", ZONE + "/operations/" + op.get("name").getAsString() + "/wait", "");

        assertThat(done.get("status").getAsString()).isEqualTo("DONE");
        assertThat(done.get("progress").getAsInt()).isEqualTo(100);
        assertThat(ok("GET", ZONE + "/instances/vm-1", null).get("status").getAsString()).isEqualTo("RUNNING");
    }

    @Test
    void aFailedOperationCarriesTheErrorBlock() throws Exception {
        server.failNextOperation(LocalComputeServer.OperationFailure.withHttpStatus("QUOTA_EXCEEDED",
                "Quota 'CPUS' exceeded.", 403, "FORBIDDEN"));

        JsonObject op = ok("POST", ZONE + "/instances", instanceJson("vm-1"));

        assertThat(op.get("status").getAsString()).isEqualTo("DONE");
        JsonObject error = op.getAsJsonObject("error").getAsJsonArray("errors").get(0).getAsJsonObject();
        assertThat(error.get("code").getAsString()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(op.get("httpErrorStatusCode").getAsInt()).isEqualTo(403);
        assertThat(op.get("httpErrorMessage").getAsString()).isEqualTo("FORBIDDEN");
        assertThat(send("GET", ZONE + "/instances/vm-1", null).statusCode()).isEqualTo(404);
    }

    @Test
    void injectedHttpErrorsHitOnlyMatchingRequestsAndRunOut() throws Exception {
        server.failNextRequests(2, 429, "GET", "/global/images/img$");

        assertThat(send("GET", P + "/global/images", null).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = send("GET", P + "/global/images/img", null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("rateLimitExceeded");
        assertThat(send("GET", P + "/global/images/img", null).statusCode()).isEqualTo(429);
        assertThat(send("GET", P + "/global/images/img", null).statusCode()).isEqualTo(200);
    }

    @Test
    void imagePoliciesRefuseAllUsersAndAStaleEtag() throws Exception {
        JsonObject policy = ok("GET", P + "/global/images/img/getIamPolicy", null);
        String etag = policy.get("etag").getAsString();
        String allUsers = "{\"policy\":{\"etag\":\"" + etag + "\",\"bindings\":[{\"role\":"
                + "\"roles/compute.imageUser\",\"members\":[\"allUsers\"]}]}}";
        assertThat(send("POST", P + "/global/images/img/setIamPolicy", allUsers).statusCode()).isEqualTo(400);

        JsonObject set = ok("POST", P + "/global/images/img/setIamPolicy", allUsers.replace("allUsers",
                "allAuthenticatedUsers"));
        assertThat(set.getAsJsonArray("bindings").get(0).getAsJsonObject().getAsJsonArray("members").get(0)
                .getAsString()).isEqualTo("allAuthenticatedUsers");
        assertThat(send("POST", P + "/global/images/img/setIamPolicy", allUsers.replace("allUsers",
                "allAuthenticatedUsers")).statusCode()).as("the etag read before the change is stale").isEqualTo(412);
    }

    @Test
    void aFamilyResolvesToItsNewestImageThatIsNotDeprecated() throws Exception {
        ok("POST", P + "/global/images", "{\"name\":\"v1\",\"family\":\"fam\",\"sourceImage\":\"global/images/img\"}");
        ok("POST", P + "/global/images", "{\"name\":\"v2\",\"family\":\"fam\",\"sourceImage\":"
                + "\"projects/p/global/images/img\"}");
        assertThat(ok("GET", P + "/global/images/family/fam", null).get("name").getAsString()).isEqualTo("v2");

        ok("POST", P + "/global/images/v2/deprecate", "{\"state\":\"DEPRECATED\"}");
        assertThat(ok("GET", P + "/global/images/family/fam", null).get("name").getAsString()).isEqualTo("v1");
        assertThat(ok("GET", P + "/global/images/v2", null).getAsJsonObject("deprecated").get("state")
                .getAsString()).isEqualTo("DEPRECATED");

        ok("POST", P + "/global/images/v2/deprecate", "{}");
        assertThat(ok("GET", P + "/global/images/family/fam", null).get("name").getAsString()).isEqualTo("v2");
        assertThat(send("GET", P + "/global/images/family/other", null).statusCode()).isEqualTo(404);
        assertThat(send("POST", P + "/global/images", "{\"name\":\"v3\",\"sourceImage\":\"global/images/img\","
                + "\"deprecated\":{\"state\":\"DEPRECATED\"}}").statusCode())
                .as("deprecated is output only on insert").isEqualTo(400);
        assertThat(server.imageCalls()).containsExactly("insert v1", "insert v2", "deprecate v2 DEPRECATED",
                "deprecate v2 ACTIVE");
    }

    @Test
    void zonesAndDisksAreListedPagedAndDeleted() throws Exception {
        server.setZones(List.of("us-central1-b", "europe-west4-a"));
        JsonObject zones = ok("GET", P + "/zones?maxResults=1", null);
        assertThat(zones.get("kind").getAsString()).isEqualTo("compute#zoneList");
        assertThat(zones.getAsJsonArray("items")).hasSize(1);
        assertThat(zones.get("nextPageToken").getAsString()).isEqualTo("1");

        server.seedDisk("p", "us-central1-b", "d-1", Map.of("cib-phase", "build"));
        server.seedDisk("p", "us-central1-b", "d-2", Map.of());
        JsonObject disks = ok("GET", ZONE + "/disks?filter=" + enc("labels.cib-phase:*"), null);
        assertThat(disks.getAsJsonArray("items")).hasSize(1);
        assertThat(disks.getAsJsonArray("items").get(0).getAsJsonObject().get("name").getAsString()).isEqualTo("d-1");

        assertThat(ok("DELETE", ZONE + "/disks/d-1", null).get("status").getAsString()).isEqualTo("DONE");
        assertThat(send("DELETE", ZONE + "/disks/d-1", null).statusCode()).isEqualTo(404);
    }

    @Test
    void cloudBuildAnswersOperationsAndListsByTag() throws Exception {
        String build = "{\"steps\":[{\"name\":\"gcr.io/compute-image-tools/gce_vm_image_export:release\","
                + "\"args\":[\"-source_image=projects/p/global/images/img\","
                + "\"-destination_uri=gs://b/img.tar.gz\"]}],\"tags\":[\"t-1\"]}";
        JsonObject op = ok("POST", "/v1/projects/p/builds", build);
        assertThat(op.get("name").getAsString()).startsWith("operations/build/p/");
        assertThat(op.getAsJsonObject("metadata").get("@type").getAsString())
                .isEqualTo("type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata");
        JsonObject polled = ok("GET", "/v1/" + op.get("name").getAsString(), null);
        assertThat(polled.get("done").getAsBoolean()).isTrue();
        assertThat(polled.getAsJsonObject("response").get("status").getAsString()).isEqualTo("SUCCESS");

        assertThat(ok("GET", "/v1/projects/p/builds?filter=" + enc("tags=\"t-1\""), null).getAsJsonArray("builds"))
                .hasSize(1);
        assertThat(ok("GET", "/v1/projects/p/builds?filter=" + enc("tags=\"t-2\""), null).has("builds")).isFalse();
        assertThat(server.cloudBuild().exportedObjects()).containsEntry("gs://b/img.tar.gz",
                "projects/p/global/images/img");
    }

    private static String instanceJson(String name) {
        return "{\"name\":\"" + name + "\",\"machineType\":\"zones/us-central1-b/machineTypes/e2-small\","
                + "\"labels\":{\"cib-phase\":\"verify\"},"
                + "\"disks\":[{\"boot\":true,\"autoDelete\":true,\"initializeParams\":{"
                + "\"sourceImage\":\"projects/p/global/images/img\",\"diskSizeGb\":\"20\"}}],"
                + "\"networkInterfaces\":[{\"accessConfigs\":[{\"name\":\"External NAT\",\"type\":\"ONE_TO_ONE_NAT\"}]}],"
                + "\"metadata\":{\"items\":[{\"key\":\"enable-guest-attributes\",\"value\":\"TRUE\"}]}}";
    }

    private JsonObject ok(String method, String path, String body) throws Exception {
        HttpResponse<String> response = send(method, path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.endpoint() + path))
                .method(method, publisher)
                .header("Content-Type", "application/json")
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String text) {
        return java.net.URLEncoder.encode(text, java.nio.charset.StandardCharsets.UTF_8);
    }
}
