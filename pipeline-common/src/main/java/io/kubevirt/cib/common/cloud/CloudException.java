package io.kubevirt.cib.common.cloud;

/**
 * A cloud call failed. Adapters translate SDK errors into this so callers can decide on retries without SDK types;
 * messages carry the cloud's error code, never credentials or request signatures.
 */
public class CloudException extends RuntimeException {

    private final boolean retryable;

    public CloudException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
