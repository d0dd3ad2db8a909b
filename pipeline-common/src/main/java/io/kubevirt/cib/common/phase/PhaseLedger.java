package io.kubevirt.cib.common.phase;

import java.util.List;
import java.util.Optional;

/**
 * Port: what one phase has done with each input id, durable across restarts and shared by every replica of the
 * phase (Kafka: a compacted topic per phase; tests: an in-memory map). It makes two promises hold:
 * an input handled once is answered with the same outcome ever after, and an input whose handling kills the worker
 * process is stopped after a cap instead of crash-looping.
 */
public interface PhaseLedger {

    /** What is recorded for the input; {@link Entry#NEW} if nothing. Sees every write made before it, anywhere. */
    Entry find(String inputId);

    /** An attempt starts; if the process dies before {@link #released} or {@link #completed}, it counts as died. */
    void started(String inputId, int diedBefore);

    /** The attempt ended without an outcome (worker stopping, partition revoked): it does not count as died. */
    void released(String inputId, int diedBefore);

    /** The input's outcome, written before it is published. */
    void completed(String inputId, List<WireEvent> outcome);

    /**
     * @param died attempts of this input whose worker died while handling it
     * @param outcome the recorded outcome, once there is one
     */
    record Entry(int died, Optional<List<WireEvent>> outcome) {

        public static final Entry NEW = new Entry(0, Optional.empty());

        public Entry {
            outcome = outcome.map(List::copyOf);
        }
    }
}
