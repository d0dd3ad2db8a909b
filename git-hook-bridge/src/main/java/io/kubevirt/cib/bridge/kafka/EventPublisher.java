package io.kubevirt.cib.bridge.kafka;

import io.kubevirt.cib.bridge.domain.HookTranslator.Outgoing;
import io.kubevirt.cib.events.EventType;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Puts the bridge's events on the broker and says whether the broker took them all within the time left. A plain
 * idempotent producer with acks=all, like pipeline-common's KafkaOutcomeSink, but with one bounded try: GitHub is
 * waiting, and a failed delivery is redelivered from GitHub (same delivery id, same event ids).
 */
@ApplicationScoped
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final KafkaProducer<String, String> producer;

    public EventPublisher(Config config) {
        this.producer = new KafkaProducer<>(producerConfig(config), new StringSerializer(), new StringSerializer());
    }

    static Map<String, Object> producerConfig(Config config) {
        Map<String, Object> props = new HashMap<>();
        // kafka.* settings (bootstrap, TLS, SASL) pass through, as in the workers.
        for (String name : config.getPropertyNames()) {
            if (name.startsWith("kafka.")) {
                String key = name.substring("kafka.".length());
                if (ProducerConfig.configNames().contains(key)) {
                    config.getOptionalValue(name, String.class).ifPresent(v -> props.put(key, v));
                }
            }
        }
        props.putIfAbsent(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // Bounded by the answer deadline in publish(); these only keep the client from blocking far beyond it.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "git-hook-bridge");
        return props;
    }

    /** Fetches topic metadata up front, off the startup path, so the first delivery does not pay for it. */
    void warmUp(@Observes StartupEvent started) {
        Thread warm = new Thread(() -> {
            for (EventType type : List.of(EventType.BUILD_REQUESTED, EventType.RELEASE_TAGGED)) {
                try {
                    producer.partitionsFor(type.topic());
                } catch (RuntimeException e) {
                    LOG.warnf("no metadata for %s yet (%s); the first delivery will fetch it", type.topic(),
                            e.getClass().getSimpleName());
                }
            }
        }, "bridge-producer-warm-up");
        warm.setDaemon(true);
        warm.start();
    }

    /** Throws {@link NotPublished} unless the broker acknowledged every event before {@code deadline}. */
    public void publish(List<Outgoing> events, Instant deadline) throws NotPublished {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try {
            for (Outgoing event : events) {
                RecordHeaders headers = new RecordHeaders();
                event.headers().forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
                sent.add(producer.send(new ProducerRecord<>(event.topic(), null, event.buildId(), event.value(),
                        headers)));
            }
            for (Future<RecordMetadata> future : sent) {
                long left = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
                future.get(left, TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException e) {
            throw new NotPublished("the broker did not acknowledge in time");
        } catch (ExecutionException e) {
            throw new NotPublished("the broker refused: " + e.getCause().getClass().getSimpleName());
        } catch (RuntimeException e) {
            throw new NotPublished("could not send: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotPublished("interrupted");
        }
    }

    public static final class NotPublished extends Exception {
        public NotPublished(String message) {
            super(message);
        }
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
