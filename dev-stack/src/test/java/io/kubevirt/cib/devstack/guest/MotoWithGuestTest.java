package io.kubevirt.cib.devstack.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.devstack.MotoServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.junit.jupiter.api.Test;

/** The local run's guest wiring: the key of a RunInstances through the proxy logs in; the console reports the key. */
class MotoWithGuestTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void launchKeyLogsInAndTheConsoleReportsTheHostKeyTheGuestPresents() throws Exception {
        KeyPair launchKey = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        KeyPair stranger = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        try (MotoServer moto = MotoServer.start(); MotoWithGuest local = MotoWithGuest.start(moto.endpoint(), "pass");
                SshClient client = SshClient.setUpDefaultClient()) {
            String cloudConfig = "#cloud-config\nssh_authorized_keys:\n  - \""
                    + PublicKeyEntry.toString(launchKey.getPublic()) + "\"\n";
            String run = ec2(local.cloudEndpoint(), "RunInstances", Map.of("ImageId", MotoServer.BASE_AMI_ID,
                    "MinCount", "1", "MaxCount", "1", "UserData",
                    Base64.getEncoder().encodeToString(cloudConfig.getBytes(StandardCharsets.UTF_8))));
            Matcher id = Pattern.compile("<instanceId>(i-[0-9a-f]+)</instanceId>").matcher(run);
            assertThat(id.find()).as("moto launched it: %s", run).isTrue();

            String console = ec2(local.cloudEndpoint(), "GetConsoleOutput", Map.of("InstanceId", id.group(1)));
            Matcher output = Pattern.compile("<output>([^<]+)</output>").matcher(console);
            assertThat(output.find()).isTrue();
            String text = new String(Base64.getDecoder().decode(output.group(1)), StandardCharsets.UTF_8);
            assertThat(text).contains("-----BEGIN SSH HOST KEY KEYS-----")
                    .contains(local.guest().reportedHostKeyLine());
            PublicKey reported = AuthorizedKeyEntry.parseAuthorizedKeyEntry(local.guest().reportedHostKeyLine())
                    .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);

            client.setServerKeyVerifier((session, address, key) -> KeyUtils.compareKeys(reported, key));
            client.start();
            String[] hostPort = local.sshAddress().split(":");
            try (ClientSession session = login(client, hostPort, launchKey)) {
                assertThat(session.executeRemoteCommand("echo guest-ok")).isEqualTo("guest-ok\n");
            }
            assertThatThrownBy(() -> login(client, hostPort, stranger).close())
                    .as("a key no launch carried is refused");
        }
    }

    private static ClientSession login(SshClient client, String[] hostPort, KeyPair key) throws Exception {
        ClientSession session = client.connect(StandInGuest.USER, hostPort[0], Integer.parseInt(hostPort[1]))
                .verify(WAIT).getSession();
        session.addPublicKeyIdentity(key);
        try {
            session.auth().verify(WAIT);
            return session;
        } catch (Exception e) {
            session.close();
            throw e;
        }
    }

    /** An EC2 query call; moto does not check signatures, it reads the region from the credential scope. */
    private String ec2(String endpoint, String action, Map<String, String> params) throws Exception {
        StringBuilder form = new StringBuilder("Action=" + action + "&Version=2016-11-15");
        params.forEach((k, v) -> form.append('&').append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return http.send(HttpRequest.newBuilder(URI.create(endpoint + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261124/us-west-1/ec2/aws4_request,"
                        + " SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
