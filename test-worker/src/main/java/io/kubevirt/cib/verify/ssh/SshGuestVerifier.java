package io.kubevirt.cib.verify.ssh;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.verify.domain.GuestVerifier;
import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.kubevirt.cib.verify.domain.run.SshWait;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link GuestVerifier} over SSH: wait for sshd (it comes up only after the first-boot installer), then verify. A
 * cancelled attempt ends the wait, or aborts the running script (TERM to it, connection dropped).
 */
public final class SshGuestVerifier implements GuestVerifier {

    private final SshWait sshWait;
    private final WaitPolicy sshPolicy;
    private final Function<String, VerificationScriptRun> scriptForRun;

    /** @param scriptForRun the verification to run, per run id (the namespace and names derive from it) */
    public SshGuestVerifier(SshConnector connector, Waiter waiter, WaitPolicy sshPolicy,
            Function<String, VerificationScriptRun> scriptForRun) {
        this.sshWait = new SshWait(connector, waiter);
        this.sshPolicy = sshPolicy;
        this.scriptForRun = scriptForRun;
    }

    @Override
    public Result verify(SshTarget target, String runId, Consumer<String> lines, Attempt attempt) {
        RemoteShell shell;
        try {
            shell = sshWait.await(target, sshPolicy, attempt);
        } catch (HostKeyMismatchException e) {
            return new HostKeyRejected(e.getMessage());
        } catch (SshUnavailableException e) {
            return new Unreachable(e.getMessage());
        }
        // Closed in reverse order: the cancel hook goes before the shell it aborts.
        try (shell; Attempt.Registration ignored = attempt.onCancel(shell::abort)) {
            return new Verified(scriptForRun.apply(runId).run(shell, lines));
        }
    }
}
