package io.kubevirt.cib.build.packer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * (SIGKILL, OOM), Packer still gets SIGTERM and cleans up instead of running on as an orphan that would finish a
 * second image behind the restarted worker's back.
 */
final class PackerProcess {

    private static final Logger LOG = Logger.getLogger(PackerProcess.class);
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    enum Ending { EXITED, TIMED_OUT, INTERRUPTED }

    record Exit(Ending ending, int exitCode) {
    }

    private final Process process;
    private volatile boolean interruptRequested;
    private volatile boolean timedOut;

    private PackerProcess(Process process) {
        this.process = process;
    }

    static PackerProcess start(List<String> packerCommand, Path workDir, Map<String, String> env) throws IOException {
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
        return new PackerProcess(builder.start());
    }

    long pid() {
        return process.pid();
    }

    /** Asks Packer to stop and clean up; {@link #awaitExit} then reports INTERRUPTED. */
    void interrupt() {
        interruptRequested = true;
        signalInterrupt();
    }

    /**
     * Feeds every output line to {@code lines} until Packer exits. Past {@code deadline} Packer is interrupted; once
     * interrupted (by the deadline or by {@link #interrupt}) it has {@code grace} to clean up before it is killed.
     */
    Exit awaitExit(Instant deadline, Duration grace, Consumer<String> lines) throws IOException, InterruptedException {
        Thread watchdog = new Thread(() -> watch(deadline, grace), "packer-watchdog-" + process.pid());
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.accept(line);
            }
        }
        int code = process.waitFor();
        watchdog.interrupt();
        Ending ending = interruptRequested ? Ending.INTERRUPTED : timedOut ? Ending.TIMED_OUT : Ending.EXITED;
        return new Exit(ending, code);
    }

    private void watch(Instant deadline, Duration grace) {
        Instant killAt = null;
        try {
            while (!process.waitFor(500, TimeUnit.MILLISECONDS)) {
                Instant now = Instant.now();
                if (killAt == null && (interruptRequested || now.isAfter(deadline))) {
                    if (!interruptRequested) {
                        timedOut = true;
                        LOG.warnf("packer %d passed its deadline; interrupting it", process.pid());
                        signalInterrupt();
                    }
                    killAt = now.plus(grace);
                } else if (killAt != null && now.isAfter(killAt)) {
                    LOG.warnf("packer %d did not stop within %s of SIGTERM; killing it", process.pid(), grace);
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void signalInterrupt() {
        // setpriv execs into packer, so the child pid is Packer's own.
        process.destroy();
    }
}
