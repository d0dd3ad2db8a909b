package io.kubevirt.cib.common.phase;

import java.util.List;

/** Port: puts a phase's outcome events on the broker. */
public interface OutcomeSink {

    /**
     * Publishes every event, returning once the broker has all of them. Retries while the broker is away; gives up
     * only when {@code attempt} is cancelled, by throwing {@link NotPublishedException}.
     */
    void publish(List<WireEvent> events, Attempt attempt) throws NotPublishedException;

    /** The outcome could not be published before the attempt was cancelled; the input is redelivered. */
    final class NotPublishedException extends Exception {

        public NotPublishedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
