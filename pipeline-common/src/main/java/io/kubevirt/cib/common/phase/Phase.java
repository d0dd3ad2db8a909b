package io.kubevirt.cib.common.phase;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.PipelineEvent;

/**
 * One phase of the pipeline: turns an input event into an outcome. Implementations are plain classes (the
 * coordinators); {@link PhaseRunner} gives every phase the same life cycle around them.
 *
 * @param <T> the input event type
 */
public interface Phase<T extends PipelineEvent> {

    /**
     * Does the phase's work. May throw anything: the runner turns it into {@link #failure}. Should end early with
     * {@link PhaseOutcome.Abandon} once {@code attempt} is cancelled, after cleaning up what this attempt made.
     */
    PhaseOutcome run(Envelope<T> input, Attempt attempt);

    /**
     * This phase's failure event for an input that could not be handled: the phase threw, the input ended its
     * worker process too often, or the outcome could not be written. Must not throw and must not call a cloud.
     */
    PipelineEvent failure(Envelope<T> input, Failure failure);

    /**
     * Why an input ended without the phase's own outcome.
     *
     * @param reason already redacted, for humans
     * @param retryable whether running the input again could help
     */
    record Failure(Kind kind, String reason, boolean retryable) {
    }

    enum Kind {
        /** The phase threw something it did not handle. */
        UNEXPECTED,
        /** The worker process died on every attempt of this input, up to the cap. */
        ATTEMPTS_EXHAUSTED,
        /** The phase's outcome broke its own event schema: a bug in the phase. */
        UNWRITABLE_OUTCOME
    }
}
