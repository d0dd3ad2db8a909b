package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.compute.v1.Image;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.gcp.testing.GceFixture;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.kubevirt.cib.gcp.testing.LocalComputeServer.OperationFailure;
import io.kubevirt.cib.gcp.testing.LocalComputeServer.RecordedRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GCE-specific behaviour of {@link GceCloud} against the {@link LocalComputeServer}: what goes over the wire. */
class GceCloudTest {

    static final String PROJECT = "cib-gce";
    static final String ZONE = "us-central1-b";
    static final String IMAGE = "cib-base";
    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLEexampleEXAMPLEexampleEXAMPLEexample cib";

    private static LocalComputeServer server;
    private GceCloud cloud;

    @BeforeAll
    static void startServer() {
        server = LocalComputeServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void setUp() {
        server.reset();
        server.seedImage(PROJECT, IMAGE, Map.of());
        cloud = new GceCloud(GceFixture.clients(server, PROJECT));
    }

    @AfterEach
    void tearDown() {
        cloud.close();
    }

    // ---- launch: idempotency and what the insert carries ---------------------------------------------------------

    @Test
    void aSecondLaunchWithTheSameTokenReturnsTheSameInstance() {
        LaunchSpec spec = spec("tok-" + UUID.randomUUID(), false);

        CloudInstance first = cloud.launch(spec);
        CloudInstance second = cloud.launch(spec);

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(server.instancesCreated()).isEqualTo(1);
        List<RecordedRequest> inserts = server.requests("POST", "/zones/" + ZONE + "/instances$");
        assertThat(inserts).hasSize(2);
        // Same requestId both times: GCE answers the repeat with the first operation instead of inserting again.
        assertThat(inserts).extracting(r -> r.param("requestId").orElseThrow())
                .containsOnly(GceCloud.requestId(spec.idempotencyToken()));
        assertThat(cloud.findInstances(ZONE, spec.tags())).extracting(CloudInstance::id).containsExactly(first.id());
    }

    @Test
    void afterGceForgotTheRequestIdTheNameStillPreventsASecondInstance() {
        LaunchSpec spec = spec("tok-" + UUID.randomUUID(), false);
        CloudInstance first = cloud.launch(spec);
        server.forgetRequestIds();

        CloudInstance again = cloud.launch(spec);

        assertThat(again.id()).isEqualTo(first.id());
        assertThat(server.instancesCreated()).isEqualTo(1);
        assertThat(server.instances(PROJECT)).hasSize(1);
    }

    @Test
    void differentTokensGiveDifferentInstances() {
        CloudInstance a = cloud.launch(spec("tok-a", false));
        CloudInstance b = cloud.launch(spec("tok-b", false));

        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(server.instancesCreated()).isEqualTo(2);
    }

    @Test
    void aNameTakenByAnotherLaunchIsNotMistakenForThisOne() {
        String token = "tok-" + UUID.randomUUID();
        server.seedInstance(PROJECT, ZONE, GceCloud.instanceName(token), Map.of("owner", "someone-else"));

        assertThatThrownBy(() -> cloud.launch(spec(token, false)))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("does not carry this launch's labels")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
    }

    @Test
    void theInsertCarriesSshKeysGuestAttributesLabelsTagsAndNestedVirtualization() {
        Map<String, String> tags = new LinkedHashMap<>(ResourceTags.forRequest("b-42", "req-1", ResourceTags.Phase.VERIFY));
        tags.put(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");
        LaunchSpec spec = new LaunchSpec(ZONE, IMAGE, "n2-standard-8", 40, Optional.of("cib-subnet"),
                List.of("cib-ssh"), "cib", KEY + "\n", tags, "tok-nested", true);

        CloudInstance launched = cloud.launch(spec);

        RecordedRequest insert = server.requests("POST", "/zones/" + ZONE + "/instances$").get(0);
        JsonObject body = JsonParser.parseString(insert.body()).getAsJsonObject();
        assertThat(body.get("name").getAsString()).isEqualTo(GceCloud.instanceName("tok-nested")).isEqualTo(launched.id());
        assertThat(body.get("machineType").getAsString()).isEqualTo("zones/us-central1-b/machineTypes/n2-standard-8");
        assertThat(metadata(body)).containsEntry("ssh-keys", "cib:" + KEY)
                .containsEntry("enable-guest-attributes", "TRUE")
                .containsEntry("enable-oslogin", "FALSE");
        JsonObject labels = body.getAsJsonObject("labels");
        assertThat(labels.get(ResourceTags.BUILD_ID).getAsString()).isEqualTo("b-42");
        assertThat(labels.get(ResourceTags.PHASE).getAsString()).isEqualTo("verify");
        assertThat(labels.get(ResourceTags.KUBEVIRT_VERSION).getAsString()).isEqualTo("v1_2e8_2e2");
        assertThat(body.getAsJsonObject("advancedMachineFeatures").get("enableNestedVirtualization").getAsBoolean())
                .isTrue();
        assertThat(body.getAsJsonObject("tags").getAsJsonArray("items").get(0).getAsString()).isEqualTo("cib-ssh");
        JsonObject disk = body.getAsJsonArray("disks").get(0).getAsJsonObject();
        assertThat(disk.get("boot").getAsBoolean()).isTrue();
        assertThat(disk.get("autoDelete").getAsBoolean()).isTrue();
        JsonObject init = disk.getAsJsonObject("initializeParams");
        assertThat(init.get("sourceImage").getAsString()).isEqualTo("projects/cib-gce/global/images/cib-base");
        assertThat(init.get("diskSizeGb").getAsString()).isEqualTo("40");
        assertThat(init.getAsJsonObject("labels").get(ResourceTags.BUILD_ID).getAsString()).isEqualTo("b-42");
        JsonObject nic = body.getAsJsonArray("networkInterfaces").get(0).getAsJsonObject();
        assertThat(nic.get("subnetwork").getAsString()).isEqualTo("regions/us-central1/subnetworks/cib-subnet");
        assertThat(nic.getAsJsonArray("accessConfigs").get(0).getAsJsonObject().get("type").getAsString())
                .isEqualTo("ONE_TO_ONE_NAT");

        // What comes back: tags decoded, public address, running.
        assertThat(launched.tags()).containsAllEntriesOf(tags);
        assertThat(launched.address()).hasValueSatisfying(ip -> assertThat(ip).startsWith("34."));
        assertThat(launched.state()).isEqualTo(CloudInstance.State.RUNNING);
    }

    @Test
    void withoutNestedVirtualizationOrExternalIpTheInsertSaysNothingAboutThem() {
        cloud.close();
        cloud = new GceCloud(GceFixture.clients(server, PROJECT), false);

        CloudInstance launched = cloud.launch(spec("tok-plain", false));

        JsonObject body = JsonParser.parseString(
                server.requests("POST", "/instances$").get(0).body()).getAsJsonObject();
        assertThat(body.has("advancedMachineFeatures")).isFalse();
        assertThat(body.has("tags")).isFalse();
        assertThat(body.getAsJsonArray("networkInterfaces").get(0).getAsJsonObject().has("accessConfigs")).isFalse();
        // No external IP: the address is the internal one.
        assertThat(launched.address()).hasValueSatisfying(ip -> assertThat(ip).startsWith("10.128."));
    }

    @Test
    void instanceNamesAreValidGceNamesAndStablePerToken() {
        for (String token : List.of("tok-1", "TOK_1", "---", "a".repeat(64), "Ünïcödé/token with spaces", "9abc")) {
            String name = GceCloud.instanceName(token);
            assertThat(name).matches("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?").isEqualTo(GceCloud.instanceName(token));
        }
        assertThat(GceCloud.instanceName("tok-1")).isNotEqualTo(GceCloud.instanceName("TOK_1"));
        assertThat(GceCloud.requestId("tok-1")).isEqualTo(GceCloud.requestId("tok-1"))
                .isNotEqualTo(GceCloud.requestId("tok-2"));
        assertThat(UUID.fromString(GceCloud.requestId("tok-1")).version()).isEqualTo(3);
    }

    // ---- operations: polling, errors, budget ---------------------------------------------------------------------

    @Test
    void aSlowOperationIsPolledUntilDone() {
        server.setOperationDelay(Duration.ofMillis(300));

        CloudInstance launched = cloud.launch(spec("tok-slow", false));

        assertThat(launched.state()).isEqualTo(CloudInstance.State.RUNNING);
        assertThat(server.requests("GET", "/zones/" + ZONE + "/operations/operation-")).isNotEmpty();
    }

    @Test
    void anOperationDoneWithAnErrorBlockIsACloudException() {
        server.failNextOperation(OperationFailure.of("QUOTA_EXCEEDED", "Quota 'CPUS' exceeded. Limit: 8.0"));

        assertThatThrownBy(() -> cloud.launch(spec("tok-quota", false)))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("instances.insert")
                .hasMessageContaining("QUOTA_EXCEEDED: Quota 'CPUS' exceeded")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
        assertThat(server.instances(PROJECT)).isEmpty();
    }

    @Test
    void anOperationErrorWithAnHttpStatusKeepsGcesErrorCodes() {
        // With httpErrorStatusCode set the client fails the future itself; the error codes must survive that.
        server.failNextOperation(OperationFailure.withHttpStatus("ZONE_RESOURCE_POOL_EXHAUSTED",
                "The zone does not have enough resources", 503, "SERVICE UNAVAILABLE"));

        assertThatThrownBy(() -> cloud.launch(spec("tok-stockout", false)))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("ZONE_RESOURCE_POOL_EXHAUSTED")
                .hasMessageContaining("HTTP 503")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());
    }

    @Test
    void aFailedDeleteOperationIsReported() {
        server.seedImage(PROJECT, "doomed", Map.of());
        server.failNextOperation(OperationFailure.withHttpStatus("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                "The image resource is already being used", 400, "BAD REQUEST"));

        assertThatThrownBy(() -> cloud.deleteImage(ZONE, "doomed"))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE");
        assertThat(server.image(PROJECT, "doomed")).hasValueSatisfying(i -> assertThat(i.getStatus()).isEqualTo("READY"));
    }

    @Test
    void anOperationThatOutlastsTheBudgetIsRetryableAndTheRetryFindsTheInstance() {
        cloud.close();
        cloud = new GceCloud(GceClients.create(PROJECT, Optional.of(server.endpointUri()),
                new GceClients.OperationPolling(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(200)),
                GceFixture.TEST_RETRY));
        server.setOperationDelay(Duration.ofMillis(1000));
        LaunchSpec spec = spec("tok-budget", false);

        long started = System.nanoTime();
        assertThatThrownBy(() -> cloud.launch(spec))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("did not finish within")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(900));

        assertThat(server.instance(PROJECT, ZONE, GceCloud.instanceName("tok-budget")))
                .hasValueSatisfying(i -> assertThat(i.getStatus()).isEqualTo("PROVISIONING"));
        // A retry with the same token (and a budget that suffices) waits for the same operation: no second instance.
        CloudInstance retried;
        try (GceCloud patient = new GceCloud(GceFixture.clients(server, PROJECT))) {
            retried = patient.launch(spec);
        }
        assertThat(retried.id()).isEqualTo(GceCloud.instanceName("tok-budget"));
        assertThat(server.instancesCreated()).isEqualTo(1);
    }

    // ---- HTTP errors and retries --------------------------------------------------------------------------------

    @Test
    void a503OnAReadIsRetriedByTheClient() {
        String id = server.seedInstance(PROJECT, ZONE, "vm-1", Map.of()).getName();
        server.failNextRequests(2, 503, "GET", "/instances/vm-1$");

        assertThat(cloud.describe(ZONE, id)).isPresent();
        assertThat(server.requests("GET", "/instances/vm-1$")).hasSize(3);
    }

    @Test
    void a503OnInsertIsRetriedWithTheSameRequestId() {
        server.failNextRequests(1, 503, "POST", "/instances$");

        CloudInstance launched = cloud.launch(spec("tok-503", false));

        assertThat(launched.state()).isEqualTo(CloudInstance.State.RUNNING);
        assertThat(server.requests("POST", "/instances$")).hasSize(2)
                .extracting(r -> r.param("requestId").orElseThrow()).containsOnly(GceCloud.requestId("tok-503"));
        assertThat(server.instancesCreated()).isEqualTo(1);
    }

    @Test
    void a429OnListIsRetried() {
        server.seedImage(PROJECT, "img-429", Map.of(ResourceTags.BUILD_ID, "b-429"));
        server.failNextRequests(1, 429, "GET", "/global/images$");

        assertThat(cloud.findImages(ZONE, Map.of(ResourceTags.BUILD_ID, "b-429"))).hasSize(1);
    }

    @Test
    void a503ThatOutlastsTheRetriesIsAReportedRetryableCloudException() {
        server.failNextRequests(1000, 503, "GET", "/instances/vm-x$");
        cloud.close();
        cloud = new GceCloud(GceClients.create(PROJECT, Optional.of(server.endpointUri()), GceFixture.TEST_POLLING,
                new GceClients.CallRetry(Duration.ofSeconds(1), Duration.ofMillis(800), Duration.ofMillis(20),
                        Duration.ofMillis(100))));

        long started = System.nanoTime();
        // gax gives its last attempt only the time left, so a persistent 503 usually ends as its own DEADLINE_EXCEEDED.
        assertThatThrownBy(() -> cloud.describe(ZONE, "vm-x"))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("instances.get(vm-x)")
                .hasMessageMatching(".*(HTTP 503 backendError|no HTTP response \\(DEADLINE_EXCEEDED\\)).*")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());
        // Bounded by CallRetry.totalTimeout (0.8 s here), not the library's 600 s.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(server.requests("GET", "/instances/vm-x$").size()).isGreaterThan(3);
    }

    @Test
    void aClientErrorIsNotRetryableAndNamesStatusAndReason() {
        server.failNextRequests(1, 403, "forbidden", "Required 'compute.images.list' permission for 'projects/x'",
                r -> r.path().endsWith("/global/images"));

        assertThatThrownBy(() -> cloud.findImages(ZONE, Map.of()))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("HTTP 403 forbidden: Required 'compute.images.list' permission")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
    }

    @Test
    void aRateLimit403IsRetryable() {
        server.failNextRequests(1, 403, "rateLimitExceeded", "Rate Limit Exceeded",
                r -> r.path().endsWith("/global/images"));

        assertThatThrownBy(() -> cloud.findImages(ZONE, Map.of()))
                .isInstanceOf(CloudException.class)
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());
    }

