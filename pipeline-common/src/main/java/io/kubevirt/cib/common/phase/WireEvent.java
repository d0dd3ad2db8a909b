package io.kubevirt.cib.common.phase;

import java.util.Map;

/**
 * An event as it goes on the wire: topic, record key, CloudEvents headers, JSON value. The ledger keeps outcomes in
 * this form so that a redelivered input re-sends exactly the bytes its first handling decided on.
 */
public record WireEvent(String id, String topic, String key, Map<String, String> headers, String value) {

    public WireEvent {
        headers = Map.copyOf(headers);
    }
}
