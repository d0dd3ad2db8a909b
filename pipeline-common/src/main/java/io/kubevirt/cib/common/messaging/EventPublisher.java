package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.PipelineEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Clock;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Writes pipeline events: CloudEvents binary mode, topic = event type, key = build ID. {@link #publish} returns only
 * once the broker acknowledged the write, so a worker acks its input after its output is durable (at least once).
 */
@ApplicationScoped
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final EventCodec codec = new EventCodec();
    private final MutinyEmitter<String> emitter;
    private final URI source;
    private final Clock clock;

    @Inject
    public EventPublisher(@Channel("pipeline-events") MutinyEmitter<String> emitter,
            @ConfigProperty(name = "cib.worker.name") String workerName) {
        this.emitter = emitter;
        this.source = URI.create("/cib/" + workerName);
        this.clock = Clock.systemUTC();
    }

    /** A new event from this worker, with a fresh id and the current time. */
    public <T extends PipelineEvent> Envelope<T> envelope(T data) {
        return Envelope.create(data, source, clock);
    }

    /** Blocks until the broker has the event; throws if it could not be written. */
    public void publish(Envelope<?> envelope) {
        String value = codec.encodeData(envelope.data());
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(envelope.type().topic())
                .withKey(envelope.key())
                .withHeaders(KafkaHeaderMaps.toHeaders(codec.encodeHeaders(envelope)))
                .build();
        emitter.sendMessageAndAwait(Message.of(value).addMetadata(metadata));
        LOG.infof("build %s: emitted %s %s", envelope.key(), envelope.type().typeName(), envelope.id());
    }
}
