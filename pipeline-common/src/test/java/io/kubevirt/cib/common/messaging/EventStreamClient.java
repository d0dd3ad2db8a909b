package io.kubevirt.cib.common.messaging;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a test does on the stream, with plain Kafka clients against the real broker: publish events the way the
 * git-hook bridge or an operator would, and read back what the workers emitted (every partition, from the start).
 */
public final class EventStreamClient implements AutoCloseable {

    private final String bootstrap;
    private final KafkaProducer<String, String> producer;
    private final EventCodec codec = new EventCodec();

    public EventStreamClient(String bootstrap) {
        this.bootstrap = bootstrap;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** A new event from "/cib/test", sent to its topic keyed by build ID; returns it (for its id). */
    public <T extends PipelineEvent> Envelope<T> send(T data) {
        Envelope<T> envelope = Envelope.create(data, URI.create("/cib/test"), Clock.systemUTC());
        send(envelope);
        return envelope;
    }

    /** Sends this exact event again (same id): what a redelivery looks like to a worker. Returns where it landed. */
    public RecordMetadata send(Envelope<?> envelope) {
        return sendRaw(envelope.type().topic(), envelope.key(), codec.encodeHeaders(envelope),
                codec.encodeData(envelope.data()));
    }

    public RecordMetadata sendRaw(String topic, String key, Map<String, String> headers, String value) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, null, key, value,
                KafkaHeaderMaps.toHeaders(headers));
        try {
            return producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not send to " + topic, e);
        }
    }

    /**
     * Waits until consumer group {@code group} has committed past {@code sent}: the worker has acknowledged that
     * record, whether or not it emitted anything for it (a redelivery answered from the ledger emits nothing).
     */
    public void awaitConsumed(String group, RecordMetadata sent, Duration timeout) {
        TopicPartition partition = new TopicPartition(sent.topic(), sent.partition());
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Instant giveUp = Instant.now().plus(timeout);
        long committed = -1;
        try (Admin admin = Admin.create(props)) {
            while (Instant.now().isBefore(giveUp)) {
                OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS).get(partition);
                committed = offset == null ? -1 : offset.offset();
                if (committed > sent.offset()) {
                    return;
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (Exception e) {
            throw new AssertionError("could not read the offsets of group " + group, e);
        }
        throw new AssertionError("group " + group + " did not consume " + partition + " offset " + sent.offset()
                + " within " + timeout + " (committed: " + committed + ")");
    }

    /** Waits until {@code count} records on {@code topic} match; fails with what was seen otherwise. */
    public List<ConsumerRecord<String, String>> awaitRecords(String topic, Predicate<ConsumerRecord<String, String>> match,
            int count, Duration timeout) {
        List<ConsumerRecord<String, String>> matched = new ArrayList<>();
        int seen = 0;
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Instant giveUp = Instant.now().plus(timeout);
            while (matched.size() < count && Instant.now().isBefore(giveUp)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    seen++;
                    if (match.test(record)) {
                        matched.add(record);
                    }
                }
            }
        }
        if (matched.size() < count) {
            throw new AssertionError("expected " + count + " matching records on " + topic + " within " + timeout
                    + ", found " + matched.size() + " of " + seen + " seen");
        }
        return matched;
    }

    /** Every matching record currently on the topic, after waiting {@code settle} for stragglers. */
    public List<ConsumerRecord<String, String>> records(String topic, Predicate<ConsumerRecord<String, String>> match,
            Duration settle) {
        List<ConsumerRecord<String, String>> matched = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic, Duration.ofSeconds(10));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Instant until = Instant.now().plus(settle);
            while (Instant.now().isBefore(until)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (match.test(record)) {
                        matched.add(record);
                    }
                }
            }
        }
        return matched;
    }

    /** Waits for {@code count} events of a type for one build and decodes them (validating them on the way). */
    public <T extends PipelineEvent> List<Envelope<T>> awaitEvents(Class<T> type, String buildId, int count,
            Duration timeout) {
        return awaitRecords(EventType.of(type).topic(), r -> buildId.equals(r.key()), count, timeout).stream()
                .map(r -> decode(type, r))
                .toList();
    }

    public <T extends PipelineEvent> Envelope<T> decode(Class<T> type, ConsumerRecord<String, String> record) {
        try {
            return codec.decode(type, KafkaHeaderMaps.toMap(record.headers()), record.value());
        } catch (InvalidEventException e) {
            throw new AssertionError("a worker emitted an invalid event: " + e.getMessage(), e);
        }
    }

    private KafkaConsumer<String, String> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<String, String> consumer, String topic,
            Duration timeout) {
        Instant giveUp = Instant.now().plus(timeout);
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("topic " + topic + " does not exist");
            }
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
