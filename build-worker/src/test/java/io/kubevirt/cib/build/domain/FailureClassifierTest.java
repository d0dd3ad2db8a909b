package io.kubevirt.cib.build.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.build.domain.packer.PackerRun;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FailureClassifierTest {

    @Test
    void packersThrottledPrevalidationIsARetryableThrottlingFailure() {
        // Real Packer 1.6.6 output: moto behind SlowCloudProxy answering 30% of EC2 calls with RequestLimitExceeded.
        String reason = failureReason("aws-emulated-throttled-prevalidation.txt");
        assertThat(reason).startsWith("Error querying AMI: RequestLimitExceeded");

        FailureClassifier.Verdict verdict = FailureClassifier.classify(reason);

        assertThat(verdict.retryable()).isTrue();
        assertThat(verdict.reason()).startsWith(FailureClassifier.THROTTLED).contains("throttled", reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Error querying AMI: RequestLimitExceeded: Request limit exceeded.\n\tstatus code: 503, request id: r-1",
        "Error waiting for AMI: Throttling: Rate exceeded\n\tstatus code: 400",
        "googleapi: Error 403: Rate Limit Exceeded, rateLimitExceeded",
        // Throttling wins over words that look permanent: the request itself was fine.
        "Error describing image: RequestLimitExceeded (while looking up a source AMI not found in the cache)"})
    void throttlingIsRetryableAndNamed(String text) {
        FailureClassifier.Verdict verdict = FailureClassifier.classify(text);
        assertThat(verdict.retryable()).isTrue();
        assertThat(verdict.reason()).startsWith("throttled: ").endsWith(text);
        assertThat(FailureClassifier.isRetryable(text)).isTrue();
    }

    @Test
    void otherFailuresKeepTheirTextAndVerdict() {
        String capacity = "Error launching source instance: InsufficientInstanceCapacity: no capacity";
        assertThat(FailureClassifier.classify(capacity)).isEqualTo(new FailureClassifier.Verdict(capacity, true));

        String missingAmi = "Error querying AMI: InvalidAMIID.NotFound: The image id '[ami-1]' does not exist";
        assertThat(FailureClassifier.classify(missingAmi))
                .isEqualTo(new FailureClassifier.Verdict(missingAmi, false));

        // An instance limit is a quota, not throttling, although its code also ends in LimitExceeded.
        String instanceLimit = "InstanceLimitExceeded: You have requested more instances (21) than your current"
                + " instance limit of 20 allows";
        assertThat(FailureClassifier.classify(instanceLimit).retryable()).isFalse();
        assertThat(FailureClassifier.isThrottling(instanceLimit)).isFalse();

        assertThat(FailureClassifier.classify("something nobody has seen before").retryable()).isFalse();
    }

    private static String failureReason(String resource) {
        PackerRun run = new PackerRun();
        try (InputStream in = FailureClassifierTest.class.getResourceAsStream("/packer-output/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().forEach(run::accept);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run.failureReason().orElseThrow();
    }
}
