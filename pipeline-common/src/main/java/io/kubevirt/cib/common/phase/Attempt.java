package io.kubevirt.cib.common.phase;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One try at one input. It is cancelled when this replica must let go of the input (its partition was revoked, or
 * the worker is stopping): the phase then stops waiting, cleans up what this attempt made, and returns
 * {@link PhaseOutcome.Abandon}. A cancelled attempt never announces an outcome, so a replica that lost its claim
 * cannot race the replica that now owns the input.
 */
public final class Attempt {

    private final String inputId;
    private final int number;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private volatile String cancelled;

    public Attempt(String inputId, int number) {
        this.inputId = inputId;
        this.number = number;
    }

    /** An attempt nothing will cancel, for tests and tools. */
    public static Attempt uncancellable(String inputId) {
        return new Attempt(inputId, 1);
    }

    public String inputId() {
        return inputId;
    }

    /** 1 for the first try of this input, counting tries whose worker died. */
    public int number() {
        return number;
    }

    public boolean cancelled() {
        return cancelled != null;
    }

    /** Why it was cancelled; null while it was not. */
    public String cancelReason() {
        return cancelled;
    }

    /** Cancels once; the callbacks run on the cancelling thread and must not block for long. */
    public void cancel(String reason) {
        synchronized (this) {
            if (cancelled != null) {
                return;
            }
            cancelled = reason;
        }
        for (Runnable callback : onCancel) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                // A failing callback must not keep the others from stopping their work.
            }
        }
    }

    /**
     * Runs {@code callback} when the attempt is cancelled (at once if it already is), e.g. to signal a child process
     * or close a connection. Returns a handle that unregisters it.
     */
    public Registration onCancel(Runnable callback) {
        onCancel.add(callback);
        if (cancelled()) {
            callback.run();
        }
        return () -> onCancel.remove(callback);
    }

    /** Undoes an {@link #onCancel} registration. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
