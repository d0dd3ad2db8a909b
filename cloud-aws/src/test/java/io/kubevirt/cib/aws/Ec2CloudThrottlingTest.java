package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The adapter against real moto behind {@link SlowCloudProxy}, which answers a seeded 30% of all EC2 calls with
 * RequestLimitExceeded (HTTP 503, as EC2 does): every operation the workers use must still succeed, because the SDK's
 * retry strategy absorbs the throttling; and throttling that outlasts the retries must surface as a retryable
 * {@link CloudException} that says so.
 */
class Ec2CloudThrottlingTest {

    private static final String REGION = "eu-west-1";
    private static final String HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIThrottledHostKeyExample root@guest";
    /**
     * The default attempts, with shorter waits: the attempts decide whether throttling is absorbed, the waits only
     * how long that takes (the defaults' 1 s throttling base would make this test several times slower).
     */
    private static final Ec2Clients.Retry QUICK = new Ec2Clients.Retry(Ec2Clients.Retry.DEFAULT.maxAttempts(),
            Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(1));

    private static MotoServer moto;
    private static SlowCloudProxy proxy;
    private static Ec2Clients direct;
    private static Ec2Fixture fixture;

    @BeforeAll
    static void start() {
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
        // Seeds through moto directly: only the adapter under test meets the throttling.
        direct = new Ec2Clients(Optional.of(URI.create(moto.endpoint())), credentials());
        fixture = new Ec2Fixture(direct, MotoServer.BASE_AMI_ID);
    }

    @AfterAll
    static void stop() {
        if (direct != null) {
            direct.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @AfterEach
    void calm() {
        proxy.clearThrottling();
        proxy.clearAnswers();
    }

    @Test
    void everyOperationTheWorkersUseSucceedsWithThirtyPercentThrottled() {
        String buildId = "bld-" + UUID.randomUUID();
        Map<String, String> tags = Map.of(ResourceTags.BUILD_ID, buildId);
        String imageId = fixture.seedImage(REGION, "img-throttled-" + buildId, tags);
        proxy.answer("GetConsoleOutput", consoleOutputXml(HOST_KEY));
        proxy.throttle(SlowCloudProxy.ALL_ACTIONS, 0.3, 20261203L);
        long requestsBefore = proxy.requests();

        long t0 = System.nanoTime();
        try (Ec2Cloud cloud = new Ec2Cloud(new Ec2Clients(Optional.of(URI.create(proxy.endpoint())), credentials(),
                QUICK))) {
            // Several rounds, so that each operation meets several draws of the throttling sequence.
            for (int round = 0; round < 4; round++) {
                CloudImage found = single(cloud.findImages(REGION, tags));
                assertThat(found.id()).isEqualTo(imageId);
                assertThat(cloud.getImage(REGION, imageId)).map(CloudImage::id).contains(imageId);
                cloud.tagImage(REGION, imageId, Map.of("cib-round", String.valueOf(round)));

                Map<String, String> instanceTags = Map.of(ResourceTags.BUILD_ID, buildId, ResourceTags.PHASE,
                        "verify-" + round);
                CloudInstance launched = cloud.launch(new LaunchSpec(REGION, imageId, "t3.micro", 10,
                        Optional.empty(), List.of(), "ubuntu", "ssh-ed25519 AAAAkey cib-verify", instanceTags,
                        "tok-" + UUID.randomUUID(), false));
                assertThat(cloud.describe(REGION, launched.id())).map(CloudInstance::id).contains(launched.id());
                assertThat(single(cloud.findInstances(REGION, instanceTags)).id()).isEqualTo(launched.id());
                assertThat(cloud.hostKeys(REGION, launched.id())).containsExactly(HOST_KEY);
                cloud.terminate(REGION, List.of(launched.id()));
                assertThat(cloud.findInstances(REGION, instanceTags)).isEmpty();
            }
            assertThat(single(cloud.findImages(REGION, tags)).tags()).containsEntry("cib-round", "3");
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        long requests = proxy.requests() - requestsBefore;
        System.out.printf("adapter through 30%% throttling: %d EC2 requests, %d throttled, %d ms%n", requests,
                proxy.throttled(), took.toMillis());

        // It really was throttled, at about the share asked for.
        assertThat(proxy.throttled()).isGreaterThanOrEqualTo(requests / 10);
        assertThat(proxy.throttled("DescribeImages") + proxy.throttled("DescribeInstances")).isPositive();
    }

    @Test
    void throttlingThatOutlastsTheRetriesIsARetryableFailureThatSaysSo() {
        proxy.throttle("DescribeImages", 1.0, 1);
        Ec2Clients.Retry three = new Ec2Clients.Retry(3, Duration.ofMillis(10), Duration.ofMillis(10),
                Duration.ofMillis(50));
        long before = proxy.requests("DescribeImages");

        try (Ec2Cloud cloud = new Ec2Cloud(new Ec2Clients(Optional.of(URI.create(proxy.endpoint())), credentials(),
                three))) {
            assertThatThrownBy(() -> cloud.getImage(REGION, MotoServer.BASE_AMI_ID))
                    .isInstanceOfSatisfying(CloudException.class, e -> {
                        assertThat(e.getMessage()).contains("DescribeImages", REGION,
                                "throttling, still after 3 attempts", "RequestLimitExceeded", "HTTP 503");
                        assertThat(e.retryable()).isTrue();
                    });
        }
        assertThat(proxy.requests("DescribeImages") - before).isEqualTo(3);
    }

    @Test
    void retrySettingsAreChecked() {
        assertThatThrownBy(() -> new Ec2Clients.Retry(0, Duration.ofMillis(1), Duration.ofMillis(1),
                Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Ec2Clients.Retry(3, Duration.ZERO, Duration.ofMillis(1),
                Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(Ec2Clients.Retry.DEFAULT.maxAttempts()).isEqualTo(10);
        assertThat(Ec2Clients.Retry.DEFAULT.maxBackoff()).isEqualTo(Duration.ofSeconds(20));
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(MotoServer.ACCESS_KEY_ID,
                MotoServer.SECRET_ACCESS_KEY));
    }

    private static <T> T single(List<T> items) {
        assertThat(items).hasSize(1);
        return items.get(0);
    }

    /** What a booted guest prints (moto's console is one fixed sample): cloud-init's host key block. */
    private static String consoleOutputXml(String hostKeyLine) {
        String console = "[   13.1] cloud-init[812]: -----BEGIN SSH HOST KEY KEYS-----\n"
                + "[   13.1] cloud-init[812]: " + hostKeyLine + "\n"
                + "[   13.1] cloud-init[812]: -----END SSH HOST KEY KEYS-----\n";
        return "<GetConsoleOutputResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>" + UUID.randomUUID() + "</requestId><instanceId>i-0</instanceId>"
                + "<timestamp>2026-11-24T10:00:00.000Z</timestamp><output>"
                + Base64.getEncoder().encodeToString(console.getBytes(StandardCharsets.UTF_8))
                + "</output></GetConsoleOutputResponse>";
    }
}
