package io.kubevirt.cib.common.phase;

import java.time.Duration;

/**
 * How long and how often to wait for something: delays grow from {@code initialDelay} by doubling up to
 * {@code maxDelay}, and the whole wait ends after {@code budget}.
 */
public record WaitPolicy(Duration initialDelay, Duration maxDelay, Duration budget) {

    public WaitPolicy {
        if (initialDelay.isNegative() || initialDelay.isZero() || maxDelay.compareTo(initialDelay) < 0
                || budget.compareTo(initialDelay) <= 0) {
            throw new IllegalArgumentException("need 0 < initialDelay <= maxDelay and initialDelay < budget: "
                    + initialDelay + ", " + maxDelay + ", " + budget);
        }
    }
}
