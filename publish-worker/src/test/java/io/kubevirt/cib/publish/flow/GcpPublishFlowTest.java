package io.kubevirt.cib.publish.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.compute.v1.Binding;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.gcp.GceLabels;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.kubevirt.cib.gcp.testing.LocalComputeTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A release on GCP through the real broker and the cloud-gcp adapters, against the LocalComputeServer (Compute and
 * Cloud Build REST on 127.0.0.1): the release image is inserted from the verified image and held back from its
 * family, made public, exported by a Cloud Build gce_vm_image_export build, and only then released into the family.
 */
@QuarkusTest
@TestProfile(GcpPublishFlowTest.GcpOnly.class)
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = LocalComputeTestResource.class, restrictToAnnotatedClass = true)
class GcpPublishFlowTest {

    public static class GcpOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("cib.publish.clouds", "gcp", "cib.gcp.export.bucket", "kubevirt-images",
                    "cib.gcp.export.poll-initial", "100ms", "cib.gcp.export.poll-max", "500ms",
                    "cib.gcp.export.budget", "60s");
        }
    }

    private static final String P = LocalComputeTestResource.PROJECT;

    LocalComputeServer gce;

    @Test
    void aVerifiedGceImageIsPublicExportedAndOnlyThenInItsFamily() {
        String version = "v1.9.7";
        Map<String, String> tags = new HashMap<>(Map.of(ResourceTags.BUILD_ID, "g-197",
                ResourceTags.KUBEVIRT_VERSION, version));
        tags.putAll(new VerifiedMarker("g-197", version, null, null, "evt-g-197", Clock.systemUTC().instant()).tags());
        gce.seedImage(P, "kubevirt-g-197", GceLabels.toLabels(tags));
        gce.seedImage(P, "kubevirt-g-196", GceLabels.toLabels(Map.of(ResourceTags.BUILD_ID, "g-196",
                ResourceTags.KUBEVIRT_VERSION, version))); // built, never verified: not a source

        try (EventStreamClient stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers())) {
            var tagged = stream.send(new ReleaseTagged(EventType.CURRENT_VERSION, "release-v1-9-7", version, version,
                    List.of(Cloud.GCP), null, null, null));
            ReleasePublished summary = stream.awaitEvents(ReleasePublished.class, tagged.data().buildId(), 1,
                    Duration.ofSeconds(90)).get(0).data();
            ImagePublished published = stream.awaitEvents(ImagePublished.class, tagged.data().buildId(), 1,
                    Duration.ofSeconds(10)).get(0).data();

            assertThat(summary.outcome()).as(String.valueOf(summary.failedRegions()))
                    .isEqualTo(ReleasePublished.Outcome.COMPLETE);
            assertThat(published.cloud()).isEqualTo(Cloud.GCP);
            assertThat(published.imageId()).isEqualTo("kubevirt-v1-9-7");
            assertThat(published.sourceImageId()).isEqualTo("kubevirt-g-197");
            assertThat(published.project()).isEqualTo(P);
            assertThat(published.exportUri()).isEqualTo("gs://kubevirt-images/v1.9.7.tar.gz");
        }
        assertThat(gce.imageCalls()).containsSubsequence("insert kubevirt-v1-9-7",
                "deprecate kubevirt-v1-9-7 DEPRECATED", "setIamPolicy kubevirt-v1-9-7",
                "deprecate kubevirt-v1-9-7 ACTIVE");
        assertThat(gce.imagePolicy(P, "kubevirt-v1-9-7").getBindingsList()).anySatisfy((Binding b) -> {
            assertThat(b.getRole()).isEqualTo("roles/compute.imageUser");
            assertThat(b.getMembersList()).contains("allAuthenticatedUsers");
        });
        assertThat(gce.cloudBuild().exportedObjects()).containsKey("gs://kubevirt-images/v1.9.7.tar.gz");
        assertThat(gce.image(P, "kubevirt-g-196")).isPresent();
    }
}
