package io.kubevirt.cib.common.phase;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The ledger port in memory: what was recorded is found again, as from the compacted topic. */
public final class InMemoryPhaseLedger implements PhaseLedger {

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    @Override
    public Entry find(String inputId) {
        return entries.getOrDefault(inputId, Entry.NEW);
    }

    @Override
    public void record(String inputId, Entry entry) {
        entries.put(inputId, entry);
    }
}
