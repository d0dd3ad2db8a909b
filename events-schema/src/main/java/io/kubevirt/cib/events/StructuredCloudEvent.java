package io.kubevirt.cib.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CloudEvents structured JSON ({@code {"specversion":..., "type":..., "data":{...}}}), the readable form of the
 * checked-in samples and of what operators type by hand, converted to and from the binary Kafka form.
 */
public record StructuredCloudEvent(Map<String, String> headers, String data) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static StructuredCloudEvent parse(String json) throws InvalidEventException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(InvalidEventException.Reason.MALFORMED, "not a JSON document");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidEventException(InvalidEventException.Reason.MALFORMED, "not a JSON object");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (name.equals("data")) {
                continue;
            }
            String header = name.equals("datacontenttype") ? KafkaBinaryBinding.CONTENT_TYPE : "ce_" + name;
            headers.put(header, field.getValue().asText());
        }
        JsonNode data = root.get("data");
        return new StructuredCloudEvent(headers, data == null ? null : data.toString());
    }

    /** Renders an event read in binary mode as structured JSON, for people and tools that read the stream. */
    public static String render(Map<String, String> headers, String data) {
        ObjectNode root = MAPPER.createObjectNode();
        headers.forEach((name, value) -> {
            if (name.startsWith("ce_")) {
                root.put(name.substring(3), value);
            } else if (name.equals(KafkaBinaryBinding.CONTENT_TYPE)) {
                root.put("datacontenttype", value);
            }
        });
        try {
            root.set("data", data == null ? null : MAPPER.readTree(data));
        } catch (JsonProcessingException e) {
            root.put("data_unparsed", data);
        }
        return root.toString();
    }
}
