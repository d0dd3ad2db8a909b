package io.kubevirt.cib.cli;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The CLI's only contact with Kafka. Reads use assign/seek without a consumer group, so they never join or move a
 * worker's group; writes use an idempotent producer with acks=all.
 */
public final class EventStream implements AutoCloseable {

    /** A record with its headers as UTF-8 strings. */
    public record StreamRecord(String topic, int partition, long offset, Instant timestamp, String key,
            Map<String, String> headers, String value) {
    }

    /** The broker did not answer in time (exit code 3). */
    public static final class BrokerUnreachable extends RuntimeException {
        public BrokerUnreachable(String message) {
            super(message);
        }
    }

    private final String bootstrap;
    private final Duration timeout;
    private KafkaConsumer<String, String> consumer;
    private KafkaProducer<String, String> producer;

    public EventStream(String bootstrap, Duration timeout) {
        this.bootstrap = bootstrap;
        this.timeout = timeout;
    }

    /** Every topic on the broker; fails fast with {@link BrokerUnreachable} when there is none to ask. */
    public Set<String> topics() {
        try {
            return consumer().listTopics(timeout).keySet();
        } catch (KafkaException e) {
            throw unreachable(e);
        }
    }

    /** Records of existing {@code topics} from {@code since} (null: the start) up to the end as of now. */
    public List<StreamRecord> read(Collection<String> topics, Instant since, Predicate<StreamRecord> match) {
        List<TopicPartition> partitions = partitions(topics);
        List<StreamRecord> found = new ArrayList<>();
        if (partitions.isEmpty()) {
            return found;
        }
        KafkaConsumer<String, String> c = consumer();
        try {
            c.assign(partitions);
            seek(c, partitions, since);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, timeout);
            Instant giveUp = Instant.now().plus(timeout.multipliedBy(6));
            while (!reached(c, end) && Instant.now().isBefore(giveUp)) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    StreamRecord record = convert(r);
                    if (match.test(record)) {
                        found.add(record);
                    }
                }
            }
            return found;
        } catch (KafkaException e) {
            throw unreachable(e);
        }
    }

    /**
     * Hands every record of {@code topics} from {@code since} on to {@code sink}, then new ones as they arrive,
     * while {@code keepGoing} holds; {@code tick} runs after every poll (at least every 200 ms).
     */
    public void follow(Collection<String> topics, Instant since, Consumer<StreamRecord> sink, BooleanSupplier keepGoing,
            Runnable tick) {
        List<TopicPartition> partitions = partitions(topics);
        KafkaConsumer<String, String> c = consumer();
        try {
            c.assign(partitions);
            seek(c, partitions, since);
            while (keepGoing.getAsBoolean()) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    sink.accept(convert(r));
                }
                tick.run();
            }
        } catch (KafkaException e) {
            throw unreachable(e);
        }
    }

    /** The record at one position, if it is still there. */
    public Optional<StreamRecord> at(String topic, int partition, long offset) {
        TopicPartition tp = new TopicPartition(topic, partition);
        KafkaConsumer<String, String> c = consumer();
        try {
            c.assign(List.of(tp));
            c.seek(tp, offset);
            Instant giveUp = Instant.now().plus(timeout);
            while (Instant.now().isBefore(giveUp)) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                    if (r.offset() == offset) {
                        return Optional.of(convert(r));
                    }
                    return Optional.empty();
                }
            }
            return Optional.empty();
        } catch (KafkaException e) {
            throw unreachable(e);
        }
    }

    /** Sends and waits for the broker's acknowledgement. */
    public RecordMetadata send(String topic, String key, Map<String, String> headers, String value) {
        RecordHeaders h = new RecordHeaders();
        headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        try {
            return producer().send(new ProducerRecord<>(topic, null, key, value, h))
                    .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unreachable(e.getCause());
        } catch (java.util.concurrent.TimeoutException | KafkaException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnreachable("interrupted");
        }
    }

    private List<TopicPartition> partitions(Collection<String> topics) {
        Set<String> existing = topics();
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            if (!existing.contains(topic)) {
                continue;
            }
            List<PartitionInfo> infos = consumer().partitionsFor(topic, timeout);
            for (PartitionInfo p : infos) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
        }
        return partitions;
    }

    private void seek(KafkaConsumer<String, String> c, List<TopicPartition> partitions, Instant since) {
        if (since == null) {
            c.seekToBeginning(partitions);
            return;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(query, timeout);
        Map<TopicPartition, Long> end = c.endOffsets(partitions, timeout);
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp at = found.get(p);
            c.seek(p, at == null ? end.get(p) : at.offset());
        }
    }

    private static boolean reached(KafkaConsumer<String, String> c, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static StreamRecord convert(ConsumerRecord<String, String> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return new StreamRecord(r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()), r.key(),
                headers, r.value());
    }

    private BrokerUnreachable unreachable(Throwable e) {
        return new BrokerUnreachable("broker " + bootstrap + " did not answer within " + timeout.toSeconds() + " s ("
                + e.getClass().getSimpleName() + ")");
    }

    private KafkaConsumer<String, String> consumer() {
        if (consumer == null) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "cib-cli");
            p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        }
        return consumer;
    }

    private KafkaProducer<String, String> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "cib-cli");
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() * 2);
            producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close(Duration.ofSeconds(2));
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }
}
