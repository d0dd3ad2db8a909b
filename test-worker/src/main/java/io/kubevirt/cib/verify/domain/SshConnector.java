package io.kubevirt.cib.verify.domain;

/** Port: opens an SSH session to an instance. The real one is sshj. */
public interface SshConnector {

    /**
     * Connects and authenticates once.
     *
     * @throws SshUnavailableException connection refused/timed out, auth failed, or the server went away: worth
     *         retrying while the first-boot installer still runs
     * @throws HostKeyMismatchException the server showed a key the cloud did not report: never retried
     */
    RemoteShell connect(SshTarget target) throws SshUnavailableException, HostKeyMismatchException;
}
