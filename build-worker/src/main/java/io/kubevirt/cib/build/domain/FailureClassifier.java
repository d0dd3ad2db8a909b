package io.kubevirt.cib.build.domain;

import java.util.List;
import java.util.Locale;

/**
 * Whether running the same request again could help. Capacity, throttling and network trouble pass; bad input,
 * missing permissions or a broken template do not, and retrying them would only burn money.
 */
public final class FailureClassifier {

    /** Said first in a throttled failure's reason, so nobody reads it as a fault of the build. */
    public static final String THROTTLED = "throttled: the cloud API limited the request rate beyond the retries;"
            + " a retry later can pass: ";

    /**
     * The cloud answered "too many requests" (EC2 RequestLimitExceeded / Throttling, GCE rateLimitExceeded). The
     * request was fine, so this wins over any permanent-looking words elsewhere in the text.
     */
    private static final List<String> THROTTLING = List.of(
            "requestlimitexceeded", "throttl", "rate exceeded", "ratelimitexceeded", "rate limit exceeded",
            "too many requests");

    private static final List<String> TRANSIENT = List.of(
            "insufficientinstancecapacity", "serviceunavailable",
            "internalerror", "internal error", "timeout", "timed out", "connection refused", "connection reset",
            "no such host", "temporarily", "try again", "503", "500 internal");

    private static final List<String> PERMANENT = List.of(
            "invalidamiid", "unauthorized", "accessdenied", "access denied", "authfailure", "invalidparameter",
            "validation", "unsupported", "not found", "notfound", "quota", "limitexceeded: you have requested more");

    private FailureClassifier() {
    }

    /** The failure text as reason (throttling named first), and whether a retry could help. */
    public record Verdict(String reason, boolean retryable) {
    }

    public static Verdict classify(String failureText) {
        if (isThrottling(failureText)) {
            return new Verdict(THROTTLED + failureText, true);
        }
        return new Verdict(failureText, isRetryable(failureText));
    }

    public static boolean isThrottling(String failureText) {
        String text = failureText.toLowerCase(Locale.ROOT);
        return THROTTLING.stream().anyMatch(text::contains);
    }

    public static boolean isRetryable(String failureText) {
        if (isThrottling(failureText)) {
            return true;
        }
        String text = failureText.toLowerCase(Locale.ROOT);
        if (PERMANENT.stream().anyMatch(text::contains)) {
            return false;
        }
        return TRANSIENT.stream().anyMatch(text::contains);
    }
}
