package io.kubevirt.cib.verify.ssh;

import io.kubevirt.cib.verify.domain.RemoteShell;
import io.kubevirt.cib.verify.domain.SshUnavailableException;
import io.kubevirt.cib.verify.domain.run.ShellWords;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.connection.channel.direct.Signal;

/**
 * One authenticated sshj connection; each {@link #run} is its own session channel.
 *
 * <p>The timeout is enforced on the remote side with {@code timeout --kill-after}: closing an sshj session after a
 * client-side timeout blocks for the connection timeout and leaves the remote process running. A client-side guard
 * (remote timeout + kill-after + a grace) only fires when the remote side cannot end the command, e.g. a dead link;
 * it then drops the connection, and this shell is unusable afterwards.
 */
final class SshjRemoteShell implements RemoteShell {

    private static final Duration GUARD_GRACE = Duration.ofSeconds(5);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(5);
    private static final int TIMEOUT_EXIT = 124;
    private static final int KILLED_EXIT = 128 + 9;
    private static final Map<Signal, Integer> SIGNAL_NUMBERS = Map.ofEntries(Map.entry(Signal.HUP, 1),
            Map.entry(Signal.INT, 2), Map.entry(Signal.QUIT, 3), Map.entry(Signal.ILL, 4), Map.entry(Signal.ABRT, 6),
            Map.entry(Signal.FPE, 8), Map.entry(Signal.KILL, 9), Map.entry(Signal.USR1, 10),
            Map.entry(Signal.SEGV, 11), Map.entry(Signal.USR2, 12), Map.entry(Signal.PIPE, 13),
            Map.entry(Signal.ALRM, 14), Map.entry(Signal.TERM, 15));

    private final SSHClient client;
    private final String where;
    private final Duration killAfter;
    private volatile boolean broken;
    /** The command running now, for {@link #abort()}. */
    private volatile Session.Command running;

    SshjRemoteShell(SSHClient client, String where, Duration killAfter) {
        this.client = client;
        this.where = where;
        this.killAfter = killAfter;
    }

    @Override
    public ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines)
            throws SshUnavailableException {
        if (broken || !client.isConnected()) {
            throw new SshUnavailableException("SSH connection to " + where + " is closed", null);
        }
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        long killSeconds = Math.max(1, killAfter.toSeconds());
        // sh -c: the timeout must cover the whole command line, pipes and all, not just its first word.
        String wrapped = "timeout --kill-after=" + killSeconds + " " + seconds + " sh -c " + ShellWords.quote(command);

        Session session;
        Session.Command cmd;
        long started = System.nanoTime();
        try {
            session = client.startSession();
            cmd = session.exec(wrapped);
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw new SshUnavailableException("cannot start a command on " + where + ": "
                    + SshjConnector.describe(e), e);
        }

        running = cmd;
        if (broken) {
            // Aborted while the command started: abort() may have missed it.
            abortNow(cmd);
        }
        Object lock = new Object();
        Consumer<String> serialized = line -> {
            synchronized (lock) {
                try {
                    lines.accept(line);
                } catch (RuntimeException ignored) {
                    // A failing consumer must not stop the draining, or the remote side blocks on a full window.
                }
            }
        };
        Thread out = pump(cmd.getInputStream(), serialized, "stdout");
        Thread err = pump(cmd.getErrorStream(), serialized, "stderr");
        Thread in = feed(cmd.getOutputStream(), stdin);

        long guardSeconds = seconds + killSeconds + GUARD_GRACE.toSeconds();
        try {
            cmd.join(guardSeconds, TimeUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            boolean stillOpen = cmd.isOpen();
            long elapsedMs = elapsedMs(started);
            broken = true;
            SshjConnector.closeQuietly(client);
            join(List.of(out, err, in));
            if (stillOpen && elapsedMs >= guardSeconds * 1000) {
                // The remote timeout did not end it; dropping the link is the only way left.
                return new ExecResult(null, true);
            }
            throw new SshUnavailableException("SSH connection to " + where + " lost while a command ran: "
                    + SshjConnector.describe(e), e);
        }
        join(List.of(out, err, in));
        Integer exit = exitCode(cmd);
        closeSession(cmd);
        if (exit == null) {
            broken = true;
            throw new SshUnavailableException("command on " + where + " ended without an exit status", null);
        }
        boolean ranFullTime = elapsedMs(started) >= seconds * 1000;
        if ((exit == TIMEOUT_EXIT || exit == KILLED_EXIT) && ranFullTime) {
            return new ExecResult(null, true);
        }
        return new ExecResult(exit, false);
    }

    private static Integer exitCode(Session.Command cmd) {
        Integer status = cmd.getExitStatus();
        if (status != null) {
            return status;
        }
        Signal signal = cmd.getExitSignal();
        if (signal != null) {
            return 128 + SIGNAL_NUMBERS.getOrDefault(signal, 0);
        }
        return null;
    }

    private static Thread pump(InputStream stream, Consumer<String> lines, String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.accept(line);
                }
            } catch (IOException | RuntimeException ignored) {
                // The channel went away; the exit status (or its absence) tells the caller.
            }
        }, "cib-ssh-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static Thread feed(OutputStream stream, String stdin) {
        Thread thread = new Thread(() -> {
            try (OutputStream out = stream) {
                if (stdin != null && !stdin.isEmpty()) {
                    out.write(stdin.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException | RuntimeException ignored) {
                // The command exited without reading all of its input; its exit status says what happened.
            }
        }, "cib-ssh-stdin");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void join(List<Thread> threads) {
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        for (Thread thread : threads) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                thread.join(Math.max(1, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeSession(Session.Command cmd) {
        try {
            cmd.close();
        } catch (IOException | RuntimeException ignored) {
            // Already closed by the server after the exit status.
        }
    }

    private static long elapsedMs(long startedNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /**
     * TERM to the remote command (sshd hands it to {@code timeout}, which passes it to the whole command's process
     * group, so the script's EXIT trap cleans up), then the connection is dropped: the blocked {@link #run} returns at
     * once. On a separate thread, because closing an sshj session can block for its timeout.
     */
    @Override
    public void abort() {
        broken = true;
        Session.Command cmd = running;
        Thread thread = new Thread(() -> abortNow(cmd), "cib-ssh-abort");
        thread.setDaemon(true);
        thread.start();
    }

    private void abortNow(Session.Command cmd) {
        if (cmd != null) {
            try {
                cmd.signal(Signal.TERM);
            } catch (IOException | RuntimeException ignored) {
                // Not every server accepts signals; dropping the connection (and the remote timeout) still ends it.
            }
        }
        SshjConnector.closeQuietly(client);
    }

    @Override
    public void close() {
        broken = true;
        SshjConnector.closeQuietly(client);
    }

    @Override
    public String toString() {
        return "SshjRemoteShell[" + where + "]";
    }
}
