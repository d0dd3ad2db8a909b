package io.kubevirt.cib.events;

import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A pipeline event with its CloudEvents attributes. */
public record Envelope<T extends PipelineEvent>(CloudEventAttributes attributes, T data) {

    /** A new event with a fresh id; {@code source} names the producing service, e.g. {@code /cib/build-worker}. */
    public static <T extends PipelineEvent> Envelope<T> create(T data, URI source, Clock clock) {
        EventType type = data.type();
        var attributes = new CloudEventAttributes(
                UUID.randomUUID().toString(),
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
