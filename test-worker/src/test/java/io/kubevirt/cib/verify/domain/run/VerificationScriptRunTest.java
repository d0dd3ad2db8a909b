package io.kubevirt.cib.verify.domain.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.events.ImageVerified.CheckStatus;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class VerificationScriptRunTest {

    /** Replays canned output and records what it was asked to run. */
    private static final class CannedShell implements RemoteShell {
        final List<String> output;
        final ExecResult result;
        final SshUnavailableException failure;
        String command;
        String stdin;
        Duration timeout;

        CannedShell(List<String> output, ExecResult result, SshUnavailableException failure) {
            this.output = output;
            this.result = result;
            this.failure = failure;
        }

        @Override
        public ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines)
                throws SshUnavailableException {
            this.command = command;
            this.stdin = stdin;
            this.timeout = timeout;
            output.forEach(lines);
            if (failure != null) {
                throw failure;
            }
            return result;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void theCommandCarriesTheSettingsAndTheScriptGoesToStdin() {
        VerificationScriptRun.Settings settings = VerificationScriptRun.Settings.forRun("b-42/Attempt 1")
                .withImageUrl("http://mirror.example/cirros it's.img")
                .withStepTimeouts(VerificationScriptRun.StepTimeouts.all(Duration.ofMillis(1500)))
                .withPollInterval(Duration.ofMillis(250));
        CannedShell shell = new CannedShell(List.of(), new RemoteShell.ExecResult(1, false), null);

        VerificationScriptRun.shipped(settings).run(shell, line -> { });

        assertThat(shell.command).isEqualTo("sudo -n bash -s -- --run-id b-42-Attempt-1 --namespace "
                + "cib-verify-b-42-attempt-1 --image-url 'http://mirror.example/cirros it'\"'\"'s.img' "
                + "--timeout-node-ready 2 --timeout-storage-class 2 --timeout-import 2 --timeout-vmi-running 2 "
                + "--timeout-guest-booted 2 --timeout-cleanup 2 --poll-interval 0.25");
        assertThat(shell.stdin).isEqualTo(VerificationScriptRun.shippedScript()).startsWith("#!/usr/bin/env bash");
        assertThat(shell.timeout).isEqualTo(Duration.ofMillis(9000).plus(VerificationScriptRun.WHOLE_RUN_MARGIN));
    }

    @Test
    void defaultsMatchTheScript() {
        VerificationScriptRun.Settings settings = VerificationScriptRun.Settings.forRun("b1");

        assertThat(new VerificationScriptRun("#", settings).command()).isEqualTo("sudo -n bash -s -- --run-id b1 "
                + "--namespace cib-verify-b1 --timeout-node-ready 600 --timeout-storage-class 300 --timeout-import 900"
                + " --timeout-vmi-running 600 --timeout-guest-booted 600 --timeout-cleanup 300 --poll-interval 5");
        assertThat(settings.effectiveWholeRunTimeout()).isEqualTo(Duration.ofMinutes(57));
        assertThat(settings.withWholeRunTimeout(Duration.ofMinutes(5)).effectiveWholeRunTimeout())
                .isEqualTo(Duration.ofMinutes(5));
        assertThat(new VerificationScriptRun("#", settings.withSudo(false)).command()).startsWith("bash -s -- ");
    }

    @Test
    void namespacesAreValidLabels() {
        assertThat(VerificationScriptRun.namespaceFor("01HZX5-ABC_def.7")).isEqualTo("cib-verify-01hzx5-abc-def-7");
        assertThat(VerificationScriptRun.Settings.forRun("_b.1/x-").runId()).isEqualTo("b.1-x");
        assertThat(VerificationScriptRun.namespaceFor("-lead--trail-")).isEqualTo("cib-verify-lead-trail");
        assertThat(VerificationScriptRun.namespaceFor("x".repeat(100))).hasSize(63);
        assertThat(VerificationScriptRun.namespaceFor("a".repeat(51) + "----b")).doesNotEndWith("-");
        assertThatThrownBy(() -> VerificationScriptRun.namespaceFor("///"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VerificationScriptRun.Settings("r", "Bad_NS", null,
                VerificationScriptRun.StepTimeouts.defaults(), Duration.ofSeconds(1), null, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void linesAreRedactedBeforeTheyReachTheCaller() {
        List<String> seen = new ArrayList<>();
        CannedShell shell = new CannedShell(List.of("export AWS_SECRET_ACCESS_KEY=abcdefghijklmnop",
                "CIB-STEP {\"name\":\"node-ready\",\"status\":\"failed\",\"durationMillis\":1,"
                        + "\"evidence\":\"password=hunter22\"}"), new RemoteShell.ExecResult(1, false), null);

        VerificationReport report = new VerificationScriptRun("#", VerificationScriptRun.Settings.forRun("r"))
                .run(shell, seen::add);

        assertThat(String.join("\n", seen)).doesNotContain("abcdefghijklmnop").doesNotContain("hunter22");
        assertThat(report.checks().get(0).evidence()).isEqualTo("password=[REDACTED]");
        assertThat(report.failureReason()).doesNotContain("hunter22");
    }

    @Test
    void aLostConnectionIsAFailedReportNotAnException() {
        CannedShell shell = new CannedShell(List.of("CIB-STEP-BEGIN {\"name\":\"node-ready\"}"), null,
                new SshUnavailableException("SSH connection to 10.0.0.5:22 lost while a command ran", null));

        VerificationReport report = new VerificationScriptRun("#", VerificationScriptRun.Settings.forRun("r"))
                .run(shell, line -> { });

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).startsWith("SSH connection lost: SSH connection to 10.0.0.5:22 lost");
        assertThat(report.checks().get(0).status()).isEqualTo(CheckStatus.FAILED);
    }

    @Test
    void shellWordsQuoteWhatNeedsIt() {
        assertThat(ShellWords.join(List.of("a", "b c", "it's", "", "$HOME", "x=1,y"))).isEqualTo(
                "a 'b c' 'it'\"'\"'s' '' '$HOME' x=1,y");
    }
}
