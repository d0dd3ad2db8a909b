package io.kubevirt.cib.verify.domain.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.events.ImageVerified.Check;
import io.kubevirt.cib.events.ImageVerified.CheckStatus;
import io.kubevirt.cib.events.ImageVerified.FoundVersions;
import io.kubevirt.cib.verify.domain.RemoteShell.ExecResult;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class VerificationOutputParserTest {

    private static final Duration WHOLE = Duration.ofMinutes(40);
    private static final String VERSIONS =
            "CIB-VERSIONS {\"kubernetes\":\"v1.35.0\",\"kubevirt\":\"v1.8.2\",\"cdi\":\"v1.64.0\"}";

    private static String begin(String name) {
        return "CIB-STEP-BEGIN {\"name\":\"" + name + "\",\"timeoutSeconds\":600}";
    }

    private static String step(String name, String status, String evidence) {
        return "CIB-STEP {\"name\":\"" + name + "\",\"status\":\"" + status + "\",\"durationMillis\":1200,"
                + "\"evidence\":\"" + evidence + "\"}";
    }

    private static VerificationOutputParser feed(String... lines) {
        VerificationOutputParser parser = new VerificationOutputParser(VerificationScriptRun.STEPS);
        for (String line : lines) {
            parser.accept(line);
        }
        return parser;
    }

    private static String[] allPassed() {
        return VerificationScriptRun.STEPS.stream()
                .flatMap(s -> List.of(begin(s), "progress of " + s, step(s, "passed", s + " ok")).stream())
                .toArray(String[]::new);
    }

    private static List<String> statuses(VerificationReport report) {
        return report.checks().stream().map(c -> c.name() + "=" + c.status()).collect(Collectors.toList());
    }

    @Test
    void allStepsPassedAndVersionsFound() {
        VerificationOutputParser parser = feed(allPassed());
        parser.accept(VERSIONS);

        VerificationReport report = parser.finish(new ExecResult(0, false), WHOLE);

        assertThat(report.passed()).isTrue();
        assertThat(report.failureReason()).isNull();
        assertThat(report.checks()).extracting(Check::name).containsExactlyElementsOf(VerificationScriptRun.STEPS);
        assertThat(report.checks()).allSatisfy(c -> {
            assertThat(c.status()).isEqualTo(CheckStatus.PASSED);
            assertThat(c.durationMillis()).isEqualTo(1200L);
        });
        assertThat(report.checks().get(3).evidence()).isEqualTo("vmi-running ok");
        assertThat(report.found()).isEqualTo(new FoundVersions("v1.35.0", "v1.8.2", "v1.64.0"));
    }

    @Test
    void aFailedStepFailsTheReportWithItsEvidence() {
        VerificationReport report = feed(begin("node-ready"), step("node-ready", "passed", "ok"),
                step("default-storage-class", "passed", "ok"), step("datavolume-import", "passed", "ok"),
                begin("vmi-running"),
                step("vmi-running", "failed", "timed out after 600s; last: vmi cib-cirros phase=Scheduling"),
                step("guest-booted", "skipped", "not run: vmi-running failed"), step("cleanup", "passed", "deleted"),
                VERSIONS).finish(new ExecResult(1, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason())
                .isEqualTo("step vmi-running failed: timed out after 600s; last: vmi cib-cirros phase=Scheduling");
        assertThat(statuses(report)).containsExactly("node-ready=PASSED", "default-storage-class=PASSED",
                "datavolume-import=PASSED", "vmi-running=FAILED", "guest-booted=SKIPPED", "cleanup=PASSED");
    }

    @Test
    void aStepLineWithBadJsonFailsWithAClearReason() {
        String[] lines = allPassed();
        lines[4] = "CIB-STEP {\"name\":\"default-storage-class\",\"status\":\"passed\",\"evidence\":\"oops}";
        VerificationReport report = feed(lines).finish(new ExecResult(0, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).startsWith("unreadable step result (not a JSON object): CIB-STEP {");
    }

    @Test
    void aStepLineWithAnUnknownStatusOrBadFieldsFails() {
        assertThat(feed(step("node-ready", "done", "x")).finish(new ExecResult(0, false), WHOLE).failureReason())
                .startsWith("unreadable step result (status must be passed, failed or skipped)");
        assertThat(feed("CIB-STEP {\"status\":\"passed\"}").finish(new ExecResult(0, false), WHOLE).failureReason())
                .startsWith("unreadable step result (no step name)");
        assertThat(feed("CIB-STEP {\"name\":\"x\",\"status\":\"passed\",\"durationMillis\":\"soon\"}")
                .finish(new ExecResult(0, false), WHOLE).failureReason())
                .startsWith("unreadable step result (durationMillis must be a whole number >= 0)");
        assertThat(feed("CIB-STEP [1,2]").finish(new ExecResult(0, false), WHOLE).failureReason())
                .startsWith("unreadable step result (not a JSON object)");
    }

    @Test
    void aScriptThatDiesWithoutReportingFails() {
        VerificationReport report = feed("bash: line 1: kubectl: command not found")
                .finish(new ExecResult(127, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).isEqualTo("the script ended with exit status 127 before step node-ready "
                + "reported a result; last output: bash: line 1: kubectl: command not found");
        assertThat(statuses(report)).containsExactly("node-ready=FAILED", "default-storage-class=SKIPPED",
                "datavolume-import=SKIPPED", "vmi-running=SKIPPED", "guest-booted=SKIPPED", "cleanup=SKIPPED");
        assertThat(report.found()).isEqualTo(VerificationReport.NO_VERSIONS);
    }

    @Test
    void aScriptThatExitsZeroButMissesAStepFails() {
        String[] lines = allPassed();
        VerificationReport report = feed(java.util.Arrays.copyOf(lines, lines.length - 3))
                .finish(new ExecResult(0, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).startsWith("the script ended before step cleanup reported a result");
    }

    @Test
    void aTimeoutNamesTheStepThatWasRunning() {
        VerificationReport report = feed(step("node-ready", "passed", "ok"),
                step("default-storage-class", "passed", "ok"), begin("datavolume-import"),
                "datavolume cib-cirros phase=ImportInProgress progress=12%").finish(new ExecResult(null, true), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).startsWith(
                "the whole verification timed out after 2400 s before step datavolume-import reported a result");
        Check running = report.checks().get(2);
        assertThat(running.status()).isEqualTo(CheckStatus.FAILED);
        assertThat(running.evidence()).startsWith("no result: the whole verification timed out after 2400 s");
        assertThat(statuses(report).subList(3, 6)).containsExactly("vmi-running=SKIPPED", "guest-booted=SKIPPED",
                "cleanup=SKIPPED");
    }

    @Test
    void aTimeoutAfterAFailedStepKeepsTheStepFailureFirst() {
        VerificationReport report = feed(step("node-ready", "failed", "kv kubevirt not Available"),
                begin("cleanup")).finish(new ExecResult(null, true), WHOLE);

        assertThat(report.failureReason()).isEqualTo("step node-ready failed: kv kubevirt not Available; then the "
                + "whole verification timed out after 2400 s while cleanup ran");
        assertThat(report.checks().get(5).status()).isEqualTo(CheckStatus.FAILED);
    }

    @Test
    void aLostConnectionFailsTheRunningStep() {
        VerificationOutputParser parser = feed(step("node-ready", "passed", "ok"), begin("default-storage-class"));
        VerificationReport report = parser.connectionLost("SSH connection lost: Broken transport; encountered EOF");

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).startsWith(
                "SSH connection lost: Broken transport; encountered EOF before step default-storage-class");
    }

    @Test
    void aNonZeroExitAfterEveryStepPassedStillFails() {
        VerificationReport report = feed(allPassed()).finish(new ExecResult(2, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).isEqualTo("the script ended with exit status 2 after every step reported");
    }

    @Test
    void evidenceIsRedactedAndCapped() {
        String longEvidence = "x".repeat(2000);
        VerificationReport report = feed(
                step("node-ready", "failed", "token=abc123secret AKIAABCDEFGHIJKLMNOP"),
                step("default-storage-class", "failed", longEvidence)).finish(new ExecResult(1, false), WHOLE);

        assertThat(report.checks().get(0).evidence()).doesNotContain("abc123secret").doesNotContain("AKIA")
                .contains("[REDACTED]");
        assertThat(report.checks().get(1).evidence()).hasSize(VerificationOutputParser.EVIDENCE_LIMIT).endsWith("...");
        assertThat(report.failureReason()).doesNotContain("abc123secret");
    }

    @Test
    void otherLinesAndLookalikesAreIgnored() {
        VerificationOutputParser parser = feed(allPassed());
        parser.accept("echo CIB-STEP {\"name\":\"node-ready\",\"status\":\"failed\"}");
        parser.accept("CIB-STEPS are fun");
        parser.accept("");
        parser.accept(null);
        parser.accept("CIB-VERSIONS not json");

        VerificationReport report = parser.finish(new ExecResult(0, false), WHOLE);

        assertThat(report.passed()).isTrue();
        assertThat(report.found()).isEqualTo(VerificationReport.NO_VERSIONS);
    }

    @Test
    void versionsMayBeNullOrPartial() {
        VerificationOutputParser parser = feed(allPassed());
        parser.accept("CIB-VERSIONS {\"kubernetes\":\"v1.35.0\",\"kubevirt\":null,\"cdi\":\"\"}");

        assertThat(parser.finish(new ExecResult(0, false), WHOLE).found())
                .isEqualTo(new FoundVersions("v1.35.0", null, null));
    }

    @Test
    void aSkippedStepWithoutAnyFailureIsNotAPass() {
        String[] lines = allPassed();
        lines[lines.length - 1] = step("cleanup", "skipped", "why?");

        VerificationReport report = feed(lines).finish(new ExecResult(0, false), WHOLE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failureReason()).isEqualTo("step cleanup was skipped although no step failed");
    }

    @Test
    void unexpectedStepsAreKeptAfterTheExpectedOnes() {
        VerificationOutputParser parser = feed(allPassed());
        parser.accept(step("extra-check", "passed", "fine"));

        VerificationReport report = parser.finish(new ExecResult(0, false), WHOLE);

        assertThat(report.checks()).extracting(Check::name).endsWith("cleanup", "extra-check");
        assertThat(report.passed()).isTrue();
    }
}
