package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.verify.domain.run.VerificationReport;
import java.util.function.Consumer;

/** Port: waits for SSH on a booted instance and runs the verification there. The real one is sshj. */
public interface GuestVerifier {

    /**
     * Blocks until the verification ends or a budget runs out; every output line goes to {@code lines}.
     *
     * @param runId names what the run creates on the instance, so a rerun never trips over an earlier one
     */
    Result verify(SshTarget target, String runId, Consumer<String> lines);

    sealed interface Result {
    }

    record Verified(VerificationReport report) implements Result {
    }

    /** SSH never became usable within its budget. */
    record Unreachable(String reason) implements Result {
    }

    /** The server presented a host key the cloud did not report: refused, not retried. */
    record HostKeyRejected(String reason) implements Result {
    }
}
