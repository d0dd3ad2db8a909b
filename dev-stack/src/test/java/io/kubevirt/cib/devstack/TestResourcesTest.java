package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager.TestInjector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/** The Quarkus test resources without Quarkus: lifecycle calls as Quarkus makes them. */
class TestResourcesTest {

    @Test
    void kafkaResourceSharesOneBrokerAcrossStarts() throws Exception {
        KafkaBrokerTestResource first = new KafkaBrokerTestResource();
        first.init(Map.of(KafkaBrokerTestResource.TOPICS_ARG, "res-a, res-b", KafkaBrokerTestResource.PARTITIONS_ARG,
                "2"));
        String bootstrap = first.start().get("kafka.bootstrap.servers");
        first.stop();

        // Another test class, or the same one after a Quarkus restart.
        KafkaBrokerTestResource second = new KafkaBrokerTestResource();
        second.init(Map.of());
        assertThat(second.start()).containsEntry("kafka.bootstrap.servers", bootstrap);
        second.stop();

        assertThat(bootstrap).startsWith("127.0.0.1:");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var topics = admin.describeTopics(Set.of("res-a", "res-b")).allTopicNames().get();
            assertThat(topics.get("res-a").partitions()).hasSize(2);
            assertThat(topics.get("res-b").partitions()).hasSize(2);
        }
        assertThat(KafkaBroker.shared().bootstrapServers()).isEqualTo(bootstrap);
    }

    static class SampleTest {
        @InjectMoto
        MotoServer moto;
        @InjectMoto
        SlowCloudProxy proxy;
        MotoServer notAnnotated;
    }

    @Test
    void motoResourceInjectsMotoAndProxyAndStopsThem() {
        MotoTestResource resource = new MotoTestResource();
        resource.init(Map.of(MotoTestResource.SLOW_PROXY_ARG, "true"));
        Map<String, String> config = resource.start();
        SampleTest test = new SampleTest();
        try {
            resource.inject(new FieldInjector(test));

            assertThat(test.moto).isSameAs(MotoTestResource.moto());
            assertThat(test.proxy).isSameAs(MotoTestResource.proxy().orElseThrow());
            assertThat(test.notAnnotated).isNull();
            assertThat(config).containsEntry("cib.aws.endpoint-override", test.proxy.endpoint());
            assertThat(test.moto.ec2("eu-west-1", "DescribeImages", Map.of("ImageId.1", MotoServer.BASE_AMI_ID)))
                    .contains(MotoServer.BASE_AMI_ID);
        } finally {
            resource.stop();
        }
        assertThat(test.moto.isAlive()).isFalse();
        assertThat(MotoTestResource.proxy()).isEqualTo(Optional.empty());
    }

    @Test
    void motoResourceWithoutProxyPointsAtMoto() {
        MotoTestResource resource = new MotoTestResource();
        resource.init(Map.of());
        try {
            assertThat(resource.start()).containsEntry("cib.aws.endpoint-override",
                    MotoTestResource.moto().endpoint());
        } finally {
            resource.stop();
        }
    }

    /** What Quarkus' injector does: set every field the predicate accepts. */
    private record FieldInjector(Object test) implements TestInjector {
        @Override
        public void injectIntoFields(Object value, Predicate<Field> predicate) {
            for (Field f : test.getClass().getDeclaredFields()) {
                if (predicate.test(f)) {
                    try {
                        f.setAccessible(true);
                        f.set(test, value);
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
    }
}
