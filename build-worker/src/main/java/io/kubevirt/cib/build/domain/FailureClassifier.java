package io.kubevirt.cib.build.domain;

import java.util.List;
import java.util.Locale;

/**
 * Whether running the same request again could help. Capacity, throttling and network trouble pass; bad input,
 * missing permissions or a broken template do not, and retrying them would only burn money.
 */
public final class FailureClassifier {

    private static final List<String> TRANSIENT = List.of(
            "requestlimitexceeded", "throttl", "insufficientinstancecapacity", "serviceunavailable",
            "internalerror", "internal error", "timeout", "timed out", "connection refused", "connection reset",
            "no such host", "temporarily", "try again", "rate exceeded", "503", "500 internal");

    private static final List<String> PERMANENT = List.of(
            "invalidamiid", "unauthorized", "accessdenied", "access denied", "authfailure", "invalidparameter",
            "validation", "unsupported", "not found", "notfound", "quota", "limitexceeded: you have requested more");

    private FailureClassifier() {
    }

    public static boolean isRetryable(String failureText) {
        String text = failureText.toLowerCase(Locale.ROOT);
        if (PERMANENT.stream().anyMatch(text::contains)) {
            return false;
        }
        return TRANSIENT.stream().anyMatch(text::contains);
    }
}
