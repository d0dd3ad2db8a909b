package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Turns a Kafka record into a validated event, or rejects it. Rejection nacks the message with the reason; the
 * channel's {@code dead-letter-queue} failure strategy then writes it to {@code <topic>.dlq} with the reason and its
 * origin (topic, partition, offset) in headers, and the worker goes on with the next record.
 */
@ApplicationScoped
public class InboundEvents {

    private static final Logger LOG = Logger.getLogger(InboundEvents.class);

    private final EventCodec codec = new EventCodec();
    private final MeterRegistry meters;

    @Inject
    public InboundEvents(MeterRegistry meters) {
        this.meters = meters;
    }

    /**
     * Decodes and validates the record. Also records the hand-off latency (record timestamp to handler) as
     * {@code cib.event.handoff}, per topic: how long an event waits before a worker starts on it.
     */
    public <T extends PipelineEvent> Envelope<T> read(Class<T> type, Message<String> message)
            throws InvalidEventException {
        message.getMetadata(IncomingKafkaRecordMetadata.class).ifPresent(this::recordHandoff);
        return codec.decode(type, headers(message), message.getPayload());
    }

    private void recordHandoff(IncomingKafkaRecordMetadata<?, ?> metadata) {
        Duration waited = Duration.between(metadata.getTimestamp(), Instant.now());
        Timer.builder("cib.event.handoff")
                .description("Time from a record's timestamp to the start of its handling")
                .tag("topic", metadata.getTopic())
                .publishPercentiles(0.5, 0.99)
                .publishPercentileHistogram()
                .register(meters)
                .record(waited.isNegative() ? Duration.ZERO : waited);
    }

    /** Logs where the bad record came from and hands it to the dead-letter strategy. */
    public CompletionStage<Void> reject(Message<String> message, InvalidEventException reason) {
        LOG.warnf("dead-lettering record %s: %s", origin(message), reason.getMessage());
        return message.nack(reason);
    }

    public static String origin(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> m.getTopic() + "/" + m.getPartition() + "@" + m.getOffset())
                .orElse("(not from Kafka)");
    }

    private static Map<String, String> headers(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> KafkaHeaderMaps.toMap(m.getHeaders()))
                .orElse(Map.of());
    }
}
