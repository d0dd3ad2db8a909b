package io.kubevirt.cib.events;

import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A pipeline event with its CloudEvents attributes. */
public record Envelope<T extends PipelineEvent>(CloudEventAttributes attributes, T data) {

    /**
     * A new event with a fresh id, for events that start a flow (a request, a release tag); {@code source} names the
     * producer, e.g. {@code /cib/operator}.
     */
    public static <T extends PipelineEvent> Envelope<T> create(T data, URI source, Clock clock) {
        return withId(UUID.randomUUID().toString(), data, source, clock);
    }

    /** An event with a given id, e.g. one derived from its input by {@link EventIds#derived}. */
    public static <T extends PipelineEvent> Envelope<T> withId(String id, T data, URI source, Clock clock) {
        EventType type = data.type();
        var attributes = new CloudEventAttributes(
                id,
                source,
                type.typeName(),
                OffsetDateTime.now(clock),
                data.buildId(),
                EventSchemas.schemaUri(type, EventSchemas.majorOf(data.schemaVersion())));
        return new Envelope<>(attributes, data);
    }

    public String id() {
        return attributes.id();
    }

    public EventType type() {
        return data.type();
    }

    /** The Kafka record key: the build ID, so all events of one build land in one partition, in order. */
    public String key() {
        return data.buildId();
    }
}
