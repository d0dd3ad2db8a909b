package io.kubevirt.cib.verify.domain;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How verification instances are launched and how long each wait may take.
 *
 * @param hostKeyWait how long the instance may take to report its SSH host keys through the cloud
 * @param instanceLifetime written as the instance's expiry tag, for the sweep if this worker dies
 * @param addressOverride "host:port" to reach every instance at instead of its cloud address (tests, bastions)
 */
public record VerificationSettings(
        Launch aws,
        Launch gcp,
        Duration hostKeyWait,
        Duration instanceLifetime,
        Optional<String> addressOverride) {

    /**
     * @param sshUser the login whose authorized_keys receives the per-run key (the image's default user)
     */
    public record Launch(String machineType, int diskSizeGb, Optional<String> subnet, List<String> firewallGroups,
            String sshUser, boolean nestedVirtualization) {
    }
}
