package io.kubevirt.cib.events;

/**
 * A record that cannot be accepted as a pipeline event. The message is safe to log and to put in a
 * dead-letter header: it names fields and rules, never echoes whole values.
 */
public class InvalidEventException extends Exception {

    public enum Reason {
        /** Missing or wrong CloudEvents attributes. */
        NOT_A_CLOUDEVENT,
        /** Type attribute names no known event type. */
        UNKNOWN_TYPE,
        /** A known type on a topic/consumer that expects another. */
        UNEXPECTED_TYPE,
        /** The data is not JSON. */
        MALFORMED,
        /** The data's schemaVersion has a major version this reader does not know. */
        UNKNOWN_VERSION,
        /** The data violates the JSON Schema of its type and version. */
        SCHEMA_VIOLATION
    }

    private final Reason reason;

    public InvalidEventException(Reason reason, String detail) {
        super(reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ": " + detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
