package io.kubevirt.cib.bridge.domain;

import java.time.Duration;
import java.util.List;

/**
 * The paths a pull request changes. GitHub's pull_request payload does not carry them, so they come from elsewhere
 * (the REST API in production, a fixed map in tests).
 */
public interface ChangedPaths {

    List<String> of(String repository, int pullNumber, String headSha, Duration timeout) throws Unavailable;

    /** The list could not be had now; the delivery should fail so it can be redelivered. */
    final class Unavailable extends Exception {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
