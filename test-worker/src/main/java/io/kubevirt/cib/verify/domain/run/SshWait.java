package io.kubevirt.cib.verify.domain.run;

import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Waits for SSH on a booting instance: SSH comes up only after the first-boot installer, so refused connections,
 * timeouts and failed logins are retried with exponential backoff within a budget. A host key mismatch is never
 * retried: it may be someone else answering.
 */
public final class SshWait {

    /** Sleeps; a test passes one that advances its clock instead. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** Told about each failed attempt, e.g. to log it with the build ID. */
    @FunctionalInterface
    public interface AttemptListener {
        void failed(int attempt, Duration nextDelay, SshUnavailableException reason);
    }

    /**
     * @param initialDelay delay after the first failure, doubled after each further one
     * @param maxDelay cap on the delay
     * @param budget total time from the first attempt; the last attempt starts at the latest at its end
     */
    public record Backoff(Duration initialDelay, Duration maxDelay, Duration budget) {

        public Backoff {
            Objects.requireNonNull(initialDelay, "initialDelay");
            Objects.requireNonNull(maxDelay, "maxDelay");
            Objects.requireNonNull(budget, "budget");
            if (initialDelay.isNegative() || initialDelay.isZero() || maxDelay.compareTo(initialDelay) < 0
                    || budget.isNegative()) {
                throw new IllegalArgumentException("need 0 < initialDelay <= maxDelay and budget >= 0");
            }
        }
    }

    private final SshConnector connector;
    private final Clock clock;
    private final Sleeper sleeper;

    public SshWait(SshConnector connector) {
        this(connector, Clock.systemUTC(), duration -> Thread.sleep(duration.toMillis()));
    }

    public SshWait(SshConnector connector, Clock clock, Sleeper sleeper) {
        this.connector = Objects.requireNonNull(connector);
        this.clock = Objects.requireNonNull(clock);
        this.sleeper = Objects.requireNonNull(sleeper);
    }

    public RemoteShell await(SshTarget target, Backoff backoff)
            throws SshWaitExhaustedException, HostKeyMismatchException, InterruptedException {
        return await(target, backoff, (attempt, next, reason) -> { });
    }

    /**
     * @throws SshWaitExhaustedException the budget ran out; carries the attempt count and the last reason
     * @throws HostKeyMismatchException at once, on the attempt that saw the wrong key
     */
    public RemoteShell await(SshTarget target, Backoff backoff, AttemptListener listener)
            throws SshWaitExhaustedException, HostKeyMismatchException, InterruptedException {
        Instant start = clock.instant();
        Instant deadline = start.plus(backoff.budget());
        Duration delay = backoff.initialDelay();
        int attempts = 0;
        while (true) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("interrupted while waiting for SSH");
            }
            attempts++;
            SshUnavailableException failure;
            try {
                return connector.connect(target);
            } catch (SshUnavailableException e) {
                failure = e;
            }
            Instant now = clock.instant();
            Duration left = Duration.between(now, deadline);
            if (left.isNegative() || left.isZero()) {
                throw new SshWaitExhaustedException(attempts, Duration.between(start, now), failure);
            }
            Duration pause = delay.compareTo(left) < 0 ? delay : left;
            listener.failed(attempts, pause, failure);
            sleeper.sleep(pause);
            delay = delay.multipliedBy(2);
            if (delay.compareTo(backoff.maxDelay()) > 0) {
                delay = backoff.maxDelay();
            }
        }
    }
}
