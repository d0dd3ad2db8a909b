package io.kubevirt.cib.gcp;

import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.redact.Redactor;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns client failures into {@link CloudException}s: operation, HTTP status and GCE reason (or the operation's error
 * codes); nothing secret. Compute errors are JSON ({@code error.errors[].reason}), which gax does not surface, so the
 * reason is read from the response body that the transport exception carries.
 */
final class GceErrors {

    /** Reasons (HTTP errors) that mean "try again later" whatever the status; GCE uses 403 for rate limits. */
    private static final Set<String> RETRYABLE_REASONS = Set.of("rateLimitExceeded", "userRateLimitExceeded",
            "backendError", "internalError", "resourceNotReady", "serviceUnavailable");
    /** Operation error codes that are about capacity or rates, not about the request. */
    private static final Set<String> RETRYABLE_OPERATION_CODES = Set.of("ZONE_RESOURCE_POOL_EXHAUSTED",
            "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS", "RESOURCE_OPERATION_RATE_EXCEEDED", "RATE_LIMIT_EXCEEDED",
            "INTERNAL_ERROR", "RESOURCE_NOT_READY", "SERVICE_UNAVAILABLE");
    private static final int MAX_DETAIL = 300;

    private GceErrors() {
    }

    /**
     * HTTP status of the server's answer, or 0 if none came back (connection refused, timeout, cancelled). Only the
     * transport exception is trusted: gax also gives client-side failures an HTTP-like code (its own deadline is
     * "504"), which no server ever sent.
     */
    static int httpStatus(ApiException e) {
        HttpResponseException response = cause(e, HttpResponseException.class);
        return response == null ? 0 : response.getStatusCode();
    }

    /** The first {@code error.errors[].reason} of the response body, else gax's ErrorInfo reason, else null. */
    static String reason(ApiException e) {
        JsonObject error = errorBody(e);
        if (error != null && error.has("errors") && error.get("errors").isJsonArray()) {
            JsonArray errors = error.getAsJsonArray("errors");
            if (!errors.isEmpty() && errors.get(0).isJsonObject()) {
                JsonElement reason = errors.get(0).getAsJsonObject().get("reason");
                if (reason != null && reason.isJsonPrimitive()) {
                    return reason.getAsString();
                }
            }
        }
        return e.getReason();
    }

    static boolean isNotFound(ApiException e) {
        return httpStatus(e) == 404;
    }

    static CloudException translate(String operation, ApiException e) {
        int status = httpStatus(e);
        String reason = reason(e);
        StringBuilder message = new StringBuilder("GCE ").append(operation).append(" failed: ");
        if (status > 0) {
            message.append("HTTP ").append(status).append(' ').append(reason != null ? reason : "(no reason)");
        } else {
            // Client side: refused/reset connection, or the attempt or the whole call (with retries) ran out of time.
            message.append("no HTTP response (").append(e.getStatusCode().getCode().name()).append(')');
        }
        appendDetail(message, detail(e));
        return new CloudException(Redactor.redact(message.toString()), retryable(e), safeCause(e));
    }

    static boolean retryable(ApiException e) {
        int status = httpStatus(e);
        String reason = reason(e);
        if (reason != null && RETRYABLE_REASONS.contains(reason)) {
            return true;
        }
        if (status > 0) {
            return status == 408 || status == 429 || status >= 500;
        }
        StatusCode.Code code = e.getStatusCode().getCode();
        return transportFailure(e)
                || code == StatusCode.Code.UNAVAILABLE
                || code == StatusCode.Code.DEADLINE_EXCEEDED
                || code == StatusCode.Code.RESOURCE_EXHAUSTED;
    }

