package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.TaggedResources;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The producer in a real Quarkus (ArC) container, started without any cib.gcp.* configuration. */
@QuarkusTest
@TestProfile(GcpWiringQuarkusTest.NoGcpConfig.class)
class GcpWiringQuarkusTest {

    public static class NoGcpConfig implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // pipeline-common brings Kafka messaging and its beans along (which need e.g. a MeterRegistry that only
            // a worker provides); this test is about the GCP producer and needs neither them, a broker nor Docker.
            return Map.of("quarkus.devservices.enabled", "false",
                    "quarkus.kafka.devservices.enabled", "false",
                    "quarkus.arc.exclude-types", "io.kubevirt.cib.common.**");
        }
    }

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    GceCloud cloud;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    InstanceFleet fleet;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    ImageCatalog catalog;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    Locations locations;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    TaggedResources tagged;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    ImageDeprecation deprecation;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    LaunchPermissions permissions;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    ImageExports exports;

    @Inject
    @Identifier(GcpCloudProducer.GCP)
    ImageFamilies families;

    @Inject
    Instance<LaunchPermissions> defaultPermissions;

    @Inject
    Instance<TaggedResources> defaultTagged;

    @Inject
    Instance<ImageCatalog> defaultCatalog;

    @Inject
    Instance<InstanceFleet> defaultFleet;

    @Test
    void theQualifiedBeanServesBothPortsAndFailsOnlyWhenUsed() {
        assertThat(fleet).isSameAs(cloud);
        assertThat(catalog).isSameAs(cloud);
        assertThatThrownBy(() -> catalog.findImages("us-central1-b", Map.of()))
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.project");
    }

    @Test
    void noUnqualifiedPortsComeFromThisModule() {
        assertThat(defaultCatalog.isResolvable()).isFalse();
        assertThat(defaultFleet.isResolvable()).isFalse();
        assertThat(defaultPermissions.isResolvable()).isFalse();
        assertThat(defaultTagged.isResolvable()).isFalse();
    }

    @Test
    void theSweepAndPublishingPortsAreQualifiedBeansThatFailOnlyWhenUsed() {
        assertThat(locations).isNotNull();
        assertThat(deprecation).isNotNull();
        assertThatThrownBy(() -> locations.locations()).isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.project");
        assertThatThrownBy(() -> tagged.findTagged("us-central1-b", CloudResource.Kind.INSTANCE, "cib-build-id"))
                .isInstanceOf(CloudException.class).hasMessageContaining("cib.gcp.project");
        assertThatThrownBy(() -> permissions.isPublic("global", "img")).isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.project");
        assertThatThrownBy(() -> exports.destinationFor("img")).isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.export.bucket");
        assertThatThrownBy(() -> families.resolve("kubevirt")).isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.project");
    }
}
