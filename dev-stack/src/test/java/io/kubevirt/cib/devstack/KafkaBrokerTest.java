package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

    private static KafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = KafkaBroker.start(0);
        System.out.println("Kafka broker ready in " + broker.startupTime().toMillis() + " ms at "
                + broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            long t0 = System.nanoTime();
            broker.close();
            System.out.println("Kafka broker closed in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    @Test
    void producerConsumerRoundTrip() throws Exception {
        String topic = "round-trip-" + UUID.randomUUID();
        broker.createTopics(List.of(topic), 3);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
            }
        }
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "g-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // Only accepted because the broker lowers group.min.session.timeout.ms.
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "2000",
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen.size() < 10 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.value());
                }
            }
            consumer.commitSync();
        }
        assertThat(seen).containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    }

    @Test
    void createTopicsIsIdempotentAndUsesRequestedPartitions() throws Exception {
        String a = "idem-a-" + UUID.randomUUID();
        String b = "idem-b-" + UUID.randomUUID();
        broker.createTopics(List.of(a), 3);
        broker.createTopics(List.of(a, b, b), 2);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()))) {
            var d = admin.describeTopics(Set.of(a, b)).allTopicNames().get();
            assertThat(d.get(a).partitions()).hasSize(3);
            assertThat(d.get(b).partitions()).hasSize(2);
        }
    }

    @Test
    void autoCreatedTopicsGetThreePartitions() throws Exception {
        String topic = "auto-" + UUID.randomUUID();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "x")).get();
            assertThat(producer.partitionsFor(topic)).hasSize(3);
        }
    }

    @Test
    void listensOnLoopbackOnly() throws Exception {
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());
        for (int port : List.of(broker.port(), broker.controllerPort())) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            }
            assertThat(listeningAddresses(port)).as("listening sockets on port %d", port)
                    .isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
            for (InetAddress other : nonLoopbackAddresses()) {
                assertThatThrownBy(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(other, port), 2000);
                    }
                }).as("connect to %s:%d", other.getHostAddress(), port).isInstanceOf(ConnectException.class);
            }
        }
    }

    @Test
    void fixedPortInUseFailsClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> KafkaBroker.start(taken.getLocalPort()))
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void brokerVersionEqualsClientVersion() {
        assertThat(ExternalVersions.kafkaBrokerVersion()).contains(ExternalVersions.kafkaClientsVersion());
    }

    /** Local addresses of LISTEN sockets on the port, from /proc/net/tcp and tcp6 (Linux). */
    private static List<InetAddress> listeningAddresses(int port) throws IOException {
        Path tcp = Path.of("/proc/net/tcp");
        assumeTrue(Files.isReadable(tcp), "needs /proc/net/tcp");
        List<InetAddress> out = new ArrayList<>();
        for (Path table : List.of(tcp, Path.of("/proc/net/tcp6"))) {
            if (!Files.isReadable(table)) {
                continue;
            }
            for (String line : Files.readAllLines(table)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[1].contains(":") && "0A".equals(f[3])) {
                    String[] hostPort = f[1].split(":");
                    if (Integer.parseInt(hostPort[1], 16) == port) {
                        out.add(procAddress(hostPort[0]));
                    }
                }
            }
        }
        return out;
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
    private static InetAddress procAddress(String hex) throws IOException {
        byte[] b = new byte[hex.length() / 2];
        for (int word = 0; word < b.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                b[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        // An IPv4-mapped IPv6 address (Java's dual-stack sockets) comes back as an Inet4Address.
        return InetAddress.getByAddress(b);
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                nif.inetAddresses().filter(a -> a instanceof Inet4Address).forEach(out::add);
            }
        }
        return out;
    }
}
