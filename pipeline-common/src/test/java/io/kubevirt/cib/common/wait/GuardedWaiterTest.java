package io.kubevirt.cib.common.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class GuardedWaiterTest {

    private static final WaitPolicy QUICK = new WaitPolicy(Duration.ofMillis(5), Duration.ofMillis(20),
            Duration.ofMillis(200));

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final GuardedWaiter waiter = new GuardedWaiter(meters);

    @Test
    void untilIsEmptyWhenTheBudgetIsSpentOnEmptyAnswers() {
        AtomicInteger asked = new AtomicInteger();

        Optional<String> found = waiter.until("never", QUICK, Attempt.uncancellable("e"), e -> false, () -> {
            asked.incrementAndGet();
            return Optional.empty();
        });

        assertThat(found).isEmpty();
        assertThat(asked.get()).isGreaterThan(2);
        assertThat(meters.get("cib.wait").tag("what", "never").tag("result", "exhausted").timer().count()).isOne();
    }

    @Test
    void untilReturnsTheValueOnceThereIsOne() {
        AtomicInteger asked = new AtomicInteger();

        Optional<Integer> found = waiter.until("soon", QUICK, Attempt.uncancellable("e"), e -> false,
                () -> asked.incrementAndGet() < 3 ? Optional.empty() : Optional.of(asked.get()));

        assertThat(found).contains(3);
    }

    @Test
    void aMaxDelayAboveTheBudgetIsJustACapNeverReached() {
        WaitPolicy capAboveBudget = new WaitPolicy(Duration.ofMillis(5), Duration.ofSeconds(30), Duration.ofMillis(100));

        assertThat(waiter.until("capped", capAboveBudget, Attempt.uncancellable("e"), e -> false, Optional::empty))
                .isEmpty();
    }

    @Test
    void retryingThrowsTheLastTransientFailureWhenTheBudgetIsSpent() {
        assertThatThrownBy(() -> waiter.retrying("throttled", QUICK, Attempt.uncancellable("e"),
                e -> e instanceof IllegalStateException, () -> {
                    throw new IllegalStateException("throttled");
                })).isInstanceOf(IllegalStateException.class).hasMessage("throttled");
    }
}
