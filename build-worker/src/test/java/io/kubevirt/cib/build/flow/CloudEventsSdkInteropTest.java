package io.kubevirt.cib.build.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.devstack.MotoTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Interoperability with a client that is not ours: the official CloudEvents Java SDK's Kafka binding (binary mode)
 * writes a build.requested that the worker accepts, and reads the worker's image.built back.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(MotoTestResource.class)
class CloudEventsSdkInteropTest {

    @Test
    void anEventFromTheCloudEventsSdkIsBuiltAndTheResultReadsBackThroughIt() throws Exception {
        String bootstrap = KafkaBrokerTestResource.bootstrapServers();
        String buildId = "sdk-" + UUID.randomUUID().toString().substring(0, 8);
        String requestId = UUID.randomUUID().toString();
        String data = "{\"schemaVersion\":\"1.0\",\"buildId\":\"" + buildId
                + "\",\"cloud\":\"aws\",\"kubevirtVersion\":\"v1.8.2\",\"region\":\"us-west-1\"}";
        CloudEvent request = CloudEventBuilder.v1()
                .withId(requestId)
                .withSource(URI.create("/sdk/git-hook-bridge"))
                .withType("build.requested")
                .withSubject(buildId)
                .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withData(data.getBytes(StandardCharsets.UTF_8))
                .build();

        try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                CloudEventSerializer.ENCODING_CONFIG, "BINARY"), new StringSerializer(), new CloudEventSerializer())) {
            producer.send(new ProducerRecord<>("build.requested", buildId, request)).get();
        }

        CloudEvent built = awaitWithSdk(bootstrap, "image.built", buildId, Duration.ofSeconds(90));

        assertThat(built.getSpecVersion().toString()).isEqualTo("1.0");
        assertThat(built.getType()).isEqualTo("image.built");
        assertThat(built.getSource()).isEqualTo(URI.create("/cib/build-worker"));
        assertThat(built.getSubject()).isEqualTo(buildId);
        assertThat(built.getDataContentType()).isEqualTo("application/json");
        assertThat(built.getDataSchema()).hasToString(
                "https://kubevirt.io/cloud-image-builder/schemas/image.built/v1.json");
        JsonNode json = new ObjectMapper().readTree(built.getData().toBytes());
        assertThat(json.get("causedBy").asText()).isEqualTo(requestId);
        assertThat(json.get("imageId").asText()).startsWith("ami-");
    }

    private static CloudEvent awaitWithSdk(String bootstrap, String topic, String key, Duration timeout) {
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(),
                new CloudEventDeserializer())) {
            Instant giveUp = Instant.now().plus(timeout);
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty() && Instant.now().isBefore(giveUp)) {
                partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (Instant.now().isBefore(giveUp)) {
                for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no " + topic + " for " + key + " within " + timeout);
    }
}
