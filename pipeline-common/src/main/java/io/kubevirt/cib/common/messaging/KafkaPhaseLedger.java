package io.kubevirt.cib.common.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubevirt.cib.common.phase.PhaseLedger;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.common.phase.WireEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * The ledger as a compacted topic, {@code <worker>.ledger}, key = input event id, one partition. Every replica reads
 * the whole topic into memory at start and tails it; {@link #find} first waits until it has read everything written
 * before the call (end offset), so an entry one replica wrote is seen by the replica that gets the input next.
 * Writes go through an idempotent acks=all producer and are retried while the broker is away (readiness DOWN).
 */
@ApplicationScoped
public class KafkaPhaseLedger implements PhaseLedger {

    private static final Logger LOG = Logger.getLogger(KafkaPhaseLedger.class);

    private final Map<String, Object> kafka;
    private final MessagingSettings settings;
    private final DeliveryHealth health;
    private final Waiter waiter;
    private final PhaseClaims claims;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Record> entries = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private volatile long readUpTo;
    private volatile boolean closed;
    private TopicPartition partition;
    private KafkaProducer<String, String> producer;
    private KafkaConsumer<String, String> offsets;
    private Thread reader;

    /**
     * What the topic holds per input: {@code state} is running, released or completed; {@code published} is absent
     * in records written before events could leave early (then a completed outcome counts as not yet published).
     */
    record Record(String state, int died, List<WireEvent> outcome, Set<String> published) {

        static Record of(Entry entry) {
            return new Record(entry.state().name().toLowerCase(Locale.ROOT), entry.died(),
                    entry.outcome().orElse(null), entry.published());
        }

        Entry entry() {
            return new Entry(PhaseLedger.State.valueOf(state.toUpperCase(Locale.ROOT)), died,
                    Optional.ofNullable(outcome), published == null ? Set.of() : published);
        }
    }

    @Inject
    public KafkaPhaseLedger(@Identifier("default-kafka-broker") Map<String, Object> kafka, MessagingSettings settings,
            DeliveryHealth health, Waiter waiter, PhaseClaims claims) {
        this.kafka = kafka;
        this.waiter = waiter;
        this.claims = claims;
        this.settings = settings;
        this.health = health;
    }

    @PostConstruct
    void start() {
        partition = new TopicPartition(settings.ledgerTopic(), 0);
        ensureTopic();
        producer = new KafkaProducer<>(KafkaOutcomeSink.producerConfig(kafka, settings), new StringSerializer(),
                new StringSerializer());
        offsets = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new StringDeserializer());
        reader = new Thread(this::readForever, "ledger-reader-" + settings.ledgerTopic());
        reader.setDaemon(true);
        reader.start();
    }

    private void ensureTopic() {
        Map<String, Object> config = new HashMap<>(filtered(AdminClientConfig.configNames()));
        try (Admin admin = Admin.create(config)) {
            NewTopic topic = new NewTopic(settings.ledgerTopic(), Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            LOG.infof("created ledger topic %s", settings.ledgerTopic());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                // Deployments create it (deploy/); a worker without the right to create topics still starts.
                LOG.warnf("could not create ledger topic %s: %s", settings.ledgerTopic(), e.getCause().getMessage());
            }
        } catch (Exception e) {
            LOG.warnf("could not create ledger topic %s: %s", settings.ledgerTopic(), e.getMessage());
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> config = new HashMap<>(filtered(ConsumerConfig.configNames()));
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return config;
    }

    private Map<String, Object> filtered(Set<String> names) {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (names.contains(key)) {
                config.put(key, value);
            }
        });
        return config;
    }

    private void readForever() {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (!closed) {
                try {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        apply(record);
                    }
                    long position = consumer.position(partition, Duration.ofSeconds(5));
                    synchronized (progress) {
                        readUpTo = position;
                        progress.notifyAll();
                    }
                } catch (org.apache.kafka.common.errors.InterruptException e) {
                    return;
                } catch (RuntimeException e) {
                    if (!closed) {
                        LOG.warnf("ledger reader: %s; reading on", e.getMessage());
                    }
                }
            }
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            entries.remove(record.key());
            return;
        }
        try {
            entries.put(record.key(), json.readValue(record.value(), Record.class));
        } catch (JsonProcessingException e) {
            LOG.warnf("ledger record %s at offset %d is not readable; ignored", record.key(), record.offset());
        }
    }

    @Override
    public Entry find(String inputId) {
        awaitCaughtUp();
        Record record = entries.get(inputId);
        return record == null ? Entry.NEW : record.entry();
    }

    @Override
    public void record(String inputId, Entry entry) {
        write(inputId, Record.of(entry));
    }

    /** Retries until written: a lost ledger write would let a crash loop or a second outcome through. */
    private void write(String inputId, Record record) {
        String value;
        try {
            value = json.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        retryUntilDone("ledger-write", () -> {
            producer.send(new ProducerRecord<>(settings.ledgerTopic(), 0, inputId, value))
                    .get(settings.deliveryTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
            entries.put(inputId, record);
            return null;
        });
    }

    private void awaitCaughtUp() {
        long end = retryUntilDone("ledger-read", () -> {
            synchronized (offsets) {
                return offsets.endOffsets(List.of(partition), settings.deliveryTimeout()).get(partition);
            }
        });
        synchronized (progress) {
            while (readUpTo < end && !closed) {
                try {
                    progress.wait(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while reading the ledger", e);
                }
            }
        }
    }

    private <T> T retryUntilDone(String what, Callable<T> call) {
        return waiter.retrying(what, settings.publishRetry(), claims.lifetime(), e -> true, () -> {
            try {
                T result = call.call();
                health.recovered(what);
                return result;
            } catch (Exception e) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                health.failing(what, cause.getClass().getSimpleName() + ": " + cause.getMessage());
                LOG.warnf("%s failed, trying again: %s", what, cause.getMessage());
                throw new IllegalStateException(what + " failed: " + cause.getMessage(), cause);
            }
        });
    }

    @PreDestroy
    void close() {
        closed = true;
        synchronized (progress) {
            progress.notifyAll();
        }
        if (reader != null) {
            reader.interrupt();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (offsets != null) {
            synchronized (offsets) {
                offsets.close(Duration.ofSeconds(5));
            }
        }
    }
}
