package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.redact.Redactor;
import java.io.IOException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

/** Turns SDK exceptions into {@link CloudException}s: operation, region and AWS error code; nothing secret. */
final class AwsErrors {

    /** EC2 codes that say "try again later" without being throttling or 5xx. */
    private static final Set<String> RETRYABLE_CODES = Set.of(
            "InsufficientInstanceCapacity",
            "InsufficientCapacity",
            "ServiceUnavailable",
            "Unavailable",
            "InternalError",
            "InvalidSnapshot.InUse",
            "ConcurrentTagAccess");

    private static final int MAX_DETAIL = 300;

    private AwsErrors() {
    }

    /** The error code of an AWS service error, or {@code null} for client-side failures. */
    static String code(SdkException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return service.awsErrorDetails().errorCode();
        }
        return null;
    }

    static boolean hasCode(SdkException e, Set<String> codes) {
        String code = code(e);
        return code != null && codes.contains(code);
    }

    static CloudException translate(String operation, String region, SdkException e) {
        StringBuilder message = new StringBuilder("EC2 ").append(operation).append(" in ").append(region)
                .append(" failed: ");
        if (e instanceof AwsServiceException service) {
            String code = code(e);
            if (service.isThrottlingException()) {
                // Said first, so it survives truncation: the reader should know this is weather, not a fault.
                message.append("throttling");
                if (e.numAttempts() != null) {
                    message.append(", still after ").append(e.numAttempts()).append(" attempts");
                }
                message.append(": ");
            }
            message.append(code == null ? "no AWS error code" : code)
                    .append(" (HTTP ").append(service.statusCode());
            if (service.requestId() != null) {
                // Request ids are what AWS support asks for; they identify nothing secret.
                message.append(", request id ").append(service.requestId());
            }
            message.append(')');
            String detail = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
            appendDetail(message, detail);
        } else {
            message.append(e.getClass().getSimpleName());
            appendDetail(message, rootMessage(e));
        }
        return new CloudException(Redactor.redact(message.toString()), retryable(e), safeCause(e));
    }

    /** Whether a later retry could help: throttling, server errors, timeouts, network trouble. */
    static boolean retryable(SdkException e) {
        if (e instanceof AbortedException) {
            return false;
        }
        if (e instanceof AwsServiceException service) {
            int status = service.statusCode();
            return service.isThrottlingException()
                    || service.isClockSkewException()
                    || status >= 500
                    || status == 408
                    || status == 429
                    || hasCode(e, RETRYABLE_CODES)
                    || service.retryable();
        }
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
            return true;
        }
        // Connection refused/reset, DNS, read timeouts: the SDK wraps these IOExceptions in SdkClientException.
        return e.retryable() || hasCause(e, IOException.class);
    }

    private static void appendDetail(StringBuilder message, String detail) {
        if (detail == null || detail.isBlank()) {
            return;
        }
        String oneLine = detail.replaceAll("\\s+", " ").trim();
        message.append(": ").append(oneLine.length() <= MAX_DETAIL ? oneLine : oneLine.substring(0, MAX_DETAIL) + "...");
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.getMessage() : e.getMessage() + " (" + root.getClass().getSimpleName() + ": "
                + root.getMessage() + ")";
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The SDK exception itself, for its stack trace - unless some message in its chain holds something the redactor
     * would mask, in which case a stand-in with the redacted text replaces the whole chain so logs cannot leak it.
     */
    private static Throwable safeCause(SdkException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String text = t.getMessage();
            if (text != null && !text.equals(Redactor.redact(text))) {
                RedactedSdkException standIn = new RedactedSdkException(
                        e.getClass().getName() + ": " + Redactor.redact(e.getMessage()));
                standIn.setStackTrace(e.getStackTrace());
                return standIn;
            }
        }
        return e;
    }

    /** Carries an SDK exception's class, redacted message and stack trace, but not its (unredacted) causes. */
    static final class RedactedSdkException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RedactedSdkException(String message) {
            super(message);
        }
    }
}
