package io.kubevirt.cib.build.packer;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Small helpers for tests that run the real packer / shellcheck / bash. */
final class Exec {

    private Exec() {
    }

    /** Result of a finished command; output is stdout and stderr interleaved. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** The repository root: the first parent of the working directory holding packer/build.pkr.hcl. */
    static Path repoRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("packer").resolve("build.pkr.hcl"))) {
                return p;
            }
        }
        return fail("packer/build.pkr.hcl not found above " + dir);
    }

    static Path packerDir() {
        return repoRoot().resolve("packer");
    }

    static Path installerDir() {
        return packerDir().resolve("installer");
    }

    /** Fails (not skips) when a tool CI is expected to install is missing. */
    static void requireTool(String tool, String... versionArgs) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(tool);
        cmd.addAll(List.of(versionArgs));
        try {
            Result r = run(cmd, Map.of(), null, Duration.ofSeconds(30));
            if (!r.ok()) {
                fail(tool + " is installed but '" + String.join(" ", cmd) + "' failed: " + r.output());
            }
        } catch (UncheckedIOException e) {
            fail(tool + " is not installed (CI installs it: apt-get install -y " + tool + ")", e);
        }
    }

    static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout) {
        return run(command, env, workDir, timeout, e -> { });
    }

    /** Runs a command; envCustomizer may remove inherited variables (e.g. credentials). */
    static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout,
                      Consumer<Map<String, String>> envCustomizer) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        envCustomizer.accept(pb.environment());
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0), e);
        }
        try {
            // Drain in a separate thread so a chatty process cannot block on a full pipe.
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // Process killed: keep what we have.
                }
            });
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                reader.join(5000);
                return fail(String.join(" ", command) + " timed out after " + timeout + ":\n" + out);
            }
            reader.join(5000);
            return new Result(p.exitValue(), out.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return fail("interrupted", e);
        }
    }
}
