package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.gson.JsonObject;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.gcp.testing.GceFixture;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.kubevirt.cib.gcp.testing.LocalComputeServer.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Client construction: credentials, endpoints, timing records. */
class GceClientsTest {

    private LocalComputeServer server;

    @BeforeEach
    void start() {
        server = LocalComputeServer.start();
        server.seedImage("p", "img", Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPlainHttpEndpointGetsNoCredentialsSoNoTokenTravelsUnencrypted() {
        try (GceCloud cloud = new GceCloud(GceFixture.clients(server, "p"))) {
            cloud.getImage("us-central1-b", "img");
        }
        RecordedRequest get = server.requests("GET", "/global/images/img$").get(0);
        assertThat(get.header("authorization")).isEmpty();
    }

    /**
     * The real credential flow (service-account JWT grant, token response parsing, Authorization header) on the
     * google-auth-library / google-http-client versions this build resolves - the Quarkus BOM downgrades
     * google-http-client from the 2.1.0 the Compute client was released with to 1.47.1.
     */
    @Test
    void serviceAccountCredentialsFetchATokenAndSendItWithoutLeakingItIntoErrors() throws Exception {
        GoogleCredentials credentials = ServiceAccountCredentials.fromStream(new ByteArrayInputStream(
                serviceAccountKey(server.tokenUri()).getBytes(StandardCharsets.UTF_8)))
                .createScoped("https://www.googleapis.com/auth/compute");
        GceClients clients = GceClients.withCredentials("p", server.endpointUri(), GceFixture.TEST_POLLING,
                GceFixture.TEST_RETRY, FixedCredentialsProvider.create(credentials));
        try (GceCloud cloud = new GceCloud(clients)) {
            assertThat(cloud.getImage("us-central1-b", "img")).isPresent();

            assertThat(server.requests("POST", "^/token$")).hasSize(1);
            assertThat(server.requests("GET", "/global/images/img$").get(0).header("authorization"))
                    .hasValue("Bearer " + LocalComputeServer.ACCESS_TOKEN);

            server.failNextRequests(1, 400, "GET", "/global/images/img$");
            assertThatThrownBy(() -> cloud.getImage("us-central1-b", "img"))
                    .isInstanceOf(CloudException.class)
                    .satisfies(e -> {
                        for (Throwable t = e; t != null; t = t.getCause()) {
                            assertThat(String.valueOf(t.getMessage())).doesNotContain(LocalComputeServer.ACCESS_TOKEN);
                        }
                    });
        }
    }

    @Test
    void endpointsNeedAScheme() {
        assertThatThrownBy(() -> GceClients.create("p", Optional.of(URI.create("localhost:8080")),
                GceClients.OperationPolling.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> GceClients.create(" ", Optional.empty(), GceClients.OperationPolling.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timingRecordsAreValidatedAndDerivedFromOneBudget() {
        assertThat(GceClients.OperationPolling.withTimeout(Duration.ofSeconds(3)))
                .isEqualTo(new GceClients.OperationPolling(Duration.ofSeconds(1), Duration.ofSeconds(3),
                        Duration.ofSeconds(3)));
        assertThat(GceClients.OperationPolling.withTimeout(Duration.ofMinutes(30)).maxDelay())
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(GceClients.CallRetry.withTotalTimeout(Duration.ofSeconds(10)).attemptTimeout())
                .isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> new GceClients.OperationPolling(Duration.ofSeconds(2), Duration.ofSeconds(1),
                Duration.ofSeconds(5))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GceClients.CallRetry(Duration.ZERO, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClosedClientRefusesWork() {
        GceClients clients = GceFixture.clients(server, "p");
        GceCloud cloud = new GceCloud(clients);
        cloud.getImage("us-central1-b", "img");
        cloud.close();

        assertThatThrownBy(() -> cloud.getImage("us-central1-b", "img")).isInstanceOf(IllegalStateException.class);
    }

    private static String serviceAccountKey(String tokenUri) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        JsonObject key = new JsonObject();
        key.addProperty("type", "service_account");
        key.addProperty("project_id", "p");
        key.addProperty("private_key_id", "0123456789abcdef");
        key.addProperty("private_key", pem);
        key.addProperty("client_email", "cib-test@p.iam.gserviceaccount.com");
        key.addProperty("client_id", "100000000000000000001");
        key.addProperty("token_uri", tokenUri);
        return key.toString();
    }
}
