package io.kubevirt.cib.verify.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.events.ImageVerified.Check;
import io.kubevirt.cib.events.ImageVerified.CheckStatus;
import io.kubevirt.cib.events.ImageVerified.FoundVersions;
import io.kubevirt.cib.verify.domain.GuestVerifier;
import io.kubevirt.cib.verify.domain.HostKeyMismatchException;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshConnector;
import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.domain.SshTarget;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.kubevirt.cib.verify.domain.run.SshWait;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.kubevirt.cib.verify.domain.run.SshWaitExhaustedException;
import io.kubevirt.cib.verify.domain.run.VerificationReport;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun.StepTimeouts;
import io.kubevirt.cib.verify.testing.LogCapture;
import io.kubevirt.cib.verify.testing.SecretScan;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import io.kubevirt.cib.verify.testing.StandInTargets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole SSH path as the worker drives it: fresh key pair, SshWait over the real sshj connector, the shipped
 * script over {@code sudo -n bash -s}, against MINA and the stand-in cluster, result lines parsed into a report.
 */
@Timeout(90)
class SshVerificationEndToEndTest {

    private static final GuardedWaiter WAITER = new GuardedWaiter(new SimpleMeterRegistry());
    private static final WaitPolicy QUICK = new WaitPolicy(Duration.ofMillis(100), Duration.ofMillis(400),
            Duration.ofSeconds(10));
    /** Small step timeouts so a step that never succeeds fails in seconds; the stand-in answers at once. */
    private static final StepTimeouts TIGHT = new StepTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(10));

    private final SshIdentity identity = SshKeyPairs.generate("e2e");
    private final SshjConnector sshj = new SshjConnector(Duration.ofSeconds(5), Duration.ofSeconds(2));

    /** Counts attempts on the way to the real connector. */
    private static final class Counting implements SshConnector {
        final SshConnector delegate;
        final AtomicInteger attempts = new AtomicInteger();

        Counting(SshConnector delegate) {
            this.delegate = delegate;
        }

        @Override
        public RemoteShell connect(SshTarget target) throws SshUnavailableException, HostKeyMismatchException {
            attempts.incrementAndGet();
            return delegate.connect(target);
        }
    }

    private record Outcome(VerificationReport report, List<String> lines) {
        Check check(String name) {
            return report.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
        }

        List<String> statuses() {
            return report.checks().stream().map(c -> c.name() + "=" + c.status()).collect(Collectors.toList());
        }
    }

    private Outcome verify(String scenario) throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).scenario(scenario).start()) {
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            VerificationReport report;
            try (RemoteShell shell = new SshWait(sshj, WAITER).await(StandInTargets.target(instance, identity), QUICK,
                    Attempt.uncancellable("e"))) {
                report = VerificationScriptRun.shipped(VerificationScriptRun.Settings.forRun("build-" + scenario)
                        .withStepTimeouts(TIGHT).withPollInterval(Duration.ofMillis(100))).run(shell, lines::add);
            }
            assertThat(instance.unsupportedCalls()).as("invocations the stand-ins do not know").isEmpty();
            assertThat(instance.calls()).first().asString().startsWith("sudo -n bash -s -- --run-id build-" + scenario);
            assertThat(instance.stateFileExists("namespace.yaml")).as("namespace left behind").isFalse();
            return new Outcome(report, lines);
        }
    }

    @Test
    void passScenarioPassesEveryStepAndFindsTheVersions() throws Exception {
        Outcome outcome;
        String logs;
        try (LogCapture capture = new LogCapture()) {
            outcome = verify("pass");
            logs = capture.text();
        }

        VerificationReport report = outcome.report();
        assertThat(report.failureReason()).isNull();
        assertThat(report.passed()).isTrue();
        assertThat(outcome.statuses()).containsExactly("node-ready=PASSED", "default-storage-class=PASSED",
                "datavolume-import=PASSED", "vmi-running=PASSED", "guest-booted=PASSED", "cleanup=PASSED");
        assertThat(report.found()).isEqualTo(new FoundVersions("v1.35.0", "v1.8.2", "v1.64.0"));
        assertThat(outcome.check("guest-booted").evidence()).contains("login as 'cirros' user");
        assertThat(outcome.check("cleanup").evidence()).contains("deleted namespace cib-verify-build-pass");
        assertThat(report.checks()).allSatisfy(c -> assertThat(c.durationMillis()).isNotNull());
        // Progress and result lines were streamed, stdout and stderr alike.
        assertThat(outcome.lines()).anyMatch(l -> l.contains("step vmi-running (timeout 2s)"))
                .anyMatch(l -> l.startsWith("CIB-STEP {\"name\":\"cleanup\""))
                .anyMatch(l -> l.equals("namespace/cib-verify-build-pass created"));

        assertThat(logs).as("sshj debug logging was captured").contains("net.schmizz");
        String everything = String.join("\n", outcome.lines()) + report + logs + identity;
        assertThat(SecretScan.findIn(everything, identity.keyPair())).as("private key material in output").isNull();
    }

    @Test
    void aVmThatNeverRunsFailsWithTheVmiEvidence() throws Exception {
        Outcome outcome = verify("vm-never-running");

        assertThat(outcome.report().passed()).isFalse();
        assertThat(outcome.statuses()).containsExactly("node-ready=PASSED", "default-storage-class=PASSED",
                "datavolume-import=PASSED", "vmi-running=FAILED", "guest-booted=SKIPPED", "cleanup=PASSED");
        assertThat(outcome.check("vmi-running").evidence())
                .isEqualTo("timed out after 2s; last: vmi cib-cirros phase=Scheduling; vm printableStatus="
                        + "ErrorUnschedulable");
        assertThat(outcome.check("vmi-running").durationMillis()).isBetween(2000L, 4000L);
        assertThat(outcome.report().failureReason()).startsWith("step vmi-running failed: timed out after 2s");
        assertThat(outcome.report().found().kubevirt()).isEqualTo("v1.8.2");
    }

    @Test
    void aMissingDefaultStorageClassIsCreatedAndRemovedAgain() throws Exception {
        Outcome outcome = verify("no-default-storage-class");

        assertThat(outcome.report().passed()).isTrue();
        assertThat(outcome.check("default-storage-class").evidence())
                .contains("created local-path (local-path-provisioner) as default");
        assertThat(outcome.check("cleanup").evidence()).contains("local-path-provisioner");
    }

    @Test
    void aGuestThatNeverPrintsTheLoginMarkerFails() throws Exception {
        Outcome outcome = verify("guest-silent");

        assertThat(outcome.report().passed()).isFalse();
        assertThat(outcome.check("vmi-running").status()).isEqualTo(CheckStatus.PASSED);
        assertThat(outcome.check("guest-booted").status()).isEqualTo(CheckStatus.FAILED);
        assertThat(outcome.check("guest-booted").evidence()).startsWith("timed out after 3s; last: no login marker");
        assertThat(outcome.check("cleanup").status()).isEqualTo(CheckStatus.PASSED);
    }

    @Test
    void withoutAConsoleLogContainerTheConsoleIsReadWithVirtctl() throws Exception {
        Outcome outcome = verify("no-console-log");

        assertThat(outcome.report().failureReason()).isNull();
        assertThat(outcome.check("guest-booted").evidence()).contains("virtctl console");
    }

    @Test
    void anUnavailableKubevirtFailsTheFirstStepAndSkipsTheRest() throws Exception {
        Outcome outcome = verify("kubevirt-not-available");

        assertThat(outcome.statuses()).containsExactly("node-ready=FAILED", "default-storage-class=SKIPPED",
                "datavolume-import=SKIPPED", "vmi-running=SKIPPED", "guest-booted=SKIPPED", "cleanup=PASSED");
        assertThat(outcome.report().failureReason()).isEqualTo("step node-ready failed: kv kubevirt not Available: "
                + "error: timed out waiting for the condition on kubevirts/kubevirt");
        assertThat(outcome.check("cleanup").evidence()).isEqualTo("nothing was created, nothing to delete");
    }

    @Test
    void theWholeRunTimeoutNamesTheRunningStepAndStillCleansUp() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).scenario("vm-never-running")
                .start(); RemoteShell shell = sshj.connect(StandInTargets.target(instance, identity))) {
            long start = System.nanoTime();
            VerificationReport report = VerificationScriptRun.shipped(VerificationScriptRun.Settings.forRun("slow")
                    .withStepTimeouts(StepTimeouts.all(Duration.ofSeconds(60))).withPollInterval(Duration.ofMillis(100))
                    .withWholeRunTimeout(Duration.ofSeconds(3))).run(shell, line -> { });
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(report.passed()).isFalse();
            assertThat(report.checks().get(3).name()).isEqualTo("vmi-running");
            assertThat(report.checks().get(3).status()).isEqualTo(CheckStatus.FAILED);
            assertThat(report.checks().get(3).evidence()).startsWith("interrupted by SIGTERM; last: vmi cib-cirros "
                    + "phase=Scheduling");
            assertThat(report.failureReason()).startsWith("step vmi-running failed: interrupted by SIGTERM");
            assertThat(report.checks().get(5).status()).isEqualTo(CheckStatus.PASSED);
            assertThat(instance.stateFileExists("namespace.deleted")).isTrue();
            assertThat(tookMs).isBetween(3000L, 8000L);
        }
    }

    @Test
    void aCancelledAttemptAbortsTheRunningScriptWithinSeconds() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).scenario("vm-never-running")
                .start()) {
            Attempt attempt = new Attempt("e", 1);
            SshGuestVerifier verifier = new SshGuestVerifier(sshj, WAITER, QUICK,
                    runId -> VerificationScriptRun.shipped(VerificationScriptRun.Settings.forRun(runId)
                            .withStepTimeouts(StepTimeouts.all(Duration.ofSeconds(60)))
                            .withPollInterval(Duration.ofMillis(100))));
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<GuestVerifier.Result> running = CompletableFuture.supplyAsync(() ->
                    verifier.verify(StandInTargets.target(instance, identity), "cancelled", lines::add, attempt));
            long giveUp = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (lines.stream().noneMatch(l -> l.contains("\"name\":\"datavolume-import\""))) {
                assertThat(System.nanoTime()).as("the script never got to vmi-running").isLessThan(giveUp);
                Thread.sleep(50);
            }

            long cancelled = System.nanoTime();
            attempt.cancel("worker is stopping");
            GuestVerifier.Result result = running.get(15, TimeUnit.SECONDS);

            // Without the cancel, vmi-running would wait its whole 60 s.
            assertThat((System.nanoTime() - cancelled) / 1_000_000).isLessThan(5_000L);
            assertThat(result).isInstanceOfSatisfying(GuestVerifier.Verified.class,
                    v -> assertThat(v.report().passed()).isFalse());
        }
    }

    @Test
    void aMalformedHostKeyFromTheCloudIsARejectedHostKeyNotAnException() {
        SshGuestVerifier verifier = new SshGuestVerifier(sshj, WAITER, QUICK,
                runId -> VerificationScriptRun.shipped(VerificationScriptRun.Settings.forRun(runId)));
        SshTarget target = new SshTarget("127.0.0.1", 1, "cib", identity, List.of("ssh-ed25519"));

        GuestVerifier.Result result = verifier.verify(target, "bad-key", line -> { }, Attempt.uncancellable("e"));

        assertThat(result).isInstanceOfSatisfying(GuestVerifier.HostKeyRejected.class, r -> assertThat(r.reason())
                .contains("host keys the cloud reported").contains("not an OpenSSH public key line"));
    }

    @Test
    void sshThatNeverComesUpGivesUpAfterTheBudgetWithTheReason() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).neverListen().start()) {
            Counting connector = new Counting(sshj);
            long start = System.nanoTime();

            assertThatThrownBy(() -> new SshWait(connector, WAITER).await(StandInTargets.target(instance, identity),
                    new WaitPolicy(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMillis(1500)),
                    Attempt.uncancellable("e")))
                    .isInstanceOfSatisfying(SshWaitExhaustedException.class, e -> {
                        assertThat(e.attempts()).isEqualTo(connector.attempts.get()).isGreaterThan(3);
                        assertThat(e.lastReason()).contains("Connection refused");
                        assertThat(e.getMessage()).startsWith("SSH did not come up within 1 s (");
                    });
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1400L, 4000L);
        }
    }

    @Test
    void sshThatComesUpLateIsWaitedFor() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine())
                .listenAfter(Duration.ofMillis(1200)).start()) {
            Counting connector = new Counting(sshj);
            List<String> failures = new ArrayList<>();

            try (RemoteShell shell = new SshWait(connector, WAITER).await(StandInTargets.target(instance, identity), QUICK,
                    Attempt.uncancellable("e"),
                    (attempt, reason) -> failures.add(reason.getMessage()))) {
                assertThat(shell.run("true", null, Duration.ofSeconds(5), l -> { }).exitCode()).isZero();
            }
            assertThat(connector.attempts.get()).isGreaterThan(2);
            assertThat(failures).allMatch(f -> f.contains("Connection refused"));
        }
    }

    @Test
    void aLoginRefusedUntilTheKeyIsInstalledIsRetried() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine())
                .authorizeAfter(Duration.ofMillis(1000)).start()) {
            List<String> failures = new ArrayList<>();

            try (RemoteShell shell = new SshWait(sshj, WAITER).await(StandInTargets.target(instance, identity), QUICK,
                    Attempt.uncancellable("e"),
                    (attempt, reason) -> failures.add(reason.getMessage()))) {
                assertThat(shell).isNotNull();
            }
            assertThat(failures).isNotEmpty().allMatch(f -> f.contains("SSH login as cib"));
        }
    }

    @Test
    void aHostKeyMismatchIsRefusedOnTheFirstAttempt() throws Exception {
        try (StandInGuest instance = StandInGuest.builder(identity.publicKeyLine()).presentDifferentHostKey()
                .start()) {
            Counting connector = new Counting(sshj);

            assertThatThrownBy(() -> new SshWait(connector, WAITER).await(StandInTargets.target(instance, identity), QUICK, Attempt.uncancellable("e")))
                    .isInstanceOf(HostKeyMismatchException.class).hasMessageContaining("is not one the cloud reported");
            assertThat(connector.attempts.get()).isOne();
            assertThat(instance.sessionsSeen()).isOne();
            assertThat(instance.commandsRun()).isZero();
        }
    }
}
