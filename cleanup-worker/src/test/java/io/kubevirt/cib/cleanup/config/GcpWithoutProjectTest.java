package io.kubevirt.cib.cleanup.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.cleanup.domain.CloudPorts;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.events.Cloud;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A cleanup-worker for aws and gcp starts without any cib.gcp.* setting, as the GCE adapter does everywhere: the GCP
 * ports exist, and their first call fails naming the missing property (not retryable).
 */
@QuarkusTest
@TestProfile(GcpWithoutProjectTest.AwsAndGcp.class)
@QuarkusTestResource(KafkaBrokerTestResource.class)
class GcpWithoutProjectTest {

    public static class AwsAndGcp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("cib.cleanup.clouds", "aws,gcp");
        }
    }

    @Inject
    Map<Cloud, CloudPorts> clouds;

    @Test
    void bothCloudsAreWiredAndGcpFailsOnlyWhenUsed() {
        assertThat(clouds).containsOnlyKeys(Cloud.AWS, Cloud.GCP);
        CloudPorts gcp = clouds.get(Cloud.GCP);
        assertThat(gcp.packer()).isEmpty();
        assertThat(gcp.project()).isEmpty();
        assertThatThrownBy(() -> gcp.locations().locations())
                .isInstanceOf(CloudException.class)
                .hasMessageContaining("cib.gcp.project")
                .satisfies(e -> assertThat(((CloudException) e).retryable()).isFalse());
    }
}
