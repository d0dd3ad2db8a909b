package io.kubevirt.cib.verify.domain;

/** SSH is not (yet) reachable: refused, timed out, auth failed, connection lost. Retried within the SSH budget. */
public class SshUnavailableException extends Exception {

    public SshUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
