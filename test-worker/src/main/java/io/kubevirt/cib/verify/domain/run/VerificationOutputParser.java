package io.kubevirt.cib.verify.domain.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.ImageVerified.Check;
import io.kubevirt.cib.events.ImageVerified.CheckStatus;
import io.kubevirt.cib.events.ImageVerified.FoundVersions;
import io.kubevirt.cib.verify.domain.RemoteShell;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the verification script's output, line by line as it streams, and turns it into a {@link VerificationReport}.
 * Only lines that start with a {@code CIB-} marker count; everything else is progress text for the log.
 *
 * <pre>
 * CIB-STEP-BEGIN {"name":"vmi-running","timeoutSeconds":600}
 * CIB-STEP {"name":"vmi-running","status":"failed","durationMillis":600012,"evidence":"..."}
 * CIB-VERSIONS {"kubernetes":"v1.35.0","kubevirt":"v1.8.2","cdi":"v1.64.0"}
 * </pre>
 *
 * A step line that is not valid JSON of that shape fails the verification: a report that cannot be read cannot pass.
 * A versions line that cannot be read only leaves the versions unknown. Evidence is redacted and capped.
 */
public final class VerificationOutputParser {

    public static final String STEP = "CIB-STEP ";
    public static final String STEP_BEGIN = "CIB-STEP-BEGIN ";
    public static final String VERSIONS = "CIB-VERSIONS ";
    public static final int EVIDENCE_LIMIT = 500;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUOTE_LIMIT = 200;

    private final List<String> expectedSteps;
    private final Map<String, Check> reported = new LinkedHashMap<>();
    private String running;
    private String unreadable;
    private FoundVersions versions;
    private String lastOtherLine;

    /** @param expectedSteps the steps the script must report, in order; a missing one fails the verification */
    public VerificationOutputParser(List<String> expectedSteps) {
        this.expectedSteps = List.copyOf(expectedSteps);
    }

    public synchronized void accept(String rawLine) {
        if (rawLine == null) {
            return;
        }
        String line = rawLine.strip();
        if (line.startsWith(STEP_BEGIN)) {
            JsonNode node = readObject(line.substring(STEP_BEGIN.length()));
            if (node != null && node.path("name").isTextual()) {
                running = node.get("name").asText();
            }
        } else if (line.startsWith(STEP)) {
            acceptStep(line);
        } else if (line.startsWith(VERSIONS)) {
            JsonNode node = readObject(line.substring(VERSIONS.length()));
            if (node != null) {
                versions = new FoundVersions(text(node, "kubernetes"), text(node, "kubevirt"), text(node, "cdi"));
            }
        } else if (!line.isEmpty()) {
            lastOtherLine = line;
        }
    }

    private void acceptStep(String line) {
        JsonNode node = readObject(line.substring(STEP.length()));
        String problem = null;
        CheckStatus status = null;
        if (node == null) {
            problem = "not a JSON object";
        } else if (!node.path("name").isTextual() || node.get("name").asText().isBlank()) {
            problem = "no step name";
        } else if ((status = status(node.path("status").asText(null))) == null) {
            problem = "status must be passed, failed or skipped";
        } else if (node.has("durationMillis") && !node.get("durationMillis").isNull()
                && !(node.get("durationMillis").canConvertToLong() && node.get("durationMillis").isIntegralNumber()
                        && node.get("durationMillis").asLong() >= 0)) {
            problem = "durationMillis must be a whole number >= 0";
        } else if (node.has("evidence") && !node.get("evidence").isNull() && !node.get("evidence").isTextual()) {
            problem = "evidence must be a string";
        }
        if (problem != null) {
            if (unreadable == null) {
                unreadable = "unreadable step result (" + problem + "): " + cap(Redactor.redact(line), QUOTE_LIMIT);
            }
            return;
        }
        String name = node.get("name").asText();
        Long duration = node.hasNonNull("durationMillis") ? node.get("durationMillis").asLong() : null;
        reported.put(name, new Check(name, status, duration, evidence(node.path("evidence").asText(""))));
        if (name.equals(running)) {
            running = null;
        }
    }

