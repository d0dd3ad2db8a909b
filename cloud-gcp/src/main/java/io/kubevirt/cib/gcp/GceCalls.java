package io.kubevirt.cib.gcp;

import com.google.api.gax.longrunning.OperationFuture;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Operation;
import io.kubevirt.cib.common.cloud.CloudException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * What every GCE adapter does around a call: wait for an operation within the polling budget and read its error
 * block, translate client failures, treat "not found" as "already gone". One place, so {@link GceCloud} and the
 * sweep and publishing adapters behave alike.
 */
final class GceCalls {

    private GceCalls() {
    }

    /**
     * Waits for the operation within the clients' polling budget. Returns the final operation (check
     * {@code hasError()}); throws the client's ApiException for a failed call or an operation with an HTTP error
     * status, so callers can look at the status before translating, and a {@link CloudException} when the budget ran
     * out.
     */
    static Operation await(GceClients clients, String operation, OperationFuture<Operation, Operation> future) {
        GceClients.OperationPolling polling = clients.polling();
        // The polling algorithm ends the wait; this bound only guards against a poll call that hangs.
        Duration bound = polling.timeout().plus(clients.retry().totalTimeout());
        try {
            return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ApiException api) {
                Operation failed = finalOperation(future);
                if (failed != null && failed.hasError()) {
                    // DONE with httpErrorStatusCode: the library failed the future; report GCE's error codes.
                    if (GceErrors.operationNotFound(failed) || GceErrors.operationAlreadyExists(failed)) {
                        return failed;
                    }
                    throw GceErrors.operationFailed(operation, failed);
                }
                throw api;
            }
            if (cause instanceof CancellationException) {
                throw GceErrors.timedOut(operation, polling.timeout());
            }
            throw new CloudException("GCE " + operation + " failed: " + cause, false, cause);
        } catch (CancellationException | TimeoutException e) {
            throw GceErrors.timedOut(operation, polling.timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GceErrors.interrupted(operation, e);
        }
    }

    /** Starts and waits for an operation; an error block fails it. */
    static void mutate(GceClients clients, String operation,
            Supplier<OperationFuture<Operation, Operation>> start) {
        try {
            Operation op = await(clients, operation, start.get());
            if (op.hasError()) {
                throw GceErrors.operationFailed(operation, op);
            }
        } catch (ApiException e) {
            throw GceErrors.translate(operation, e);
        }
    }

    /**
     * Starts and waits for an operation on a resource that may be gone: true when it ran, false when GCE said the
     * resource does not exist (404, or the operation's RESOURCE_NOT_FOUND), which callers count as success.
     */
    static boolean mutateIfExists(GceClients clients, String operation,
            Supplier<OperationFuture<Operation, Operation>> start) {
        try {
            Operation op = await(clients, operation, start.get());
            if (op.hasError()) {
                if (GceErrors.operationNotFound(op)) {
                    return false;
                }
                throw GceErrors.operationFailed(operation, op);
            }
            return true;
        } catch (ApiException e) {
            if (GceErrors.isNotFound(e)) {
                return false;
            }
            throw GceErrors.translate(operation, e);
        }
    }

    /** A read; failures translated. */
    static <T> T call(String operation, Supplier<T> action) {
        try {
            return action.get();
        } catch (ApiException e) {
            throw GceErrors.translate(operation, e);
        }
    }

    /** A read of something that may not exist: empty on 404. */
    static <T> Optional<T> find(String operation, Supplier<T> action) {
        try {
            return Optional.of(action.get());
        } catch (ApiException e) {
            if (GceErrors.isNotFound(e)) {
                return Optional.empty();
            }
            throw GceErrors.translate(operation, e);
        }
    }

    /** GCE's RFC 3339 timestamps ({@code 2026-12-03T09:00:00.000-08:00}); null when absent or unreadable. */
    static Instant instant(String rfc3339) {
        if (rfc3339 == null || rfc3339.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(rfc3339).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The last operation snapshot the future saw, or null if the initial call itself failed. */
    private static Operation finalOperation(OperationFuture<Operation, Operation> future) {
        try {
            Object response = future.getPollingFuture().getAttemptResult().get(1, TimeUnit.SECONDS).getResponse();
            if (response instanceof Operation op) {
                return op;
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // No operation snapshot: fall through to the initial call's result.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        try {
            Object response = future.getInitialFuture().get(1, TimeUnit.SECONDS).getResponse();
            return response instanceof Operation op ? op : null;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
