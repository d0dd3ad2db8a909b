package io.kubevirt.cib.common.phase;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The ledger port in memory, with the semantics of the Kafka one: a "running" entry found later has died. */
public final class InMemoryPhaseLedger implements PhaseLedger {

    private record Stored(String state, int died, List<WireEvent> outcome) {
    }

    private final Map<String, Stored> entries = new ConcurrentHashMap<>();

    @Override
    public Entry find(String inputId) {
        Stored stored = entries.get(inputId);
        if (stored == null) {
            return Entry.NEW;
        }
        return switch (stored.state()) {
            case "completed" -> new Entry(stored.died(), Optional.of(stored.outcome()));
            case "running" -> new Entry(stored.died() + 1, Optional.empty());
            default -> new Entry(stored.died(), Optional.empty());
        };
    }

    @Override
    public void started(String inputId, int diedBefore) {
        entries.put(inputId, new Stored("running", diedBefore, null));
    }

    @Override
    public void released(String inputId, int diedBefore) {
        entries.put(inputId, new Stored("released", diedBefore, null));
    }

    @Override
    public void completed(String inputId, List<WireEvent> outcome) {
        entries.put(inputId, new Stored("completed", 0, List.copyOf(outcome)));
    }
}
