package io.kubevirt.cib.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A packaged worker ({@code <module>/target/quarkus-app}) as a separate process a test can SIGKILL, for the
 * kill-and-restart tests and the benchmarks. Runs with the workers' production JVM options.
 */
public final class WorkerProcess implements AutoCloseable {

    /** The JVM options of the container images (JAVA_OPTS_APPEND in each worker's Containerfile, bin/local-run). */
    public static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:MaxMetaspaceSize=128m");

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the worker packaged in {@code target/quarkus-app} of the module the test runs in. */
    public static WorkerProcess start(Map<String, String> systemProperties, Map<String, String> env, Path log)
            throws IOException {
        return start(Path.of("target/quarkus-app"), systemProperties, env, log);
    }

    /**
     * Starts the worker packaged in {@code quarkusApp} (e.g. {@code ../build-worker/target/quarkus-app}), for a test
     * that runs several workers, as the local run does; its module must be built before the test's.
     */
    public static WorkerProcess start(Path quarkusApp, Map<String, String> systemProperties, Map<String, String> env,
            Path log) throws IOException {
        Path app = quarkusApp.toAbsolutePath().normalize();
        if (!Files.exists(app.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException("package the worker first (mvn verify builds " + app + ")");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(JVM_OPTIONS);
        if (Files.exists(app.resolve("app-cds.jsa"))) {
            // The archive is only valid for the class path it was dumped with: -jar quarkus-run.jar in that folder.
            command.add("-XX:SharedArchiveFile=app-cds.jsa");
        }
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", "quarkus-run.jar"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(app.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toAbsolutePath().toFile());
        builder.environment().putAll(env);
        return new WorkerProcess(builder.start(), log);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no graceful anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("worker " + pid() + " survived SIGKILL");
        }
    }

    /** Waits for the process to end by itself (e.g. a halt); true if it did within {@code timeout}. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    public void awaitLogLine(String text, Duration timeout) throws IOException, InterruptedException {
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < giveUp) {
            if (output().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("worker exited early:\n" + output());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("worker did not log '" + text + "' within " + timeout + ":\n" + output());
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
