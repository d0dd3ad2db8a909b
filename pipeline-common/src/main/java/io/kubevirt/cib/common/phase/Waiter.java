package io.kubevirt.cib.common.phase;

import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one way the pipeline waits and retries where a cloud SDK has no waiter or retry strategy of its own. Waits
 * end early when the attempt is cancelled, and every wait is measured ({@code cib.wait} by what and result).
 * Implementation: {@code common.wait.GuardedWaiter} (SmallRye Fault Tolerance); tests may use it as is with short
 * policies.
 */
public interface Waiter {

    /**
     * Asks {@code probe} until it has a value. A probe failure that {@code transientFailure} accepts is asked again
     * too; any other is thrown. Empty when the budget ran out or the attempt was cancelled (then
     * {@code attempt.cancelled()} tells which).
     */
    <T> Optional<T> until(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Supplier<Optional<T>> probe);

    /**
     * Runs {@code action} until it succeeds, retrying failures {@code transientFailure} accepts within the policy;
     * throws the last failure when the budget is spent or the attempt was cancelled.
     */
    <T> T retrying(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Supplier<T> action);

    /** Runs {@code action} until it succeeds; see {@link #retrying(String, WaitPolicy, Attempt, Predicate, Supplier)}. */
    default void retrying(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Runnable action) {
        retrying(what, policy, attempt, transientFailure, () -> {
            action.run();
            return Boolean.TRUE;
        });
    }
}
