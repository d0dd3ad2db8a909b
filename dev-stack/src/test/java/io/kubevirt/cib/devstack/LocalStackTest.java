package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import org.junit.jupiter.api.Test;

class LocalStackTest {

    @Test
    void defaults() {
        assertThat(LocalStack.Options.parse()).isEqualTo(new LocalStack.Options(9092, 5000, List.of(), 3, Optional.empty()));
    }

    @Test
    void options() {
        assertThat(LocalStack.Options.parse("--kafka-port", "19092", "--moto-port=15000", "--topics", "a, b,,c",
                "--partitions", "6")).isEqualTo(new LocalStack.Options(19092, 15000, List.of("a", "b", "c"), 6,
                        Optional.empty()));
        assertThat(LocalStack.Options.parse("--guest").guestScenario()).contains("pass");
        assertThat(LocalStack.Options.parse("--guest-scenario", "vm-never-running", "--guest").guestScenario())
                .contains("vm-never-running");
    }

    @Test
    void aTopicCanHaveItsOwnPartitionCount() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        LocalStack.createTopics(broker, List.of("plain-" + suffix, "single-" + suffix + ":1"), 3);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()))) {
            var topics = admin.describeTopics(List.of("plain-" + suffix, "single-" + suffix)).allTopicNames().get();
            assertThat(topics.get("plain-" + suffix).partitions()).hasSize(3);
            assertThat(topics.get("single-" + suffix).partitions()).hasSize(1);
        }
    }

    @Test
    void badOptions() {
        assertThatThrownBy(() -> LocalStack.Options.parse("--nope", "1")).hasMessageContaining("unknown option");
        assertThatThrownBy(() -> LocalStack.Options.parse("--kafka-port")).hasMessageContaining("missing value");
        assertThatThrownBy(() -> LocalStack.Options.parse("--moto-port", "70000"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalStack.Options.parse("--guest-scenario", "nope"))
                .hasMessageContaining("unknown guest scenario");
    }
}
