package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudFixture;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCatalogContract;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.InstanceFleetContract;
import io.kubevirt.cib.devstack.MotoServer;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/** The shared port contracts, run against {@link Ec2Cloud} on a real moto_server. */
class Ec2CloudContractTest {

    private static MotoServer moto;
    private static Ec2Clients clients;
    private static Ec2Cloud cloud;
    private static Ec2Fixture fixture;

    @BeforeAll
    static void startMoto() {
        moto = MotoServer.start();
        // The production factory: with an override and no credentials around, it falls back to dummy ones.
        clients = Ec2Clients.create(Optional.of(URI.create(moto.endpoint())));
        cloud = new Ec2Cloud(clients);
        fixture = new Ec2Fixture(clients, MotoServer.BASE_AMI_ID);
    }

    @AfterAll
    static void stopMoto() {
        if (cloud != null) {
            cloud.close();
        }
        if (moto != null) {
            moto.close();
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
            return "us-east-2";
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
            return fixture;
        }

        @Override
        protected String location() {
            return "us-east-2";
        }

        @Override
        protected String launchableImage() {
            // In every region of dev-stack's moto AMI catalogue; moto validates AMIs (MOTO_ENABLE_AMI_VALIDATION).
            return MotoServer.BASE_AMI_ID;
        }
    }
}
