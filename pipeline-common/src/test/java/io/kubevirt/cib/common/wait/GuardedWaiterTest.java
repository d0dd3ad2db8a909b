package io.kubevirt.cib.common.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GuardedWaiterTest {

    private static final WaitPolicy QUICK = new WaitPolicy(Duration.ofMillis(10), Duration.ofMillis(40),
            Duration.ofSeconds(2));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final GuardedWaiter waiter = new GuardedWaiter(meters);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void pollsUntilTheProbeHasAValueAndCountsTheRetries() {
        AtomicInteger asked = new AtomicInteger();

        Optional<String> value = waiter.until("host-keys", QUICK, Attempt.uncancellable("i"), e -> false,
                () -> asked.incrementAndGet() < 4 ? Optional.empty() : Optional.of("keys"));

        assertThat(value).contains("keys");
        assertThat(asked).hasValue(4);
        assertThat(meters.counter("cib.wait.retries", "what", "host-keys").count()).isEqualTo(3);
        assertThat(meters.timer("cib.wait", "what", "host-keys", "result", "met").count()).isEqualTo(1);
    }

    @Test
    void givesUpEmptyWhenTheBudgetIsSpent() {
        WaitPolicy short_ = new WaitPolicy(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(150));

        long started = System.nanoTime();
        Optional<String> value = waiter.until("never", short_, Attempt.uncancellable("i"), e -> false, Optional::empty);

        assertThat(value).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void retriesTransientFailuresAndThrowsOthersAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        String result = waiter.retrying("terminate", QUICK, Attempt.uncancellable("i"),
                e -> e instanceof IllegalStateException, () -> {
                    if (calls.incrementAndGet() < 3) {
                        throw new IllegalStateException("throttled");
                    }
                    return "done";
                });
        assertThat(result).isEqualTo("done");

        AtomicInteger permanent = new AtomicInteger();
        assertThatThrownBy(() -> waiter.retrying("terminate", QUICK, Attempt.uncancellable("i"),
                e -> e instanceof IllegalStateException, () -> {
                    permanent.incrementAndGet();
                    throw new IllegalArgumentException("no such instance");
                })).isInstanceOf(IllegalArgumentException.class);
        assertThat(permanent).hasValue(1);
    }

    @Test
    void aCancelledAttemptEndsTheWaitPromptlyAndLeavesNoInterruptBehind() {
        Attempt attempt = new Attempt("i", 1);
        WaitPolicy long_ = new WaitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofHours(1));
        timer.schedule(() -> attempt.cancel("worker stopping"), 200, TimeUnit.MILLISECONDS);

        long started = System.nanoTime();
        Optional<String> value = waiter.until("ssh", long_, attempt, e -> false, Optional::empty);

        assertThat(value).isEmpty();
        assertThat(attempt.cancelled()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(meters.timer("cib.wait", "what", "ssh", "result", "cancelled").count()).isEqualTo(1);
    }

    @Test
    void aMaxDelayAboveTheBudgetIsJustACapNeverReached() {
        WaitPolicy capAboveBudget = new WaitPolicy(Duration.ofMillis(5), Duration.ofSeconds(30), Duration.ofMillis(100));

        assertThat(waiter.until("capped", capAboveBudget, Attempt.uncancellable("e"), e -> false, Optional::empty))
                .isEmpty();
    }

    @Test
    void retryingThrowsTheLastTransientFailureWhenTheBudgetIsSpent() {
        WaitPolicy short_ = new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(200));
        assertThatThrownBy(() -> waiter.retrying("throttled", short_, Attempt.uncancellable("e"),
                e -> e instanceof IllegalStateException, () -> {
                    throw new IllegalStateException("throttled");
                })).isInstanceOf(IllegalStateException.class).hasMessage("throttled");
    }
}