    @Test
    void errorMessagesDoNotLeakTokens() {
        server.failNextRequests(1, 400, "invalid", "bad header Authorization: Bearer ya29.a0AfH6SMBsecretsecret",
                r -> r.path().endsWith("/global/images"));

        assertThatThrownBy(() -> cloud.findImages(ZONE, Map.of()))
                .isInstanceOf(CloudException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("ya29").doesNotContain("secretsecret");
                    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                        assertThat(String.valueOf(t.getMessage())).doesNotContain("secretsecret");
                    }
                });
    }

    @Test
    void anUnreachableEndpointIsRetryable() {
        LocalComputeServer gone = LocalComputeServer.start();
        GceClients.CallRetry quick = new GceClients.CallRetry(Duration.ofSeconds(1), Duration.ofMillis(300),
                Duration.ofMillis(20), Duration.ofMillis(50));
        GceClients clients = GceClients.create(PROJECT, Optional.of(gone.endpointUri()), GceFixture.TEST_POLLING, quick);
        gone.close();
        try (GceCloud unreachable = new GceCloud(clients)) {
            assertThatThrownBy(() -> unreachable.describe(ZONE, "vm"))
                    .isInstanceOf(CloudException.class)
                    .hasMessageContaining("no HTTP response")
                    .satisfies(e -> assertThat(((CloudException) e).retryable()).isTrue());
        }
    }

    @Test
    void withoutAProjectEveryCallFailsNamingTheProperty() {
        GceClients clients = GceClients.unconfigured("GCP is not configured: set cib.gcp.project",
                Optional.empty(), GceClients.OperationPolling.DEFAULT, GceClients.CallRetry.DEFAULT);
        try (GceCloud unconfigured = new GceCloud(clients)) {
            assertThatThrownBy(() -> unconfigured.findImages(ZONE, Map.of()))
                    .isInstanceOf(CloudException.class)
                    .hasMessageContaining("cib.gcp.project")
                    .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
        }
    }

    // ---- images ---------------------------------------------------------------------------------------------------

    @Test
    void tagImageMergesWithTheLabelFingerprint() {
        Image seeded = server.seedImage(PROJECT, "img-tag", Map.of(ResourceTags.BUILD_ID, "b-1"));

        cloud.tagImage(ZONE, "img-tag", Map.of(ResourceTags.VERIFIED_KUBEVIRT_VERSION, "v1.8.2"));

        RecordedRequest setLabels = server.requests("POST", "/global/images/img-tag/setLabels$").get(0);
        JsonObject body = JsonParser.parseString(setLabels.body()).getAsJsonObject();
        assertThat(body.get("labelFingerprint").getAsString()).isEqualTo(seeded.getLabelFingerprint());
        assertThat(body.getAsJsonObject("labels").keySet())
                .containsExactlyInAnyOrder(ResourceTags.BUILD_ID, ResourceTags.VERIFIED_KUBEVIRT_VERSION);
        assertThat(server.image(PROJECT, "img-tag").orElseThrow().getLabelsMap())
                .containsEntry(ResourceTags.BUILD_ID, "b-1")
                .containsEntry(ResourceTags.VERIFIED_KUBEVIRT_VERSION, "v1_2e8_2e2");
        assertThat(cloud.getImage(ZONE, "img-tag").orElseThrow().tags())
                .containsEntry(ResourceTags.VERIFIED_KUBEVIRT_VERSION, "v1.8.2");
    }

    @Test
    void tagImageRereadsAndRetriesWhenTheFingerprintIsStale() {
        server.seedImage(PROJECT, "img-race", Map.of("a", "1"));
        server.failNextRequests(1, 412, "POST", "/setLabels$");

        cloud.tagImage(ZONE, "img-race", Map.of("b", "2"));

        assertThat(server.requests("GET", "/global/images/img-race$")).hasSize(2);
        assertThat(server.image(PROJECT, "img-race").orElseThrow().getLabelsMap()).containsEntry("a", "1")
                .containsEntry("b", "2");
    }

    @Test
    void tagImageWithNothingNewSendsNothing() {
        server.seedImage(PROJECT, "img-same", Map.of("a", "1"));

        cloud.tagImage(ZONE, "img-same", Map.of("a", "1"));

        assertThat(server.requests("POST", "/setLabels$")).isEmpty();
    }

    @Test
    void tagsWithValuesGceRefusesAreEncodedAndFoundByTheirOriginalValue() {
        String id = new GceFixture(server, PROJECT).seedImage(ZONE, "img-versions",
                Map.of(ResourceTags.KUBEVIRT_VERSION, "v1.8.2", ResourceTags.KUBERNETES_VERSION, "1.33.1+k3s"));

        List<CloudImage> found = cloud.findImages(ZONE, Map.of(ResourceTags.KUBEVIRT_VERSION, "v1.8.2"));

        assertThat(found).extracting(CloudImage::id).containsExactly(id);
        assertThat(found.get(0).tags()).containsEntry(ResourceTags.KUBERNETES_VERSION, "1.33.1+k3s");
        assertThat(server.requests("GET", "/global/images$").get(0).param("filter"))
                .hasValue("(labels.cib-kubevirt-version = \"v1_2e8_2e2\")");
    }

    @Test
    void imageStatesMapAndDeletingImagesAreGone() {
        server.seedImage(PROJECT, "img-pending", Map.of("k", "s"), "PENDING");
        server.seedImage(PROJECT, "img-failed", Map.of("k", "s"), "FAILED");
        server.seedImage(PROJECT, "img-deleting", Map.of("k", "s"), "DELETING");

        Map<String, CloudImage.State> states = new HashMap<>();
        cloud.findImages(ZONE, Map.of("k", "s")).forEach(i -> states.put(i.id(), i.state()));

        assertThat(states).containsOnly(Map.entry("img-pending", CloudImage.State.PENDING),
                Map.entry("img-failed", CloudImage.State.FAILED));
        assertThat(cloud.getImage(ZONE, "img-deleting")).isEmpty();
    }

    @Test
    void listsArePagedThrough() {
        server.setPageSize(2);
        for (int i = 0; i < 5; i++) {
            server.seedImage(PROJECT, "img-page-" + i, Map.of("k", "paged"));
        }

        assertThat(cloud.findImages(ZONE, Map.of("k", "paged"))).hasSize(5);
        assertThat(server.requests("GET", "/global/images$")).hasSize(3);
    }

    // ---- instances: state, host keys, console -------------------------------------------------------------------

    @Test
    void aStoppedInstanceIsStillFoundAsStopped() {
        server.seedInstance(PROJECT, ZONE, "vm-stopped", Map.of("k", "stop"));
        server.setInstanceStatus(PROJECT, ZONE, "vm-stopped", "TERMINATED");

        assertThat(cloud.findInstances(ZONE, Map.of("k", "stop"))).singleElement()
                .satisfies(i -> assertThat(i.state()).isEqualTo(CloudInstance.State.STOPPED));
    }

    @Test
    void findInstancesSendsALabelFilterForTheZone() {
        cloud.findInstances(ZONE, Map.of(ResourceTags.BUILD_ID, "b-7"));

        assertThat(server.requests("GET", "/zones/" + ZONE + "/instances$").get(0).param("filter"))
                .hasValue("(labels.cib-build-id = \"b-7\")");
    }

    @Test
    void hostKeysComeFromGuestAttributesOnceTheAgentPublishedThem() {
        CloudInstance vm = cloud.launch(spec("tok-keys", false));
        assertThat(cloud.hostKeys(ZONE, vm.id())).isEmpty();

        server.publishHostKeys(PROJECT, ZONE, vm.id(), new LinkedHashMap<>(Map.of(
                "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIHOSTKEYhostkey")));
        server.setGuestAttribute(PROJECT, ZONE, vm.id(), "other", "ignored", "x");

        assertThat(cloud.hostKeys(ZONE, vm.id())).containsExactly("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHOSTKEYhostkey");
        assertThat(server.requests("GET", "/getGuestAttributes$").get(0).param("queryPath")).hasValue("hostkeys/");
        assertThat(cloud.hostKeys(ZONE, "no-such-vm")).isEmpty();
    }

    @Test
    void hostKeyEntriesThatAreWholeKeyLinesOrNoKeysAreHandled() {
        assertThat(GceCloud.hostKeyLine(entry("ssh-rsa", "ssh-rsa AAAAB3Nza root@vm"))).hasValue("ssh-rsa AAAAB3Nza");
        assertThat(GceCloud.hostKeyLine(entry("ssh-rsa", "ssh-ed25519 AAAAC3Nz"))).isEmpty();
        assertThat(GceCloud.hostKeyLine(entry("ssh-rsa", " "))).isEmpty();
        assertThat(GceCloud.hostKeyLine(entry("ecdsa-sha2-nistp256", "AAAAE2Vj\n"))).hasValue("ecdsa-sha2-nistp256 AAAAE2Vj");
    }

    private static com.google.cloud.compute.v1.GuestAttributesEntry entry(String key, String value) {
        return com.google.cloud.compute.v1.GuestAttributesEntry.newBuilder().setNamespace("hostkeys").setKey(key)
                .setValue(value).build();
    }

    @Test
    void consoleOutputIsSerialPortOne() {
        CloudInstance vm = cloud.launch(spec("tok-console", false));
        server.appendSerialOutput(PROJECT, ZONE, vm.id(), "boot line 1\ncloud-init done\n");

        assertThat(cloud.consoleOutput(ZONE, vm.id())).isEqualTo("boot line 1\ncloud-init done\n");
        assertThat(server.requests("GET", "/serialPort$").get(0).param("port")).hasValue("1");
        assertThat(cloud.consoleOutput(ZONE, "no-such-vm")).isEmpty();
    }

    @Test
    void terminateWaitsForTheDeletesAndToleratesUnknownInstances() {
        server.setOperationDelay(Duration.ofMillis(100));
        server.seedInstance(PROJECT, ZONE, "vm-a", Map.of());
        server.seedInstance(PROJECT, ZONE, "vm-b", Map.of());

        cloud.terminate(ZONE, List.of("vm-a", "vm-b", "vm-unknown", "vm-a"));

        assertThat(server.instances(PROJECT)).isEmpty();
        assertThat(server.requests("DELETE", "/instances/")).hasSize(3);
    }

    private static LaunchSpec spec(String token, boolean nested) {
        return new LaunchSpec(ZONE, IMAGE, "e2-small", 20, Optional.empty(), List.of(), "cib", KEY,
                Map.of(ResourceTags.BUILD_ID, "b-" + Math.abs(token.hashCode() % 1000), ResourceTags.PHASE, "verify"),
                token, nested);
    }

    private static Map<String, String> metadata(JsonObject instance) {
        Map<String, String> items = new HashMap<>();
        JsonArray array = instance.getAsJsonObject("metadata").getAsJsonArray("items");
        for (JsonElement item : array) {
            items.put(item.getAsJsonObject().get("key").getAsString(), item.getAsJsonObject().get("value").getAsString());
        }
        return items;
    }
}
