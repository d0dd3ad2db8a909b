package io.kubevirt.cib.common.phase;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

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
    private volatile Consumer<PhaseOutcome.Output> emitNow = output -> { };

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

    /**
     * Puts one of the outcome's events on the broker now rather than when the phase ends, for phases that finish
     * parts of their work at different times (a region's copy done while others still copy). The phase still returns
     * the whole outcome, this output included: its id is derived from its name, so it is published once, and an
     * attempt after a crash that emits it again does not publish it again. Best effort: what cannot be published now
     * goes out with the outcome. Nothing is published once the attempt is cancelled.
     */
    public void emitNow(PhaseOutcome.Output output) {
        if (!cancelled()) {
            emitNow.accept(output);
        }
    }

    /** Set by the runner that owns the attempt. */
    void onEmitNow(Consumer<PhaseOutcome.Output> publisher) {
        this.emitNow = publisher;
    }

    /** Undoes an {@link #onCancel} registration. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
