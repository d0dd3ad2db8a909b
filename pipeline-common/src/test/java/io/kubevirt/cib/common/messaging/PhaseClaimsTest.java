package io.kubevirt.cib.common.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.phase.Attempt;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The rebalance side of "replicas never fight", without a broker: revocation cancels and waits. */
class PhaseClaimsTest {

    private static final TopicPartition P0 = new TopicPartition("build.requested", 0);
    private static final TopicPartition P1 = new TopicPartition("build.requested", 1);

    private final PhaseClaims claims = new PhaseClaims(settings(Duration.ofSeconds(5)));

    @Test
    void revokingAPartitionCancelsItsAttemptsAndReturnsOnlyOnceTheyHaveCleanedUp() throws Exception {
        Attempt onRevoked = claims.begin("input-0", 1, P0);
        Attempt onKept = claims.begin("input-1", 1, P1);
        CountDownLatch cancelled = new CountDownLatch(1);
        onRevoked.onCancel(cancelled::countDown);
        // The attempt's thread: notices the cancellation, cleans up for a while, then ends.
        CompletableFuture<Long> cleanedUpAt = CompletableFuture.supplyAsync(() -> {
            try {
                cancelled.await(5, TimeUnit.SECONDS);
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long at = System.nanoTime();
            claims.end(onRevoked);
            return at;
        });

        claims.onPartitionsRevoked(null, List.of(P0));
        long revokeReturnedAt = System.nanoTime();

        assertThat(onRevoked.cancelled()).isTrue();
        assertThat(onRevoked.cancelReason()).contains("revoked");
        assertThat(onKept.cancelled()).isFalse();
        assertThat(revokeReturnedAt).isGreaterThanOrEqualTo(cleanedUpAt.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aRevocationDoesNotWaitLongerThanTheGrace() {
        PhaseClaims impatient = new PhaseClaims(settings(Duration.ofMillis(200)));
        Attempt stuck = impatient.begin("input-0", 1, P0);

        long started = System.nanoTime();
        impatient.onPartitionsLost(null, List.of(P0));

        assertThat(stuck.cancelled()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void anAttemptBegunAfterTheWorkerStartedStoppingIsCancelledAtOnce() {
        claims.onStop(null);

        assertThat(claims.begin("late", 1, P0).cancelled()).isTrue();
        assertThat(claims.lifetime().cancelled()).isTrue();
    }

    static MessagingSettings settings(Duration revokeGrace) {
        return new MessagingSettings() {
            @Override
            public String worker() {
                return "test-worker";
            }

            @Override
            public Duration deliveryTimeout() {
                return Duration.ofSeconds(5);
            }

            @Override
            public Duration retryInitialDelay() {
                return Duration.ofMillis(10);
            }

            @Override
            public Duration retryMaxDelay() {
                return Duration.ofMillis(100);
            }

            @Override
            public int attemptCap() {
                return 3;
            }

            @Override
            public Duration revokeGrace() {
                return revokeGrace;
            }

            @Override
            public Optional<String> instanceId() {
                return Optional.empty();
            }

            @Override
            public Optional<String> haltOnBuildId() {
                return Optional.empty();
            }

            @Override
            public Optional<String> throwOnBuildId() {
                return Optional.empty();
            }
        };
    }
}
