package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The GCP publishing fake honours the contracts the GCE adapters pass on the LocalComputeServer. */
class InMemoryImagePublishingContractTest {

    private final InMemoryCloud cloud = new InMemoryCloud();
    private final InMemoryImagePublishing fake = new InMemoryImagePublishing(cloud, "cib-exports");

    @Nested
    class Permissions extends LaunchPermissionsContract {
        @Override
        protected LaunchPermissions permissions() {
            return fake;
        }

        @Override
        protected CloudFixture fixture() {
            return cloud;
        }

        @Override
        protected String location() {
            return "global";
        }
    }

    @Nested
    class Exports extends ImageExportsContract {
        @Override
        protected ImageExports exports() {
            return fake;
        }

        @Override
        protected CloudFixture fixture() {
            return cloud;
        }

        @Override
        protected String location() {
            return "global";
        }

        @Override
        protected void exportsTake(Duration duration) {
            fake.exportTime(duration);
        }
    }

    @Nested
    class Families extends ImageFamiliesContract {
        @Override
        protected ImageFamilies families() {
            return fake;
        }

        @Override
        protected CloudFixture fixture() {
            return cloud;
        }

        @Override
        protected String location() {
            return "global";
        }
    }

    @Test
    void theFakeRecordsThePublishOrder() {
        String verified = cloud.seedImage("global", "verified", Map.of());
        fake.addHeld("kubevirt", verified, "kubevirt-v1", Map.of());
        fake.makePublic("global", "kubevirt-v1");
        fake.export("kubevirt-v1", fake.destinationFor("kubevirt-v1"));
        fake.release("kubevirt-v1");

        assertThat(fake.calls()).containsExactly("addHeld kubevirt-v1", "makePublic kubevirt-v1",
                "export kubevirt-v1 gs://cib-exports/kubevirt-v1.tar.gz", "release kubevirt-v1");
        assertThat(fake.resolve("kubevirt")).contains("kubevirt-v1");
        assertThat(fake.exportsStarted()).isEqualTo(1);
        assertThat(List.of(fake.isPublic("global", "kubevirt-v1"))).containsExactly(true);
    }
}
