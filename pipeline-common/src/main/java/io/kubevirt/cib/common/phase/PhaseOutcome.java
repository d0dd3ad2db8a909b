package io.kubevirt.cib.common.phase;

import io.kubevirt.cib.events.PipelineEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What a worker does with the event it handled, decided by the phase's plain-Java logic. */
public sealed interface PhaseOutcome {

    /**
     * Publish these events, all of them, then acknowledge the input. Each output's name is unique within the
     * outcome; its event id is derived from the input's id and that name, so a redelivery re-emits the same ids.
     */
    record Emit(List<Output> outputs) implements PhaseOutcome {

        public Emit {
            outputs = List.copyOf(outputs);
            if (outputs.isEmpty()) {
                throw new IllegalArgumentException("an outcome emits at least one event");
            }
            Set<String> names = new HashSet<>();
            for (Output output : outputs) {
                if (!names.add(output.name())) {
                    throw new IllegalArgumentException("two outputs named " + output.name());
                }
            }
        }

        /** The event of a one-event outcome. */
        public PipelineEvent event() {
            if (outputs.size() != 1) {
                throw new IllegalStateException("outcome has " + outputs.size() + " events");
            }
            return outputs.get(0).event();
        }

        /** The usual case: one event, named by its type. */
        public static Emit of(PipelineEvent event) {
            return new Emit(List.of(Output.of(event)));
        }
    }

    /**
     * One event of an outcome.
     *
     * @param name what distinguishes it among the outcome's events, e.g. {@code image.published/eu-west-1}
     */
    record Output(String name, PipelineEvent event) {

        public static Output of(PipelineEvent event) {
            return new Output(event.type().typeName(), event);
        }

        /** One of several events of the same type, e.g. one per region. */
        public static Output of(PipelineEvent event, String qualifier) {
            return new Output(event.type().typeName() + "/" + qualifier, event);
        }
    }

    /**
     * The input asks nothing of this phase (e.g. a verification no release is waiting for, seen by the
     * publish-worker): recorded so that a redelivery is answered the same way, acknowledged, nothing published.
     */
    record NotForThisPhase(String why) implements PhaseOutcome {
    }

    /**
     * Leave the input unacknowledged (the worker is stopping, or this replica lost the input's partition): it is
     * redelivered, and the phase runs again where it then lands.
     */
    record Abandon(String why) implements PhaseOutcome {
    }
}