    /** The script finished (or was stopped by the whole-run timeout). */
    public synchronized VerificationReport finish(RemoteShell.ExecResult result, Duration wholeRunTimeout) {
        if (result.timedOut()) {
            return build("the whole verification timed out after " + wholeRunTimeout.toSeconds() + " s", true);
        }
        if (result.exitCode() == null) {
            return build("the SSH session ended without an exit status", true);
        }
        return build(result.exitCode() == 0 ? null : "the script ended with exit status " + result.exitCode(),
                result.exitCode() != 0);
    }

    /** The connection broke mid-run. */
    public synchronized VerificationReport connectionLost(String reason) {
        return build(cap(Redactor.redact(reason), QUOTE_LIMIT), true);
    }

    /**
     * @param ending why the run ended, when it did not end normally (null for exit status 0)
     * @param abnormal whether the ending alone fails the verification
     */
    private VerificationReport build(String ending, boolean abnormal) {
        Set<String> order = new LinkedHashSet<>(expectedSteps);
        order.addAll(reported.keySet());

        String blamed = running != null && !reported.containsKey(running) ? running : null;
        if (blamed == null) {
            blamed = expectedSteps.stream().filter(s -> !reported.containsKey(s)).findFirst().orElse(null);
        }
        String lastOutput = lastOtherLine == null ? "" : "; last output: " + cap(Redactor.redact(lastOtherLine),
                QUOTE_LIMIT);

        List<Check> checks = new ArrayList<>();
        String firstFailed = null;
        String firstSkipped = null;
        for (String name : order) {
            Check check = reported.get(name);
            if (check == null) {
                if (name.equals(blamed)) {
                    String why = ending != null ? ending : "the script ended";
                    check = new Check(name, CheckStatus.FAILED, null, evidence("no result: " + why + lastOutput));
                } else {
                    check = new Check(name, CheckStatus.SKIPPED, null, "no result reported");
                }
            } else if (check.status() == CheckStatus.FAILED && firstFailed == null) {
                firstFailed = name;
            } else if (check.status() == CheckStatus.SKIPPED && firstSkipped == null) {
                firstSkipped = name;
            }
            checks.add(check);
        }

        String reason = null;
        if (unreadable != null) {
            reason = unreadable;
        } else if (firstFailed != null) {
            reason = "step " + firstFailed + " failed: " + reported.get(firstFailed).evidence();
            if (blamed != null && ending != null && abnormal) {
                reason += "; then " + ending + " while " + blamed + " ran";
            }
        } else if (blamed != null) {
            reason = (ending != null ? ending : "the script ended") + " before step " + blamed + " reported a result"
                    + lastOutput;
        } else if (abnormal) {
            reason = ending + " after every step reported";
        } else if (firstSkipped != null) {
            reason = "step " + firstSkipped + " was skipped although no step failed";
        }
        return new VerificationReport(checks, versions, reason == null, reason);
    }

    private static JsonNode readObject(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            return null;
        }
        return cap(value.asText().strip(), 100);
    }

    private static CheckStatus status(String text) {
        if (text == null) {
            return null;
        }
        switch (text) {
            case "passed":
                return CheckStatus.PASSED;
            case "failed":
                return CheckStatus.FAILED;
            case "skipped":
                return CheckStatus.SKIPPED;
            default:
                return null;
        }
    }

    /** Redacted first, then capped: a cut must not leave half a secret that the redactor no longer recognises. */
    static String evidence(String text) {
        return cap(Redactor.redact(text == null ? "" : text), EVIDENCE_LIMIT);
    }

    static String cap(String text, int limit) {
        if (text == null || text.length() <= limit) {
            return text;
        }
        int cut = limit - 3;
        if (Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        return text.substring(0, cut) + "...";
    }
}
