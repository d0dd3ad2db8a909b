package io.kubevirt.cib.gcp;

import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCatalogContract;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.InstanceFleetContract;
import io.kubevirt.cib.gcp.testing.GceFixture;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The shared port contracts, run against {@link GceCloud} on the {@link LocalComputeServer}. Images are global in
 * GCP, so the contract's "other location" is mapped to another project (see {@link GceFixture}).
 */
class GceCloudContractTest {

    static final String PROJECT = "cib-contract";
    static final String ZONE = "us-central1-b";
    static final String OTHER_ZONE = "europe-west4-a";
    static final String BASE_IMAGE = "cib-base-image";

    private static LocalComputeServer server;
    private static GceCloud cloud;
    private static GceFixture fixture;

    @BeforeAll
    static void start() {
        server = LocalComputeServer.start();
        server.seedImage(PROJECT, BASE_IMAGE, Map.of());
        cloud = new GceCloud(GceFixture.clients(server, PROJECT));
        fixture = new GceFixture(server, PROJECT).withProjectFor(OTHER_ZONE, "cib-contract-other");
    }

    @AfterAll
    static void stop() {
        if (cloud != null) {
            cloud.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Nested
    class Images extends ImageCatalogContract {
        @Override
        protected ImageCatalog catalog() {
            return cloud;
        }

        @Override
        protected CloudFixture fixture() {
            return fixture;
        }

        @Override
        protected String location() {
            return ZONE;
        }

        @Override
        protected String otherLocation() {
            return OTHER_ZONE;
        }

        @Override
        protected String unknownImageId() {
            return "cib-no-such-image";
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
            return fixture;
        }

        @Override
        protected String location() {
            return ZONE;
        }

        @Override
        protected String launchableImage() {
            return BASE_IMAGE;
        }

        @Override
        protected String machineType() {
            return "e2-small";
        }
    }
}
