package io.kubevirt.cib.bridge;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the start with assign/seek (no consumer group), headers as a string map. */
final class TopicReader {

    record Record(String key, Map<String, String> headers, String value) {
    }

    private final String bootstrap;

    TopicReader(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    /** Records whose ce_id is {@code id}, waiting up to {@code timeout} for {@code count} of them. */
    List<Record> withId(String topic, String id, Duration timeout, int count) {
        return read(topic, timeout, r -> id.equals(r.headers().get("ce_id")), count);
    }

    /** Every record on the topic, reading for {@code settle}. */
    List<Record> all(String topic, Duration settle) {
        return read(topic, settle, r -> true, Integer.MAX_VALUE);
    }

    private List<Record> read(String topic, Duration timeout, java.util.function.Predicate<Record> match, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<Record> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Instant until = Instant.now().plus(timeout);
            while (found.size() < count && Instant.now().isBefore(until)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (Header h : r.headers()) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    Record record = new Record(r.key(), headers, r.value());
                    if (match.test(record)) {
                        found.add(record);
                    }
                }
            }
        }
        return found;
    }
}
