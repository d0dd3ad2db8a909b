package io.kubevirt.cib.verify.domain.run;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Waits for SSH on a booting instance through the pipeline's {@link Waiter}: SSH comes up only after the first-boot
 * installer, so refused connections, timeouts and failed logins are retried with its backoff within the budget. A
 * host key mismatch is never retried: it may be someone else answering. A cancelled attempt ends the wait.
 */
public final class SshWait {

    /** Told about each failed try, e.g. to log it with the build ID. */
    @FunctionalInterface
    public interface AttemptListener {
        void failed(int attempt, SshUnavailableException reason);
    }

    private final SshConnector connector;
    private final Waiter waiter;

    public SshWait(SshConnector connector, Waiter waiter) {
        this.connector = Objects.requireNonNull(connector);
        this.waiter = Objects.requireNonNull(waiter);
    }

    public RemoteShell await(SshTarget target, WaitPolicy policy, Attempt attempt)
            throws SshUnavailableException, HostKeyMismatchException {
        return await(target, policy, attempt, (tries, reason) -> { });
    }

    /**
     * @throws SshWaitExhaustedException the budget ran out; carries the try count and the last reason
     * @throws SshUnavailableException the attempt was cancelled while waiting
     * @throws HostKeyMismatchException at once, on the try that saw the wrong key
     */
    public RemoteShell await(SshTarget target, WaitPolicy policy, Attempt attempt, AttemptListener listener)
            throws SshUnavailableException, HostKeyMismatchException {
        AtomicInteger tries = new AtomicInteger();
        AtomicReference<SshUnavailableException> last = new AtomicReference<>();
        long started = System.nanoTime();
        Optional<RemoteShell> shell;
        try {
            shell = waiter.until("ssh", policy, attempt, failure -> false, () -> {
                int current = tries.incrementAndGet();
                try {
                    RemoteShell opened = connector.connect(target);
                    if (attempt.cancelled()) {
                        opened.close();
                        return Optional.empty();
                    }
                    return Optional.of(opened);
                } catch (SshUnavailableException e) {
                    last.set(e);
                    listener.failed(current, e);
                    return Optional.empty();
                } catch (HostKeyMismatchException e) {
                    throw new Mismatch(e);
                }
            });
        } catch (Mismatch e) {
            throw e.mismatch;
        }
        if (shell.isPresent()) {
            return shell.get();
        }
        if (attempt.cancelled()) {
            throw new SshUnavailableException("stopped waiting for SSH: " + attempt.cancelReason(), null);
        }
        SshUnavailableException reason = last.get() != null ? last.get()
                : new SshUnavailableException("no connection attempt finished", null);
        throw new SshWaitExhaustedException(Math.max(1, tries.get()),
                Duration.ofNanos(System.nanoTime() - started), reason);
    }

    /** Carries the mismatch through the waiter, which takes only unchecked failures. */
    private static final class Mismatch extends RuntimeException {
        private final HostKeyMismatchException mismatch;

        Mismatch(HostKeyMismatchException mismatch) {
            super(mismatch.getMessage(), mismatch, false, false);
            this.mismatch = mismatch;
        }
    }
}
