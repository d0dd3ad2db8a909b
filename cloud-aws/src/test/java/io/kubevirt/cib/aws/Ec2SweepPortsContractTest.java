package io.kubevirt.cib.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.PackerTemporaries;
import io.kubevirt.cib.common.cloud.SweepFixture;
import io.kubevirt.cib.common.cloud.SweepPortsContract;
import io.kubevirt.cib.common.cloud.TaggedResources;
import io.kubevirt.cib.devstack.MotoServer;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sweep ports' contract against the EC2 adapters on moto. */
class Ec2SweepPortsContractTest extends SweepPortsContract {

    private static MotoServer moto;
    private static Ec2Clients clients;
    private static Ec2Cloud cloud;

    @BeforeAll
    static void startMoto() {
        moto = MotoServer.start();
        clients = Ec2Clients.create(Optional.of(URI.create(moto.endpoint())));
        cloud = new Ec2Cloud(clients);
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

    @Override
    protected Locations locations() {
        return new Ec2Locations(clients, "us-east-1");
    }

    @Override
    protected TaggedResources tagged() {
        return new Ec2TaggedResources(clients, cloud);
    }

    @Override
    protected PackerTemporaries packer() {
        return new Ec2PackerTemporaries(clients);
    }

    @Override
    protected SweepFixture fixture() {
        return new Ec2SweepFixture(clients, MotoServer.BASE_AMI_ID);
    }

    @Override
    protected String location() {
        return "eu-west-1";
    }

    @Test
    void aSnapshotBackingARegisteredImageGoesWithItsImageNotOnItsOwn() {
        String image = fixture().seed("eu-west-1", CloudResource.Kind.IMAGE, "kubevirt-pr-9-retained",
                Map.of("cib-expires-at", "2099-01-01T00:00:00Z"));
        List<String> backing = cloud.getImage("eu-west-1", image).orElseThrow().snapshotIds();
        assertThat(backing).isNotEmpty();
        var ec2 = clients.forRegion("eu-west-1");
        // The build's earlier expiry, still on the snapshot after the image's was moved later.
        ec2.createTags(b -> b.resources(backing).tags(software.amazon.awssdk.services.ec2.model.Tag.builder()
                .key("cib-expires-at").value("2000-01-01T00:00:00Z").build()));

        assertThat(tagged().findTagged("eu-west-1", CloudResource.Kind.SNAPSHOT, "cib-expires-at"))
                .extracting(CloudResource::id).doesNotContainAnyElementsOf(backing);
        cloud.deleteImage("eu-west-1", image);
    }

    @Test
    void motosBuiltInImagesAreNotOurs() {
        assertThat(tagged().findTagged("us-east-1", CloudResource.Kind.IMAGE, "cib-expires-at")).isEmpty();
    }

    @Test
    void anImagesCreationTimeIsRead() {
        String image = fixture().seed("eu-west-1", CloudResource.Kind.IMAGE, "kubevirt-release-dep",
                Map.of("cib-build-id", "release-v1-0-0"));
        CloudResource found = tagged().findTagged("eu-west-1", CloudResource.Kind.IMAGE, "cib-build-id").stream()
                .filter(r -> r.id().equals(image)).findFirst().orElseThrow();
        assertThat(found.createdAt()).isBetween(Instant.now().minusSeconds(600), Instant.now().plusSeconds(60));
    }
}
