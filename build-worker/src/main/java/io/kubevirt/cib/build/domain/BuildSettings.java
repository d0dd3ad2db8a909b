package io.kubevirt.cib.build.domain;

import java.time.Duration;
import java.util.Optional;

/**
 * What a build needs beyond the request: pinned default versions (a request never resolves "latest"), where each
 * cloud builds, and how long things may take or live.
 *
 * @param imageLifetime how long a built image lives unless a release keeps it; written as its expiry tag
 * @param buildTimeout the longest a single Packer run may take before it is interrupted
 */
public record BuildSettings(
        String defaultCdiVersion,
        String defaultKubernetesVersion,
        String awsRegion,
        String gcpZone,
        Optional<String> gcpProject,
        Duration imageLifetime,
        Duration buildTimeout) {
}
