package io.kubevirt.cib.verify.domain.run;

import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Runs the shipped verification script ({@value #SCRIPT_RESOURCE}) over an SSH session: the script text goes to
 * {@code bash -s} on stdin (nothing is left on the instance), every output line is redacted and handed to the caller
 * as it arrives, and the {@code CIB-} result lines become a {@link VerificationReport}.
 */
public final class VerificationScriptRun {

    public static final String SCRIPT_RESOURCE = "/verify/verify-image.sh";
    /** The steps the script reports, in order. */
    public static final List<String> STEPS = List.of("node-ready", "default-storage-class", "datavolume-import",
            "vmi-running", "guest-booted", "cleanup");
    /** Added to the sum of the step timeouts for the whole run: versions, process start, slack. */
    public static final Duration WHOLE_RUN_MARGIN = Duration.ofMinutes(2);

    /** Per-step limits, passed to the script as {@code --timeout-<step>} in whole seconds. */
    public record StepTimeouts(Duration nodeReady, Duration storageClass, Duration dataVolumeImport,
            Duration vmiRunning, Duration guestBooted, Duration cleanup) {

        public StepTimeouts {
            for (Duration d : List.of(nodeReady, storageClass, dataVolumeImport, vmiRunning, guestBooted, cleanup)) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("step timeouts must be positive");
                }
            }
        }

        /** The script's own defaults: generous, because a nested or emulated VM boots slowly. */
        public static StepTimeouts defaults() {
            return new StepTimeouts(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(15),
                    Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofMinutes(5));
        }

        public static StepTimeouts all(Duration each) {
            return new StepTimeouts(each, each, each, each, each, each);
        }

        public Duration total() {
            return nodeReady.plus(storageClass).plus(dataVolumeImport).plus(vmiRunning).plus(guestBooted)
                    .plus(cleanup);
        }
    }

    /**
     * @param runId unique per verification (e.g. build ID plus attempt); names the namespace the script creates
     * @param imageUrl cirros disk to import; null for the script's default (cirros 0.6.3)
     * @param wholeRunTimeout null for the step timeouts' sum plus {@link #WHOLE_RUN_MARGIN}
     * @param sudo run as root via {@code sudo -n}: the kubeconfig on the image is root's
     */
    public record Settings(String runId, String namespace, String imageUrl, StepTimeouts stepTimeouts,
            Duration pollInterval, Duration wholeRunTimeout, boolean sudo) {

        public Settings {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(stepTimeouts, "stepTimeouts");
            Objects.requireNonNull(pollInterval, "pollInterval");
            if (!namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
                throw new IllegalArgumentException("namespace is not a DNS-1123 label: " + namespace);
            }
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive");
            }
        }

        public static Settings forRun(String runId) {
            return new Settings(scriptRunId(runId), namespaceFor(runId), null, StepTimeouts.defaults(),
                    Duration.ofSeconds(5), null, true);
        }

        public Settings withImageUrl(String url) {
            return new Settings(runId, namespace, url, stepTimeouts, pollInterval, wholeRunTimeout, sudo);
        }

        public Settings withStepTimeouts(StepTimeouts timeouts) {
            return new Settings(runId, namespace, imageUrl, timeouts, pollInterval, wholeRunTimeout, sudo);
        }

        public Settings withPollInterval(Duration interval) {
            return new Settings(runId, namespace, imageUrl, stepTimeouts, interval, wholeRunTimeout, sudo);
        }

        public Settings withWholeRunTimeout(Duration timeout) {
            return new Settings(runId, namespace, imageUrl, stepTimeouts, pollInterval, timeout, sudo);
        }

        public Settings withSudo(boolean useSudo) {
            return new Settings(runId, namespace, imageUrl, stepTimeouts, pollInterval, wholeRunTimeout, useSudo);
        }

        public Duration effectiveWholeRunTimeout() {
            return wholeRunTimeout != null ? wholeRunTimeout : stepTimeouts.total().plus(WHOLE_RUN_MARGIN);
        }
    }

    private final String script;
    private final Settings settings;

    public VerificationScriptRun(String script, Settings settings) {
        this.script = Objects.requireNonNull(script, "script");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public static VerificationScriptRun shipped(Settings settings) {
        return new VerificationScriptRun(shippedScript(), settings);
    }

    public static String shippedScript() {
        try (InputStream in = VerificationScriptRun.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT_RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The remote command line; the script itself arrives on stdin. */
    public String command() {
        List<String> words = new ArrayList<>();
        if (settings.sudo()) {
            words.add("sudo");
            words.add("-n");
        }
        words.addAll(List.of("bash", "-s", "--", "--run-id", settings.runId(), "--namespace", settings.namespace()));
        if (settings.imageUrl() != null) {
            words.add("--image-url");
            words.add(settings.imageUrl());
        }
        StepTimeouts t = settings.stepTimeouts();
        addSeconds(words, "--timeout-node-ready", t.nodeReady());
        addSeconds(words, "--timeout-storage-class", t.storageClass());
        addSeconds(words, "--timeout-import", t.dataVolumeImport());
        addSeconds(words, "--timeout-vmi-running", t.vmiRunning());
        addSeconds(words, "--timeout-guest-booted", t.guestBooted());
        addSeconds(words, "--timeout-cleanup", t.cleanup());
        words.add("--poll-interval");
        words.add(BigDecimal.valueOf(settings.pollInterval().toMillis(), 3).stripTrailingZeros().toPlainString());
        return ShellWords.join(words);
    }

    /**
     * Never throws for a failed verification or a lost connection: both become a failed report.
     *
     * @param lines receives every output line (stdout and stderr), redacted, as it arrives
     */
    public VerificationReport run(RemoteShell shell, Consumer<String> lines) {
        VerificationOutputParser parser = new VerificationOutputParser(STEPS);
        Consumer<String> sink = line -> {
            // The raw line is parsed (redacting first could break its JSON); the evidence is redacted on the way out.
            parser.accept(line);
            lines.accept(Redactor.redact(line));
        };
        Duration timeout = settings.effectiveWholeRunTimeout();
        RemoteShell.ExecResult result;
        try {
            result = shell.run(command(), script, timeout, sink);
        } catch (SshUnavailableException e) {
            return parser.connectionLost("SSH connection lost: " + e.getMessage());
        }
        return parser.finish(result, timeout);
    }

    public Settings settings() {
        return settings;
    }

    /** {@code cib-verify-<run id>}, lower-cased and cut to a DNS-1123 label (63 characters). */
    public static String namespaceFor(String runId) {
        String id = runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        String name = ("cib-verify-" + id).replaceAll("-{2,}", "-");
        if (name.length() > 63) {
            name = name.substring(0, 63);
        }
        name = name.replaceAll("-+$", "");
        if (name.equals("cib-verify")) {
            throw new IllegalArgumentException("run id has nothing usable for a namespace: " + runId);
        }
        return name;
    }

    /** The script takes 1-63 of {@code [A-Za-z0-9._-]}, alphanumeric at both ends (it is also a label value). */
    static String scriptRunId(String runId) {
        String id = runId.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[^A-Za-z0-9]+", "");
        id = id.length() > 63 ? id.substring(0, 63) : id;
        id = id.replaceAll("[^A-Za-z0-9]+$", "");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("run id has nothing usable: " + runId);
        }
        return id;
    }

    private static void addSeconds(List<String> words, String flag, Duration duration) {
        words.add(flag);
        words.add(Long.toString(Math.max(1, (duration.toMillis() + 999) / 1000)));
    }
}
