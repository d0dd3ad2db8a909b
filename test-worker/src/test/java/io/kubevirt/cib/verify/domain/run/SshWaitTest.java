package io.kubevirt.cib.verify.domain.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SSH wait on the pipeline's one Waiter, with short real policies. */
@Timeout(30)
class SshWaitTest {

    private static final SshTarget TARGET = new SshTarget("192.0.2.10", 22, "ubuntu",
            new SshIdentity(null, "ecdsa-sha2-nistp256 AAAA"), List.of("ssh-ed25519 AAAA"));
    private static final WaitPolicy QUICK = new WaitPolicy(Duration.ofMillis(10), Duration.ofMillis(40),
            Duration.ofMillis(600));

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final GuardedWaiter waiter = new GuardedWaiter(meters);

    private static final class ScriptedConnector implements SshConnector {
        final List<Object> outcomes;
        volatile int attempts;

        ScriptedConnector(Object... outcomes) {
            this.outcomes = List.of(outcomes);
        }

        @Override
        public RemoteShell connect(SshTarget target) throws SshUnavailableException, HostKeyMismatchException {
            Object outcome = outcomes.get(Math.min(attempts, outcomes.size() - 1));
            attempts++;
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
    void retriesUntilItConnectsAndReportsEachFailure() throws Exception {
        ScriptedConnector connector = new ScriptedConnector(refused(), refused(), refused(), SHELL);
        List<Integer> reported = new ArrayList<>();

        RemoteShell shell = new SshWait(connector, waiter).await(TARGET, QUICK, Attempt.uncancellable("e"),
                (attempt, reason) -> reported.add(attempt));

        assertThat(shell).isSameAs(SHELL);
        assertThat(connector.attempts).isEqualTo(4);
        assertThat(reported).containsExactly(1, 2, 3);
        assertThat(meters.get("cib.wait").tag("what", "ssh").tag("result", "met").timer().count()).isOne();
    }

    @Test
    void givesUpAtTheBudgetWithTheLastReasonAndTheAttemptCount() {
        SshUnavailableException authFailed = new SshUnavailableException(
                "SSH login as ubuntu at 192.0.2.10:22 failed: UserAuthException: Exhausted available authentication"
                        + " methods", null);
        ScriptedConnector connector = new ScriptedConnector(refused(), authFailed);
        long started = System.nanoTime();

        assertThatThrownBy(() -> new SshWait(connector, waiter).await(TARGET, QUICK, Attempt.uncancellable("e")))
                .isInstanceOfSatisfying(SshWaitExhaustedException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(connector.attempts).isGreaterThan(2);
                    assertThat(e.lastReason()).contains("Exhausted available authentication methods");
                    assertThat(e.getMessage()).contains(e.attempts() + " attempts")
                            .contains("Exhausted available authentication methods");
                    assertThat(e.getCause()).isSameAs(authFailed);
                });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(500))
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aHostKeyMismatchIsRethrownAtOnce() {
        HostKeyMismatchException mismatch = new HostKeyMismatchException("server offered SHA256:x; pinned SHA256:y");
        ScriptedConnector connector = new ScriptedConnector(refused(), mismatch, SHELL);

        assertThatThrownBy(() -> new SshWait(connector, waiter).await(TARGET, QUICK, Attempt.uncancellable("e")))
                .isSameAs(mismatch);
        assertThat(connector.attempts).isEqualTo(2);
    }

    @Test
    void aCancelledAttemptEndsTheWaitAtOnce() throws Exception {
        ScriptedConnector connector = new ScriptedConnector(refused());
        Attempt attempt = new Attempt("e", 1);
        WaitPolicy long_ = new WaitPolicy(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMinutes(10));

        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                new SshWait(connector, waiter).await(TARGET, long_, attempt);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        while (connector.attempts < 2) {
            Thread.sleep(10);
        }
        long cancelledAt = System.nanoTime();
        attempt.cancel("partition revoked");

        Throwable ended = waiting.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(2));
        assertThat(ended).isInstanceOf(SshUnavailableException.class).isNotInstanceOf(SshWaitExhaustedException.class)
                .hasMessageContaining("partition revoked");
    }

    @Test
    void aShellOpenedAsTheAttemptIsCancelledIsClosedNotReturned() {
        Attempt attempt = new Attempt("e", 1);
        List<String> closed = new ArrayList<>();
        SshConnector connector = target -> {
            attempt.cancel("worker is stopping");
            return new RemoteShell() {
                @Override
                public ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines) {
                    return new ExecResult(0, false);
                }

                @Override
                public void close() {
                    closed.add("closed");
                }
            };
        };

        assertThatThrownBy(() -> new SshWait(connector, waiter).await(TARGET, QUICK, attempt))
                .isInstanceOf(SshUnavailableException.class);
        assertThat(closed).containsExactly("closed");
    }
}
