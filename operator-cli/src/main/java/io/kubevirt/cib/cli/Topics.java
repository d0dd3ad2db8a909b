package io.kubevirt.cib.cli;

import io.kubevirt.cib.events.EventType;
import java.util.Arrays;
import java.util.List;

final class Topics {

    private Topics() {
    }

    /** Every event topic (one per type), in pipeline order. */
    static List<String> events() {
        return Arrays.stream(EventType.values()).map(EventType::topic).toList();
    }
}
