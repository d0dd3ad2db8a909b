package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.SweepFixture;
import io.kubevirt.cib.common.cloud.SweepPortsContract;
import io.kubevirt.cib.common.cloud.TaggedResources;
import io.kubevirt.cib.gcp.testing.GceFixture;
import io.kubevirt.cib.gcp.testing.GceSweepFixture;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sweep ports' contract against the GCE adapters on the LocalComputeServer. */
class GceSweepPortsContractTest extends SweepPortsContract {

    static final String PROJECT = "cib-sweep";

    private static LocalComputeServer server;
    private static GceClients clients;

    @BeforeAll
    static void start() {
        server = LocalComputeServer.start();
        clients = GceFixture.clients(server, PROJECT);
    }

    @AfterAll
    static void stop() {
        if (clients != null) {
            clients.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected Locations locations() {
        return new GceLocations(clients);
    }

    @Override
    protected TaggedResources tagged() {
        return new GceTaggedResources(clients);
    }

    @Override
    protected ImageDeprecation deprecation() {
        return new GceImageDeprecation(clients);
    }

    @Override
    protected SweepFixture fixture() {
        return new GceSweepFixture(server, PROJECT);
    }

    @Override
    protected String location() {
        return "us-central1-b";
    }

    @Override
    protected List<CloudResource.Kind> taggedKinds() {
        return List.of(CloudResource.Kind.INSTANCE, CloudResource.Kind.IMAGE, CloudResource.Kind.DISK);
    }

    @Override
    protected String locationOf(CloudResource.Kind kind) {
        return kind == CloudResource.Kind.IMAGE ? GceLocations.GLOBAL : location();
    }

    @Override
    protected String reportedLocationOf(CloudResource.Kind kind) {
        return kind == CloudResource.Kind.IMAGE ? null : location();
    }

    @Test
    void locationsAreTheZonesTheApiListsThenGlobal() {
        server.setZones(List.of("asia-east1-a", "us-central1-b"));
        try {
            assertThat(locations().locations()).containsExactly("asia-east1-a", "us-central1-b", "global");
        } finally {
            server.setZones(LocalComputeServer.DEFAULT_ZONES);
        }
    }

    @Test
    void theLabelKeyIsFilteredOnTheServerAndEveryPageIsRead() {
        for (int i = 0; i < 5; i++) {
            fixture().seed(location(), CloudResource.Kind.DISK, "paged-disk-" + i, Map.of(ResourceTags.PHASE, "p"));
        }
        server.setPageSize(2);
        server.clearRequests();
        try {
            assertThat(tagged().findTagged(location(), CloudResource.Kind.DISK, ResourceTags.PHASE))
                    .extracting(CloudResource::id).contains("paged-disk-0", "paged-disk-4");
        } finally {
            server.setPageSize(500);
        }
        var lists = server.requests("GET", "/zones/us-central1-b/disks$");
        assertThat(lists).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(r -> assertThat(r.param("filter")).contains("labels.cib-phase:*"));
    }

    @Test
    void anImagesCreationTimeIsRead() {
        fixture().seed(GceLocations.GLOBAL, CloudResource.Kind.IMAGE, "kubevirt-release-created",
                Map.of(ResourceTags.BUILD_ID, "release-v1-0-0"));
        CloudResource found = tagged().findTagged(GceLocations.GLOBAL, CloudResource.Kind.IMAGE,
                ResourceTags.BUILD_ID).stream().filter(r -> r.id().equals("kubevirt-release-created")).findFirst()
                .orElseThrow();
        assertThat(found.createdAt()).isBetween(Instant.now().minusSeconds(600), Instant.now().plusSeconds(60));
        assertThat(found.tags()).containsEntry(ResourceTags.BUILD_ID, "release-v1-0-0");
    }

    @Test
    void removingAnImageIsOneDeleteWithNoSnapshotStep() {
        fixture().seed(GceLocations.GLOBAL, CloudResource.Kind.IMAGE, "kubevirt-one-delete",
                Map.of(ResourceTags.EXPIRES_AT, "1"));
        CloudResource image = tagged().findTagged(GceLocations.GLOBAL, CloudResource.Kind.IMAGE,
                ResourceTags.EXPIRES_AT).stream().filter(r -> r.id().equals("kubevirt-one-delete")).findFirst()
                .orElseThrow();
        server.clearRequests();

        assertThat(tagged().remove(image)).isTrue();

        assertThat(server.requests().stream().filter(r -> !r.method().equals("GET")))
                .extracting(Object::toString).singleElement().asString()
                .startsWith("DELETE /compute/v1/projects/cib-sweep/global/images/kubevirt-one-delete");
        assertThat(server.image(PROJECT, "kubevirt-one-delete")).isEmpty();
    }
}
