package io.kubevirt.cib.build.packer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.build.domain.FailureClassifier;
import io.kubevirt.cib.build.domain.packer.BuiltImage;
import io.kubevirt.cib.build.domain.packer.PackerRun;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.SlowCloudProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Packer 1.6.6 with the worker's template ({@code amazon-ebs.aws-emulated}) against real moto behind
 * {@link SlowCloudProxy} answering 30% of the EC2 calls with RequestLimitExceeded (HTTP 503), as EC2 does when an
 * account exceeds its request rate: the template's retry settings must carry every build through.
 */
class PackerThrottlingTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int BUILDS = 5;

    private static MotoServer moto;
    private static SlowCloudProxy proxy;

    @BeforeAll
    static void start() {
        Exec.requireTool("packer", "version");
        moto = MotoServer.start();
        proxy = SlowCloudProxy.start(moto.endpoint());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void fiveBuildsSucceedWithThirtyPercentOfEc2CallsThrottled(@TempDir Path home) throws Exception {
        proxy.throttle(SlowCloudProxy.ALL_ACTIONS, 0.3, 20261203L);
        // The one call Packer 1.6.6 cannot retry quickly: the AMI-name prevalidation (DescribeImages by name) is sent
        // with its retry count preset to 11, so it gets max_retries - 11 retries, each after 150-300 s (aws-sdk-go's
        // backoff for retry number 11; measured here: 257 s). Spared, to keep this test short; the test below
        // checks how its failure reads.
        proxy.spare("DescribeImages", "Filter.1.Name", "name");

        long t0 = System.nanoTime();
        // In parallel, to keep the test short; the seeded sequence is then drawn in arrival order.
        ExecutorService pool = Executors.newFixedThreadPool(BUILDS);
        List<CompletableFuture<Exec.Result>> builds = new ArrayList<>();
        try {
            for (int i = 0; i < BUILDS; i++) {
                Path dir = Files.createDirectories(home.resolve("build-" + i));
                List<String> command = command("bld-throttled-" + i, proxy.endpoint());
                builds.add(CompletableFuture.supplyAsync(() -> packer(command, dir), pool));
            }
            List<BuiltImage> images = new ArrayList<>();
            for (CompletableFuture<Exec.Result> build : builds) {
                Exec.Result r = build.get();
                assertThat(r.exitCode()).as(r.output()).isZero();
                PackerRun run = new PackerRun();
                r.output().lines().forEach(run::accept);
                assertThat(run.builtImages()).as(r.output()).singleElement()
                        .satisfies(i -> assertThat(i.imageId()).startsWith("ami-"));
                assertThat(run.errors()).as("a build that passes has nothing to report").isEmpty();
                images.addAll(run.builtImages());
            }
            assertThat(images).extracting(BuiltImage::imageId).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("%d packer builds through 30%% throttling: %d EC2 requests, %d throttled, %d ms%n",
                BUILDS, proxy.requests(), proxy.throttled(), Duration.ofNanos(System.nanoTime() - t0).toMillis());

        // Throttling really happened, on the calls Packer makes most.
        assertThat(proxy.throttled()).isGreaterThanOrEqualTo(proxy.requests() / 10);
        assertThat(proxy.throttled("RunInstances") + proxy.throttled("DescribeInstances")
                + proxy.throttled("CreateImage") + proxy.throttled("DescribeImages")).isPositive();
    }

    @Test
    void unretriedThrottlingFailsFastAndIsClassifiedAsThrottling(@TempDir Path home) throws Exception {
        // Every DescribeImages throttled, and max_retries at most 11: the prevalidation is not retried at all and
        // fails in milliseconds (with the default it would be retried after 150-300 s, twice).
        try (SlowCloudProxy hard = SlowCloudProxy.start(moto.endpoint())) {
            hard.throttle("DescribeImages", 1.0, 1);
            List<String> command = new ArrayList<>(command("bld-throttled-hard", hard.endpoint()));
            command.addAll(command.size() - 1, List.of("-var", "aws_max_retries=11"));
            Exec.Result r = packer(command, home);

            assertThat(r.exitCode()).isNotZero();
            PackerRun run = new PackerRun();
            r.output().lines().forEach(run::accept);
            assertThat(run.builtImages()).isEmpty();
            FailureClassifier.Verdict verdict = FailureClassifier.classify(run.failureReason().orElseThrow());
            assertThat(verdict.retryable()).isTrue();
            assertThat(verdict.reason()).startsWith(FailureClassifier.THROTTLED).contains("RequestLimitExceeded");
            assertThat(hard.requests("RunInstances")).as("nothing was created").isZero();
        }
    }

    private static List<String> command(String buildId, String endpoint) {
        return List.of("packer", "build", "-machine-readable", "-only=amazon-ebs.aws-emulated",
                "-var", "build_id=" + buildId,
                "-var", "request_id=req-" + buildId,
                "-var", "image_name=cib-kubevirt-v1-8-2-" + buildId,
                "-var", "expires_at=1795562592",
                "-var", "ec2_endpoint=" + endpoint,
                "-var", "aws_region=us-east-1",
                "-var", "aws_source_ami=" + MotoServer.BASE_AMI_ID,
                Exec.packerDir().toString());
    }

    private static Exec.Result packer(List<String> command, Path home) {
        return Exec.run(command, Map.of("CHECKPOINT_DISABLE", "1", "HOME", home.toString(),
                        "AWS_ACCESS_KEY_ID", MotoServer.ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY",
                        MotoServer.SECRET_ACCESS_KEY, "AWS_EC2_METADATA_DISABLED", "true"), home, TIMEOUT,
                env -> env.keySet().removeIf(k -> k.startsWith("PKR_VAR_") || k.startsWith("AWS_PROFILE")
                        || k.equals("AWS_SESSION_TOKEN") || k.equals("AWS_ENDPOINT_URL")));
    }
}
