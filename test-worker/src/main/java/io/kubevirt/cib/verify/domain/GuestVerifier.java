package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.verify.domain.run.VerificationReport;
import java.util.function.Consumer;

/** Port: waits for SSH on a booted instance and runs the verification there. The real one is sshj. */
public interface GuestVerifier {

    /**
     * Blocks until the verification ends, a budget runs out, or {@code attempt} is cancelled: then the SSH wait ends,
     * the connection is dropped and the remote command is told to stop, and the result says so
     * ({@link Unreachable}); every output line goes to {@code lines}.
     *
     * @param runId names what the run creates on the instance, so a rerun never trips over an earlier one
     */
    Result verify(SshTarget target, String runId, Consumer<String> lines, Attempt attempt);

    sealed interface Result {
    }

    record Verified(VerificationReport report) implements Result {
    }

    /** SSH never became usable within its budget (or the attempt was cancelled first). */
    record Unreachable(String reason) implements Result {
    }

    /**
     * The server presented a host key the cloud did not report, or the cloud reported none that can be used:
     * refused, not retried.
     */
    record HostKeyRejected(String reason) implements Result {
    }
}
