package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.phase.WaitPolicy;
import java.time.Duration;
import java.util.Optional;

/**
 * What a build needs beyond the request: pinned default versions (a request never resolves "latest"), where each
 * cloud builds, and how long things may take or live.
 *
 * @param imageLifetime how long a built image lives unless a release keeps it; written as its expiry tag
 * @param buildTimeout the longest a single Packer run may take before it is interrupted
 * @param cleanupRetry how long and how often a build instance's termination (and other cleanup) is retried while
 *     the cloud answers with retryable errors; bounded, because a stopping worker waits for it
 */
public record BuildSettings(
        String defaultCdiVersion,
        String defaultKubernetesVersion,
        String awsRegion,
        String gcpZone,
        Optional<String> gcpProject,
        Duration imageLifetime,
        Duration buildTimeout,
        WaitPolicy cleanupRetry) {
}
