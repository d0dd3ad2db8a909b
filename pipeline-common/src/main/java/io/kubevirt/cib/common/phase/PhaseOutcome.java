package io.kubevirt.cib.common.phase;

import io.kubevirt.cib.events.PipelineEvent;

/** What a worker does with the event it handled, decided by the phase's plain-Java logic. */
public sealed interface PhaseOutcome {

    /** Publish this event, then acknowledge the input. */
    record Emit(PipelineEvent event) implements PhaseOutcome {
    }

    /** Leave the input unacknowledged (the worker is stopping): it is redelivered and the phase runs again. */
    record Abandon(String why) implements PhaseOutcome {
    }
}
