package io.kubevirt.cib.verify.domain;

/** The server's host key is not one the cloud reported for the instance. Never retried: it may be an attacker. */
public class HostKeyMismatchException extends Exception {

    public HostKeyMismatchException(String message) {
        super(message);
    }
}
