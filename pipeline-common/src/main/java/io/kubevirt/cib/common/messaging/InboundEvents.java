package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
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

    public <T extends PipelineEvent> Envelope<T> read(Class<T> type, Message<String> message)
            throws InvalidEventException {
        return codec.decode(type, headers(message), message.getPayload());
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
