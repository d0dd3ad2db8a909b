package io.kubevirt.cib.verify.domain;

import java.time.Duration;
import java.util.function.Consumer;

/** An authenticated SSH session. */
public interface RemoteShell extends AutoCloseable {

    /**
     * Runs {@code command}, feeding {@code stdin} to it, streaming every output line (stdout and stderr) to
     * {@code lines} as it arrives. After {@code timeout} the remote command is killed and the result says so.
     */
    ExecResult run(String command, String stdin, Duration timeout, Consumer<String> lines) throws SshUnavailableException;

    /**
     * Stops whatever runs now, from another thread (the attempt was cancelled): tells the remote command to stop and
     * drops the connection, so that {@link #run} returns soon. Must not block. The shell is unusable afterwards.
     */
    default void abort() {
        close();
    }

    @Override
    void close();

    /** @param exitCode null when the command timed out or the connection dropped */
    record ExecResult(Integer exitCode, boolean timedOut) {
    }
}
