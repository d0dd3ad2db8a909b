package io.kubevirt.cib.common.phase;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Port: what one phase has done with each input id, durable across restarts and shared by every replica of the
 * phase (Kafka: a compacted topic per phase; tests: an in-memory map). It makes three promises hold:
 * an input handled once is answered with the same outcome ever after; an event already on the broker is not put
 * there again; an input whose handling kills the worker process is stopped after a cap instead of crash-looping.
 * The interpretation (a "running" entry found later is an attempt whose worker died) is {@link PhaseRunner}'s.
 */
public interface PhaseLedger {

    /** What is recorded for the input; {@link Entry#NEW} if nothing. Sees every write made before it, anywhere. */
    Entry find(String inputId);

    /** Replaces what is recorded for the input. */
    void record(String inputId, Entry entry);

    enum State {
        /** Nothing recorded. */
        NEW,
        /** An attempt started and has not ended: found by a later attempt, its worker died. */
        RUNNING,
        /** The attempt ended without an outcome (worker stopping, partition revoked): not a death. */
        RELEASED,
        /** The outcome is recorded; {@link Entry#published} says which of its events are on the broker. */
        COMPLETED
    }

    /**
     * @param died attempts of this input whose worker died while handling it
     * @param outcome the recorded outcome, once {@link State#COMPLETED}
     * @param published ids of this input's events known to be on the broker: events a phase emitted before it
     *                  ended, then the whole outcome once it was published
     */
    record Entry(State state, int died, Optional<List<WireEvent>> outcome, Set<String> published) {

        public static final Entry NEW = new Entry(State.NEW, 0, Optional.empty(), Set.of());

        public Entry {
            outcome = outcome.map(List::copyOf);
            published = Set.copyOf(published);
        }

        public static Entry running(int died, Set<String> published) {
            return new Entry(State.RUNNING, died, Optional.empty(), published);
        }

        public static Entry released(int died, Set<String> published) {
            return new Entry(State.RELEASED, died, Optional.empty(), published);
        }

        public static Entry completed(List<WireEvent> outcome, Set<String> published) {
            return new Entry(State.COMPLETED, 0, Optional.of(outcome), published);
        }

        /** The outcome's events not yet known to be on the broker. */
        public List<WireEvent> unpublished() {
            return outcome.orElse(List.of()).stream().filter(e -> !published.contains(e.id())).toList();
        }
    }
}
