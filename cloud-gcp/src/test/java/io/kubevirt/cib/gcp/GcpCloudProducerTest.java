package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CDI wiring and config mapping, without booting Quarkus. */
class GcpCloudProducerTest {

    @Test
    void theConfigMappingReadsTheDocumentedPropertiesWithDefaults() {
        GcpConfig defaults = mapping(Map.of());
        assertThat(defaults.project()).isEmpty();
        assertThat(defaults.endpointOverride()).isEmpty();
        assertThat(defaults.operationTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(defaults.callTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(defaults.externalIp()).isTrue();
        assertThat(defaults.cloudBuildEndpointOverride()).isEmpty();
        assertThat(defaults.export().bucket()).isEmpty();
        assertThat(defaults.export().zone()).isEqualTo("us-central1-a");
        assertThat(defaults.export().budget()).isEqualTo(Duration.ofHours(3));

        GcpConfig set = mapping(Map.of("cib.gcp.project", "my-project",
                "cib.gcp.endpoint-override", "http://127.0.0.1:8085",
                "cib.gcp.operation-timeout", "90s",
                "cib.gcp.call-timeout", "30s",
                "cib.gcp.external-ip", "false",
                "cib.gcp.cloud-build-endpoint-override", "http://127.0.0.1:8086",
                "cib.gcp.export.bucket", "kubevirt-images",
                "cib.gcp.export.budget", "6h"));
        assertThat(set.project()).hasValue("my-project");
        assertThat(set.endpointOverride()).hasValueSatisfying(uri -> assertThat(uri.getPort()).isEqualTo(8085));
        assertThat(set.operationTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(set.callTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(set.externalIp()).isFalse();
        assertThat(set.cloudBuildEndpointOverride()).hasValueSatisfying(u -> assertThat(u.getPort()).isEqualTo(8086));
        assertThat(set.export().bucket()).hasValue("kubevirt-images");
        assertThat(set.export().budget()).isEqualTo(Duration.ofHours(6));
        GceImageExports.Settings settings = GcpPortsProducer.exportSettings(set);
        assertThat(settings.budget()).isEqualTo(Duration.ofHours(6));
        assertThat(settings.endpoint()).isEqualTo(set.cloudBuildEndpointOverride());
    }

    @Test
    void withoutAProjectTheBeanExistsAndEveryCallNamesTheMissingProperty() {
        GceCloud cloud = new GcpCloudProducer().gceCloud(mapping(Map.of()));
        try {
            assertThatThrownBy(() -> cloud.findInstances("us-central1-b", Map.of()))
                    .isInstanceOf(CloudException.class)
                    .hasMessageContaining("cib.gcp.project")
                    .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
        } finally {
            cloud.close();
        }
    }

    @Test
    void withAProjectAndEndpointTheBeanTalksToThatEndpoint() {
        try (LocalComputeServer server = LocalComputeServer.start()) {
            server.seedImage("from-config", "img", Map.of());
            GceCloud cloud = new GcpCloudProducer().gceCloud(mapping(Map.of(
                    "cib.gcp.project", "from-config",
                    "cib.gcp.endpoint-override", server.endpoint(),
                    "cib.gcp.operation-timeout", "5s")));
            try {
                assertThat(cloud.project()).isEqualTo("from-config");
                assertThat(cloud.getImage("us-central1-b", "img")).isPresent();
            } finally {
                cloud.close();
            }
        }
    }

    @Test
    void onlyAQualifiedGceCloudIsProduced() {
        Method[] producers = Arrays.stream(GcpCloudProducer.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Produces.class))
                .toArray(Method[]::new);

        assertThat(producers).singleElement().satisfies(m -> {
            assertThat(m.getReturnType()).isEqualTo(GceCloud.class);
            assertThat(m.getAnnotation(Identifier.class).value()).isEqualTo(GcpCloudProducer.GCP);
            assertThat(m.isAnnotationPresent(Singleton.class)).isTrue();
        });
        // The qualified bean still serves both ports (its bean types include them).
        assertThat(ImageCatalog.class.isAssignableFrom(GceCloud.class)).isTrue();
        assertThat(InstanceFleet.class.isAssignableFrom(GceCloud.class)).isTrue();
    }

    private static GcpConfig mapping(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(GcpConfig.class)
                // Quarkus's converter, so "10m"/"90s" parse as they do in a worker.
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new io.smallrye.config.PropertiesConfigSource(properties, "test", 500))
                .build();
        return config.getConfigMapping(GcpConfig.class);
    }
}
