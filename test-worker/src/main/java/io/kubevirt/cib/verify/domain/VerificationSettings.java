package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.phase.WaitPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How verification instances are launched and how long each wait may take.
 *
 * @param hostKeys polling for the SSH host keys the instance reports through the cloud; its budget is the wait
 * @param cloudCalls retries of a cloud call that failed retryably (throttling, a timed-out launch)
 * @param cleanup retries of the final terminate; it runs even after the attempt was cancelled, so its budget must
 *        fit in the revoke grace
 * @param instanceLifetime written as the instance's expiry tag, for the sweep if this worker dies
 * @param addressOverride "host:port" to reach every instance at instead of its cloud address (tests, bastions)
 */
public record VerificationSettings(
        Launch aws,
        Launch gcp,
        WaitPolicy hostKeys,
        WaitPolicy cloudCalls,
        WaitPolicy cleanup,
        Duration instanceLifetime,
        Optional<String> addressOverride) {

    /** Host keys are polled from every 2 s up to every 30 s, for {@code wait}. */
    public static WaitPolicy hostKeyPolicy(Duration wait) {
        Duration first = Duration.ofSeconds(2).compareTo(wait) < 0 ? Duration.ofSeconds(2) : wait.dividedBy(2);
        Duration cap = Duration.ofSeconds(30).compareTo(wait) < 0 ? Duration.ofSeconds(30) : wait;
        return new WaitPolicy(first, cap.compareTo(first) > 0 ? cap : first, wait);
    }

    /** Cloud calls and the final terminate are retried from every second up to every 15 s, for {@code budget}. */
    public static WaitPolicy retryPolicy(Duration budget) {
        Duration cap = Duration.ofSeconds(15).compareTo(budget) < 0 ? Duration.ofSeconds(15) : budget;
        return new WaitPolicy(Duration.ofSeconds(1), cap, budget);
    }

    /**
     * @param sshUser the login whose authorized_keys receives the per-run key (the image's default user)
     */
    public record Launch(String machineType, int diskSizeGb, Optional<String> subnet, List<String> firewallGroups,
            String sshUser, boolean nestedVirtualization) {
    }
}
