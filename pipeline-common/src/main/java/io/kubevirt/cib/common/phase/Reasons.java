package io.kubevirt.cib.common.phase;

import io.kubevirt.cib.common.redact.Redactor;

/** The one way a reason becomes event text: redacted, then cut to what the schemas allow. */
public final class Reasons {

    /** Schemas allow 4000 characters; leave room for a prefix a phase may add. */
    public static final int MAX_LENGTH = 3000;

    private Reasons() {
    }

    public static String forEvent(String reason) {
        String safe = Redactor.redact(reason == null || reason.isBlank() ? "(no reason given)" : reason.strip());
        return safe.length() <= MAX_LENGTH ? safe : safe.substring(0, MAX_LENGTH) + "...";
    }
}
