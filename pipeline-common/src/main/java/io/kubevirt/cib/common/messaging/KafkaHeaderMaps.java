package io.kubevirt.cib.common.messaging;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Kafka record headers to and from the string map the CloudEvents binding in events-schema works with. */
public final class KafkaHeaderMaps {

    private KafkaHeaderMaps() {
    }

    /** Last value wins for repeated headers, as CloudEvents allows each attribute once. */
    public static Map<String, String> toMap(Headers headers) {
        Map<String, String> map = new LinkedHashMap<>();
        if (headers != null) {
            for (Header header : headers) {
                map.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return map;
    }

    public static Headers toHeaders(Map<String, String> map) {
        RecordHeaders headers = new RecordHeaders();
        map.forEach((key, value) -> headers.add(key, value.getBytes(StandardCharsets.UTF_8)));
        return headers;
    }
}
