package io.kubevirt.cib.verify.domain.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SshWaitTest {

    private static final SshTarget TARGET = new SshTarget("192.0.2.10", 22, "ubuntu",
            new SshIdentity(null, "ecdsa-sha2-nistp256 AAAA"), List.of("ssh-ed25519 AAAA"));
    private static final SshWait.Backoff BACKOFF = new SshWait.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8),
            Duration.ofSeconds(60));

    /** A clock that only moves when the sleeper sleeps, or a connect attempt "takes" time. */
    private static final class FakeTime extends Clock {
        Instant now = Instant.parse("2026-11-23T10:00:00Z");
        final List<Duration> sleeps = new ArrayList<>();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void sleep(Duration d) {
            sleeps.add(d);
            now = now.plus(d);
        }
    }

    private static final class ScriptedConnector implements SshConnector {
        final List<Object> outcomes;
        final FakeTime time;
        final Duration attemptCost;
        int attempts;

        ScriptedConnector(FakeTime time, Duration attemptCost, Object... outcomes) {
            this.time = time;
            this.attemptCost = attemptCost;
            this.outcomes = List.of(outcomes);
        }

        @Override
        public RemoteShell connect(SshTarget target) throws SshUnavailableException, HostKeyMismatchException {
            Object outcome = outcomes.get(Math.min(attempts, outcomes.size() - 1));
            attempts++;
            time.now = time.now.plus(attemptCost);
            if (outcome instanceof SshUnavailableException) {
                throw (SshUnavailableException) outcome;
            }
            if (outcome instanceof HostKeyMismatchException) {
                throw (HostKeyMismatchException) outcome;
            }
            return (RemoteShell) outcome;
        }
    }

    private static final RemoteShell SHELL = new RemoteShell() {
        @Override
        public ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines) {
            return new ExecResult(0, false);
        }

        @Override
        public void close() {
        }
    };

    private static SshUnavailableException refused() {
        return new SshUnavailableException("cannot open SSH to 192.0.2.10:22: ConnectException: Connection refused",
                null);
    }

    @Test
    void retriesWithDoublingDelaysUntilItConnects() throws Exception {
        FakeTime time = new FakeTime();
        ScriptedConnector connector = new ScriptedConnector(time, Duration.ZERO, refused(), refused(), refused(),
                refused(), refused(), SHELL);
        List<Integer> reported = new ArrayList<>();

        RemoteShell shell = new SshWait(connector, time, time::sleep).await(TARGET, BACKOFF,
                (attempt, next, reason) -> reported.add(attempt));

        assertThat(shell).isSameAs(SHELL);
        assertThat(connector.attempts).isEqualTo(6);
        assertThat(time.sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8), Duration.ofSeconds(8));
        assertThat(reported).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void givesUpAtTheBudgetWithTheLastReasonAndTheAttemptCount() {
        FakeTime time = new FakeTime();
        SshUnavailableException authFailed = new SshUnavailableException(
                "SSH login as ubuntu at 192.0.2.10:22 failed: UserAuthException: Exhausted available authentication"
                        + " methods", null);
        ScriptedConnector connector = new ScriptedConnector(time, Duration.ofMillis(500), refused(), authFailed);

        assertThatThrownBy(() -> new SshWait(connector, time, time::sleep).await(TARGET, BACKOFF))
                .isInstanceOfSatisfying(SshWaitExhaustedException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(connector.attempts);
                    assertThat(e.lastReason()).contains("Exhausted available authentication methods");
                    assertThat(e.getMessage()).contains("within 60 s").contains(e.attempts() + " attempts")
                            .contains("Exhausted available authentication methods");
                    assertThat(e.getCause()).isSameAs(authFailed);
                    assertThat(e).isInstanceOf(SshUnavailableException.class);
                });
        // 1+2+4+8+8+8+8+8 (+ 0.5 s per attempt) = the budget; the last pause is cut to what was left.
        assertThat(time.sleeps.stream().reduce(Duration.ZERO, Duration::plus)
                .plus(Duration.ofMillis(500).multipliedBy(connector.attempts)))
                .isBetween(Duration.ofSeconds(60), Duration.ofSeconds(61));
        assertThat(time.sleeps).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(8)));
    }

    @Test
    void aHostKeyMismatchIsRethrownAtOnce() {
        FakeTime time = new FakeTime();
        HostKeyMismatchException mismatch = new HostKeyMismatchException("server offered SHA256:x; pinned SHA256:y");
        ScriptedConnector connector = new ScriptedConnector(time, Duration.ZERO, refused(), mismatch, SHELL);

        assertThatThrownBy(() -> new SshWait(connector, time, time::sleep).await(TARGET, BACKOFF))
                .isSameAs(mismatch);
        assertThat(connector.attempts).isEqualTo(2);
        assertThat(time.sleeps).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void aZeroBudgetMeansOneAttempt() {
        FakeTime time = new FakeTime();
        ScriptedConnector connector = new ScriptedConnector(time, Duration.ZERO, refused());

        assertThatThrownBy(() -> new SshWait(connector, time, time::sleep)
                .await(TARGET, new SshWait.Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO)))
                .isInstanceOfSatisfying(SshWaitExhaustedException.class, e -> assertThat(e.attempts()).isOne());
        assertThat(time.sleeps).isEmpty();
    }

    @Test
    void anInterruptedSleepEndsTheWait() {
        FakeTime time = new FakeTime();
        ScriptedConnector connector = new ScriptedConnector(time, Duration.ZERO, refused());

        assertThatThrownBy(() -> new SshWait(connector, time, d -> {
            throw new InterruptedException("shutting down");
        }).await(TARGET, BACKOFF)).isInstanceOf(InterruptedException.class);
    }

    @Test
    void rejectsNonsenseBackoff() {
        assertThatThrownBy(() -> new SshWait.Backoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SshWait.Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1),
                Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    }
}
