package io.kubevirt.cib.common.cloud;

import org.junit.jupiter.api.Nested;

/** The fake must honour the same contract as the real adapters, or tests built on it prove nothing. */
class InMemoryCloudContractTest {

    private final InMemoryCloud cloud = new InMemoryCloud();

    @Nested
    class Images extends ImageCatalogContract {
        @Override
        protected ImageCatalog catalog() {
            return cloud;
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
            return cloud;
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