    /**
     * An operation that came back DONE but failed: GCE puts the details in {@code error.errors[]} (code, message)
     * and, for most failures, an HTTP status in {@code httpErrorStatusCode}.
     */
    static CloudException operationFailed(String operation, Operation op) {
        StringBuilder message = new StringBuilder("GCE ").append(operation).append(" failed: operation ")
                .append(op.getName());
        if (op.getHttpErrorStatusCode() != 0) {
            message.append(" (HTTP ").append(op.getHttpErrorStatusCode()).append(')');
        }
        String errors = op.getError().getErrorsList().stream()
                .map(error -> error.getCode() + (error.getMessage().isEmpty() ? "" : ": " + oneLine(error.getMessage())))
                .collect(Collectors.joining("; "));
        appendDetail(message, errors.isEmpty() ? op.getHttpErrorMessage() : errors);
        return new CloudException(Redactor.redact(message.toString()), retryable(op), null);
    }

    static boolean retryable(Operation op) {
        int status = op.getHttpErrorStatusCode();
        if (status == 429 || status >= 500) {
            return true;
        }
        return op.getError().getErrorsList().stream().map(Errors::getCode).anyMatch(RETRYABLE_OPERATION_CODES::contains);
    }

    /** Whether the failed operation says the resource does not exist (a delete of something already gone). */
    static boolean operationNotFound(Operation op) {
        return op.getHttpErrorStatusCode() == 404
                || op.getError().getErrorsList().stream().map(Errors::getCode).anyMatch("RESOURCE_NOT_FOUND"::equals);
    }

    static boolean operationAlreadyExists(Operation op) {
        return op.getHttpErrorStatusCode() == 409
                && op.getError().getErrorsList().stream().map(Errors::getCode)
                        .anyMatch("RESOURCE_ALREADY_EXISTS"::equals);
    }

    static CloudException timedOut(String operation, Duration budget) {
        // Retryable: the operation may well finish; a retry finds its result (names and requestIds are stable).
        return new CloudException("GCE " + operation + " did not finish within " + budget
                + "; it may still complete", true, null);
    }

    static CloudException interrupted(String operation, InterruptedException e) {
        return new CloudException("GCE " + operation + " interrupted", true, e);
    }

    private static String detail(ApiException e) {
        JsonObject error = errorBody(e);
        if (error != null && error.has("message") && error.get("message").isJsonPrimitive()) {
            return error.get("message").getAsString();
        }
        if (transportFailure(e)) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        }
        return e.getMessage();
    }

    private static JsonObject errorBody(ApiException e) {
        HttpResponseException response = cause(e, HttpResponseException.class);
        if (response == null || response.getContent() == null || response.getContent().isBlank()) {
            return null;
        }
        try {
            JsonElement root = JsonParser.parseString(response.getContent());
            if (root.isJsonObject() && root.getAsJsonObject().get("error") instanceof JsonObject error) {
                return error;
            }
        } catch (RuntimeException notJson) {
            // An HTML error page from a proxy or load balancer: no reason to read.
        }
        return null;
    }

    /** No HTTP response at all: connection refused or reset, DNS, read timeout. */
    private static boolean transportFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException && !(t instanceof HttpResponseException)) {
                return true;
            }
        }
        return false;
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static void appendDetail(StringBuilder message, String detail) {
        if (detail == null || detail.isBlank()) {
            return;
        }
        String line = oneLine(detail);
        message.append(": ").append(line.length() <= MAX_DETAIL ? line : line.substring(0, MAX_DETAIL) + "...");
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").trim();
    }

    /**
     * The client exception itself, for its stack trace, unless a message in its chain holds something the redactor
     * masks (the transport exception's message includes the URL and the response body): then a stand-in with the
     * redacted text replaces the whole chain.
     */
    private static Throwable safeCause(ApiException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String text = t.getMessage();
            if (text != null && !text.equals(Redactor.redact(text))) {
                RedactedClientException standIn = new RedactedClientException(
                        e.getClass().getName() + ": " + Redactor.redact(e.getMessage()));
                standIn.setStackTrace(e.getStackTrace());
                return standIn;
            }
        }
        return e;
    }

    /** Carries a client exception's class, redacted message and stack trace, but not its (unredacted) causes. */
    static final class RedactedClientException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RedactedClientException(String message) {
            super(message);
        }
    }
}
