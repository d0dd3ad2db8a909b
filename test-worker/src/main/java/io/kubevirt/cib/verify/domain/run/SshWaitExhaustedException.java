package io.kubevirt.cib.verify.domain.run;

import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.time.Duration;

/** SSH never came up within the budget. The message names the budget, the attempts and the last reason. */
public class SshWaitExhaustedException extends SshUnavailableException {

    private final int attempts;
    private final Duration waited;
    private final String lastReason;

    public SshWaitExhaustedException(int attempts, Duration waited, SshUnavailableException last) {
        super("SSH did not come up within " + waited.toSeconds() + " s (" + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + "); last: " + last.getMessage(), last);
        this.attempts = attempts;
        this.waited = waited;
        this.lastReason = last.getMessage();
    }

    public int attempts() {
        return attempts;
    }

    public Duration waited() {
        return waited;
    }

    public String lastReason() {
        return lastReason;
    }
}
