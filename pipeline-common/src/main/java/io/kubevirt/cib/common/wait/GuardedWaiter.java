package io.kubevirt.cib.common.wait;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.faulttolerance.api.TypedGuard;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.FaultToleranceException;

/**
 * {@link Waiter} on SmallRye Fault Tolerance's retry (exponential backoff, a total budget), plus what it lacks:
 * cancellation by the {@link Attempt} (it interrupts the waiting thread, and only while that thread waits here) and
 * metrics ({@code cib.wait} timer by what and result, {@code cib.wait.retries} counter by what).
 */
public final class GuardedWaiter implements Waiter {

    private final MeterRegistry meters;

    public GuardedWaiter(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public <T> Optional<T> until(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Supplier<Optional<T>> probe) {
        try {
            return run(what, policy, attempt, transientFailure, probe, true);
        } catch (Cancelled e) {
            return Optional.empty();
        }
    }

    @Override
    public <T> T retrying(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Supplier<T> action) {
        return run(what, policy, attempt, transientFailure, action, false);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T> T run(String what, WaitPolicy policy, Attempt attempt, Predicate<Throwable> transientFailure,
            Supplier<T> action, boolean retryEmpty) {
        Counter retries = Counter.builder("cib.wait.retries").tag("what", what).register(meters);
        TypedGuard.Builder.RetryBuilder<Object> retry = TypedGuard.create(Object.class).withRetry()
                .maxRetries(-1)
                .delay(policy.initialDelay().toMillis(), ChronoUnit.MILLIS)
                .maxDuration(policy.budget().toMillis(), ChronoUnit.MILLIS)
                .jitter(0, ChronoUnit.MILLIS)
                .whenException(e -> !(e instanceof Cancelled) && transientFailure.test(e))
                .onRetry(retries::increment)
                .withExponentialBackoff().factor(2)
                // SmallRye refuses a max delay not below the budget, which WaitPolicy allows (a cap never reached).
                .maxDelay(Math.min(policy.maxDelay().toMillis(), policy.budget().toMillis() - 1), ChronoUnit.MILLIS)
                .done();
        if (retryEmpty) {
            retry = retry.whenResult(r -> r instanceof Optional<?> o && o.isEmpty() && !attempt.cancelled());
        }
        TypedGuard<Object> guard = retry.done().build();

        AtomicReference<RuntimeException> lastFailure = new AtomicReference<>();
        Thread waiting = Thread.currentThread();
        AtomicBoolean inside = new AtomicBoolean(true);
        Timer.Sample sample = Timer.start(meters);
        String result = "failed";
        try (Attempt.Registration ignored = attempt.onCancel(() -> {
            synchronized (inside) {
                if (inside.get()) {
                    waiting.interrupt();
                }
            }
        })) {
            Object value = guard.call(() -> {
                if (attempt.cancelled()) {
                    throw new Cancelled();
                }
                try {
                    Object answer = action.get();
                    lastFailure.set(null);
                    return answer;
                } catch (RuntimeException e) {
                    lastFailure.set(e);
                    throw e;
                }
            });
            result = value instanceof Optional<?> o && o.isEmpty() ? "exhausted" : "met";
            return (T) value;
        } catch (InterruptedException | Cancelled e) {
            result = "cancelled";
            throw new Cancelled();
        } catch (FaultToleranceException e) {
            // The budget ran out: a poll ends empty, a retried action with its own last failure.
            if (attempt.cancelled()) {
                result = "cancelled";
                throw new Cancelled();
            }
            result = "exhausted";
            if (retryEmpty && lastFailure.get() == null) {
                return (T) Optional.empty();
            }
            throw lastFailure.get() != null ? lastFailure.get()
                    : new IllegalStateException(what + " did not succeed within " + policy.budget());
        } catch (RuntimeException e) {
            result = attempt.cancelled() ? "cancelled" : "failed";
            throw attempt.cancelled() ? new Cancelled() : e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            synchronized (inside) {
                inside.set(false);
                if (attempt.cancelled()) {
                    // Our own interrupt: clear it so that the attempt's cleanup (cloud calls) still works.
                    Thread.interrupted();
                }
            }
            sample.stop(Timer.builder("cib.wait").tag("what", what).tag("result", result).register(meters));
        }
    }

    /** The attempt was cancelled while waiting. */
    public static final class Cancelled extends RuntimeException {

        public Cancelled() {
            super("cancelled", null, false, false);
        }
    }
}
