package io.kubevirt.cib.verify.crash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged test-worker ({@code target/quarkus-app/quarkus-run.jar}) as a separate process a test can kill.
 * Same as build-worker's crash.WorkerProcess (test sources cannot be shared between the modules yet); only the module
 * differs, since the jar path is relative to the module that runs the test.
 */
public final class TestWorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private TestWorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static TestWorkerProcess start(Map<String, String> systemProperties, Map<String, String> env, Path log)
            throws IOException {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("package the worker first (mvn verify builds " + jar + ")");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        // The JVM options the workers run with (container image JAVA_OPTS_APPEND, bin/local-run).
        List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xmx128m", "-XX:MaxMetaspaceSize=128m"));
        Path cds = Path.of("target/quarkus-app/app-cds.jsa");
        if (Files.exists(cds)) {
            command.add("-XX:SharedArchiveFile=" + cds);
        }
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return new TestWorkerProcess(builder.start(), log);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, so no coordinator.stop() and no terminate in its finally block. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("worker " + pid() + " survived SIGKILL");
        }
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
