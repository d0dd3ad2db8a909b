package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.OutcomeSink;
import io.kubevirt.cib.common.phase.WireEvent;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
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
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Puts outcome events on the broker with a plain idempotent producer (acks=all), and keeps trying while the broker is
 * away: each try waits up to {@code delivery.timeout.ms}, then the {@link Waiter} backs off and tries again, until
 * the events are written or the attempt is cancelled. Meanwhile readiness is DOWN ({@link DeliveryHealth}) and
 * {@code cib.outcome.publish.failures} counts the failed tries. Same ids on every try: a consumer that got an
 * earlier try's record recognises the repeat.
 */
@ApplicationScoped
public class KafkaOutcomeSink implements OutcomeSink {

    private static final Logger LOG = Logger.getLogger(KafkaOutcomeSink.class);

    private final KafkaProducer<String, String> producer;
    private final Waiter waiter;
    private final DeliveryHealth health;
    private final MessagingSettings settings;
    private final Counter failures;

    @Inject
    public KafkaOutcomeSink(@Identifier("default-kafka-broker") Map<String, Object> kafka, Waiter waiter,
            DeliveryHealth health, MessagingSettings settings, MeterRegistry meters) {
        this.producer = new KafkaProducer<>(producerConfig(kafka, settings), new StringSerializer(),
                new StringSerializer());
        this.waiter = waiter;
        this.health = health;
        this.settings = settings;
        this.failures = Counter.builder("cib.outcome.publish.failures")
                .description("Tries to publish an outcome that failed (the broker was away or refused)")
                .register(meters);
    }

    static Map<String, Object> producerConfig(Map<String, Object> kafka, MessagingSettings settings) {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (ProducerConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // One try is bounded, so that an absent broker shows in readiness instead of a silent two-minute block.
        int delivery = (int) settings.deliveryTimeout().toMillis();
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, delivery);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(delivery, 10_000));
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, delivery);
        return config;
    }

    @Override
    public void publish(List<WireEvent> events, Attempt attempt) throws NotPublishedException {
        try {
            waiter.retrying("publish-outcome", settings.publishRetry(), attempt, e -> true, () -> sendAll(events));
        } catch (GuardedWaiter.Cancelled e) {
            throw new NotPublishedException("attempt cancelled while the broker did not take the outcome", null);
        } catch (RuntimeException e) {
            throw new NotPublishedException("gave up publishing: " + e.getMessage(), e);
        }
    }

    private void sendAll(List<WireEvent> events) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try {
            for (WireEvent event : events) {
                sent.add(producer.send(new ProducerRecord<>(event.topic(), null, event.key(), event.value(),
                        KafkaHeaderMaps.toHeaders(event.headers()))));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(settings.deliveryTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            }
            health.recovered("publish");
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failures.increment();
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            health.failing("publish", cause.getClass().getSimpleName() + ": " + cause.getMessage());
            LOG.warnf("could not publish %d outcome event(s), trying again: %s", events.size(), cause.getMessage());
            throw new IllegalStateException("broker did not take the outcome: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing", e);
        }
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
