package io.kubevirt.cib.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCatalogContract;
import io.kubevirt.cib.common.cloud.InMemoryCloud;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.InstanceFleetContract;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class MeteredCloudTest {

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final MeteredCloud metered = new MeteredCloud("aws", cloud, cloud, meters);

    @Test
    void everyCallIsTimedWithItsOperationAndOutcome() {
        metered.findImages("us-west-1", Map.of());
        metered.findImages("us-west-1", Map.of());

        assertThat(meters.get("cib.cloud.calls").tags("cloud", "aws", "operation", "findImages", "outcome", "ok")
                .timer().count()).isEqualTo(2);
    }

    @Test
    void aFailedCallIsCountedAsRetryableOrFailedAndStillThrown() {
        InstanceFleet throttled = new InMemoryCloud() {
            @Override
            public java.util.List<io.kubevirt.cib.common.cloud.CloudInstance> findInstances(String location,
                    Map<String, String> tags) {
                throw new CloudException("RequestLimitExceeded", true, null);
            }
        };
        MeteredCloud wrapped = new MeteredCloud("aws", cloud, throttled, meters);

        assertThatThrownBy(() -> wrapped.findInstances("us-west-1", Map.of())).isInstanceOf(CloudException.class);
        assertThat(meters.get("cib.cloud.calls").tags("operation", "findInstances", "outcome", "retryable")
                .timer().count()).isEqualTo(1);
    }

    /** The wrapper must keep the port contract. */
    @Nested
    class Images extends ImageCatalogContract {
        @Override
        protected ImageCatalog catalog() {
            return metered;
        }

        @Override
        protected CloudFixture fixture() {
            return cloud;
        }

        @Override
        protected String location() {
            return "us-west-1";
        }

        @Override
        protected String otherLocation() {
            return "eu-west-1";
        }

        @Override
        protected String unknownImageId() {
            return "ami-00000000000000000";
        }
    }

    @Nested
    class Instances extends InstanceFleetContract {
        @Override
        protected InstanceFleet fleet() {
            return metered;
        }

        @Override
        protected CloudFixture fixture() {
            return cloud;
        }

        @Override
        protected String location() {
            return "us-west-1";
        }

        @Override
        protected String launchableImage() {
            return "ami-00000000000000001";
        }
    }
}
