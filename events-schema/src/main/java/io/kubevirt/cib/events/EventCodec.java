package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes pipeline events. Every consumer reads through {@link #decode}, which checks, in order: the
 * CloudEvents attributes, the type, that the data is JSON, its major schema version, the JSON Schema, and only then
 * maps to the record (ignoring unknown fields, so minor versions can add fields). Writes are validated too: an
 * event we produce that breaks its own schema is a bug and fails loudly before it reaches the broker.
 */
public final class EventCodec {

    private static final int MAX_REPORTED_VIOLATIONS = 5;

    private final ObjectMapper mapper = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();
    private final EventSchemas schemas = new EventSchemas();

    /** Decodes any pipeline event. */
    public Envelope<PipelineEvent> decode(Map<String, String> headers, String data) throws InvalidEventException {
        CloudEventAttributes attributes = KafkaBinaryBinding.fromHeaders(headers);
        EventType type = EventType.fromTypeName(attributes.type())
                .orElseThrow(() -> new InvalidEventException(InvalidEventException.Reason.UNKNOWN_TYPE,
                        "ce_type " + KafkaBinaryBinding.abbreviate(attributes.type()) + " is not a pipeline event"));
        JsonNode json = parse(data);
        int major = EventSchemas.majorOf(json.path("schemaVersion").asText(null));
        if (!type.readableMajorVersions().contains(major)) {
            throw new InvalidEventException(InvalidEventException.Reason.UNKNOWN_VERSION,
                    type.typeName() + " schemaVersion "
                            + KafkaBinaryBinding.abbreviate(json.path("schemaVersion").asText("(missing)"))
                            + " is not readable; this reader knows major versions " + type.readableMajorVersions());
        }
        List<String> violations = schemas.violations(type, major, json, MAX_REPORTED_VIOLATIONS);
        if (!violations.isEmpty()) {
            throw new InvalidEventException(InvalidEventException.Reason.SCHEMA_VIOLATION,
                    type.typeName() + " v" + major + ": " + String.join("; ", violations));
        }
        PipelineEvent event;
        try {
            event = mapper.treeToValue(json, type.dataClass());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // The schema accepted it, so this is a gap between schema and record; report without echoing data.
            throw new InvalidEventException(InvalidEventException.Reason.SCHEMA_VIOLATION,
                    type.typeName() + " does not map to its record: " + e.getClass().getSimpleName());
        }
        return new Envelope<>(attributes, event);
    }

    /** Decodes an event that must be of one type, e.g. what a worker reads from its input topic. */
    @SuppressWarnings("unchecked")
    public <T extends PipelineEvent> Envelope<T> decode(Class<T> expected, Map<String, String> headers, String data)
            throws InvalidEventException {
        Envelope<PipelineEvent> envelope = decode(headers, data);
        if (!expected.isInstance(envelope.data())) {
            throw new InvalidEventException(InvalidEventException.Reason.UNEXPECTED_TYPE,
                    "expected " + EventType.of(expected).typeName() + " but got " + envelope.type().typeName());
        }
        return (Envelope<T>) envelope;
    }

    /**
     * The same event naming its cause and, when the cause belongs to a replay, the replayed original. Every phase
     * output passes through here, so lineage is set in one place rather than by each phase.
     */
    @SuppressWarnings("unchecked")
    public <T extends PipelineEvent> T withLineage(T event, String causedBy, String replayOf) {
        ObjectNode json = mapper.valueToTree(event);
        json.put("causedBy", causedBy);
        if (replayOf == null) {
            json.remove("replayOf");
        } else {
            json.put("replayOf", replayOf);
        }
        try {
            return (T) mapper.treeToValue(json, event.getClass());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot copy " + event.type().typeName(), e);
        }
    }

    /** The record value: the data as JSON, validated against its own schema. */
    public String encodeData(PipelineEvent event) {
        JsonNode json = mapper.valueToTree(event);
        int major = EventSchemas.majorOf(event.schemaVersion());
        List<String> violations = schemas.violations(event.type(), major, json, MAX_REPORTED_VIOLATIONS);
        if (!violations.isEmpty()) {
            throw new IllegalStateException("refusing to write an invalid " + event.type().typeName() + ": "
                    + String.join("; ", violations));
        }
        try {
            return mapper.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, String> encodeHeaders(Envelope<?> envelope) {
        return KafkaBinaryBinding.toHeaders(envelope.attributes());
    }

    private JsonNode parse(String data) throws InvalidEventException {
        if (data == null || data.isBlank()) {
            throw new InvalidEventException(InvalidEventException.Reason.MALFORMED, "record value is empty");
        }
        try {
            JsonNode node = mapper.readTree(data);
            if (node == null || !node.isObject()) {
                throw new InvalidEventException(InvalidEventException.Reason.MALFORMED,
                        "record value is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(InvalidEventException.Reason.MALFORMED,
                    "record value is not JSON (line " + e.getLocation().getLineNr()
                            + ", column " + e.getLocation().getColumnNr() + ")");
        }
    }
}
