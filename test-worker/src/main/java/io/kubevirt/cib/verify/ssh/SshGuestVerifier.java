package io.kubevirt.cib.verify.ssh;

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

/** {@link GuestVerifier} over SSH: wait for sshd (it comes up only after the first-boot installer), then verify. */
public final class SshGuestVerifier implements GuestVerifier {

    private final SshWait sshWait;
    private final SshWait.Backoff backoff;
    private final Function<String, VerificationScriptRun> scriptForRun;

    /** @param scriptForRun the verification to run, per run id (the namespace and names derive from it) */
    public SshGuestVerifier(SshConnector connector, SshWait.Backoff backoff,
            Function<String, VerificationScriptRun> scriptForRun) {
        this.sshWait = new SshWait(connector);
        this.backoff = backoff;
        this.scriptForRun = scriptForRun;
    }

    @Override
    public Result verify(SshTarget target, String runId, Consumer<String> lines) {
        RemoteShell shell;
        try {
            shell = sshWait.await(target, backoff);
        } catch (HostKeyMismatchException e) {
            return new HostKeyRejected(e.getMessage());
        } catch (SshUnavailableException e) {
            return new Unreachable(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Unreachable("interrupted while waiting for ssh");
        }
        try (shell) {
            return new Verified(scriptForRun.apply(runId).run(shell, lines));
        }
    }
}
