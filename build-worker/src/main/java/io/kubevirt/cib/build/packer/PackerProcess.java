package io.kubevirt.cib.build.packer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * One {@code packer build} child process. Stops the way Packer wants to be stopped: SIGTERM, so it deletes its
 * temporary instance, security group and key pair ("Cleanly cancelled builds"), then SIGKILL only after a grace
 * period. (Packer 1.6.6 ignores a SIGINT sent to its pid alone: its wrapper expects SIGINT from the terminal's whole
 * process group. SIGTERM is honoured; tried here.)
 *
 * <p>Packer is started under {@code setpriv --pdeathsig TERM} when available, so that if this JVM is killed outright
 * (SIGKILL, OOM) but Packer is not, Packer still gets SIGTERM and cleans up instead of running on as an orphan that
 * would finish a second image behind the restarted worker's back.
 *
 * <p>All waiting is {@link Process#waitFor(long, TimeUnit)}; the SIGKILL after the grace is one delayed task.
 */
final class PackerProcess {

    private static final Logger LOG = Logger.getLogger(PackerProcess.class);
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    /** After SIGKILL, the kernel ends the process at once; this only bounds a wait that should never be needed. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(10);

    enum Ending { EXITED, TIMED_OUT, INTERRUPTED }

    record Exit(Ending ending, int exitCode) {
    }

    private final Process process;
    private final Duration grace;
    private volatile boolean interruptRequested;
    private volatile CompletableFuture<Void> killer;

    private PackerProcess(Process process, Duration grace) {
        this.process = process;
        this.grace = grace;
    }

    /** {@code grace}: how long Packer may clean up after SIGTERM before it gets SIGKILL. */
    static PackerProcess start(List<String> packerCommand, Path workDir, Map<String, String> env, Duration grace)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(SETPRIV)) {
            command.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "TERM", "--"));
        }
        command.addAll(packerCommand);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toAbsolutePath().toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        return new PackerProcess(builder.start(), grace);
    }

    long pid() {
        return process.pid();
    }

    /**
     * Asks Packer to stop and clean up (SIGTERM), and schedules SIGKILL after the grace; {@link #awaitExit} then
     * reports INTERRUPTED. Returns at once: safe from an attempt's cancel callback.
     */
    void interrupt() {
        interruptRequested = true;
        terminate();
    }

    /**
     * Feeds every output line to {@code lines} (on a reader thread) until Packer exits. Past {@code deadline} Packer
     * is stopped as by {@link #interrupt}, and the exit reads TIMED_OUT.
     */
    Exit awaitExit(Instant deadline, Consumer<String> lines) throws IOException, InterruptedException {
        CompletableFuture<Void> output = CompletableFuture.runAsync(() -> pump(lines),
                runnable -> newThread(runnable, "packer-output-" + process.pid()).start());
        boolean timedOut = false;
        long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
        if (!process.waitFor(left, TimeUnit.MILLISECONDS)) {
            if (!interruptRequested) {
                timedOut = true;
                LOG.warnf("packer %d passed its deadline; interrupting it", process.pid());
            }
            terminate();
            if (!process.waitFor(grace.plus(AFTER_KILL).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("packer " + process.pid() + " survived SIGKILL");
            }
        }
        int code = process.exitValue();
        try {
            // The output ends with the process (its children may hold the pipe briefly after it).
            output.get(AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof UncheckedIOException io ? io.getCause() : new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warnf("packer %d exited but its output stayed open; not reading it further", process.pid());
        }
        Ending ending = interruptRequested ? Ending.INTERRUPTED : timedOut ? Ending.TIMED_OUT : Ending.EXITED;
        return new Exit(ending, code);
    }

    private void terminate() {
        // setpriv execs into packer, so the child pid is Packer's own. Through the handle: Process.destroy() would
        // also close our end of Packer's output, and its clean-up lines (and the exit reason) would be lost.
        process.toHandle().destroy();
        synchronized (this) {
            if (killer == null) {
                killer = CompletableFuture.runAsync(this::kill,
                        CompletableFuture.delayedExecutor(grace.toMillis(), TimeUnit.MILLISECONDS));
            }
        }
    }

    private void kill() {
        if (process.isAlive()) {
            LOG.warnf("packer %d did not stop within %s of SIGTERM; killing it", process.pid(), grace);
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.toHandle().destroyForcibly();
        }
    }

    private void pump(Consumer<String> lines) {
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.accept(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Thread newThread(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
