package io.kubevirt.cib.cleanup.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBrokerTestResource;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.ResourcesCleaned.Result;
import io.kubevirt.cib.events.SweepRequested;
import io.kubevirt.cib.gcp.GceLabels;
import io.kubevirt.cib.gcp.testing.LocalComputeServer;
import io.kubevirt.cib.gcp.testing.LocalComputeTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A sweep of GCP through the real broker, on the LocalComputeServer (Compute REST on 127.0.0.1): expired labelled
 * instances, disks (every zone the Zones API lists) and images (global) are removed; live and unlabelled ones stay;
 * the older of two releases is deprecated through images.deprecate, the newest kept.
 */
@QuarkusTest
@TestProfile(GcpSweepFlowTest.GcpOnly.class)
@QuarkusTestResource(KafkaBrokerTestResource.class)
@QuarkusTestResource(value = LocalComputeTestResource.class, restrictToAnnotatedClass = true)
class GcpSweepFlowTest {

    public static class GcpOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("cib.cleanup.clouds", "gcp");
        }
    }

    private static final String P = LocalComputeTestResource.PROJECT;

    LocalComputeServer gce;

    @Test
    void aSweepRemovesExpiredGceLeftoversInEveryZoneAndRetiresTheOlderRelease() throws Exception {
        String build = "pr-7-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> expired = new HashMap<>(ResourceTags.forRequest(build, UUID.randomUUID().toString(),
                ResourceTags.Phase.BUILD));
        expired.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(Instant.now().minusSeconds(60)));
        Map<String, String> alive = new HashMap<>(expired);
        alive.put(ResourceTags.EXPIRES_AT, ResourceTags.expiresAt(Instant.now().plusSeconds(3600)));
        gce.seedInstance(P, "us-central1-b", "leak-vm-" + build, GceLabels.toLabels(expired));
        gce.seedDisk(P, "europe-west4-a", "leak-disk-" + build, GceLabels.toLabels(expired));
        gce.seedImage(P, "leak-image-" + build, GceLabels.toLabels(expired));
        gce.seedInstance(P, "us-central1-b", "alive-vm-" + build, GceLabels.toLabels(alive));
        gce.seedImage(P, "someone-elses-" + build, Map.of());
        gce.seedImage(P, "release-old-" + build, GceLabels.toLabels(Map.of(ResourceTags.BUILD_ID,
                "release-a-" + build, ResourceTags.EXPIRES_AT, "1")));
        Thread.sleep(20); // creation order decides which release is newer
        gce.seedImage(P, "release-new-" + build, GceLabels.toLabels(Map.of(ResourceTags.BUILD_ID,
                "release-b-" + build, ResourceTags.EXPIRES_AT, "1")));
        List<String> leaks = List.of("leak-vm-" + build, "leak-disk-" + build, "leak-image-" + build);

        try (EventStreamClient stream = new EventStreamClient(KafkaBrokerTestResource.bootstrapServers())) {
            Envelope<SweepRequested> request = Envelope.create(new SweepRequested("1.1", "gcp-" + build, false,
                    "test", null, null), URI.create("/cib/test"), Clock.systemUTC());
            stream.send(request);
            List<ResourcesCleaned> events = stream.awaitEvents(ResourcesCleaned.class, "gcp-" + build, 2,
                    Duration.ofSeconds(90)).stream().map(Envelope::data)
                    .sorted((a, b) -> a.trigger().compareTo(b.trigger())).toList();

            ResourcesCleaned swept = events.get(0);
            assertThat(swept.resources()).filteredOn(r -> leaks.contains(r.id()))
                    .hasSize(3)
                    .allSatisfy(r -> {
                        assertThat(r.result()).isEqualTo(Result.DONE);
                        assertThat(r.cloud()).isEqualTo(Cloud.GCP);
                        assertThat(r.project()).isEqualTo(P);
                    });
            assertThat(ids(swept)).doesNotContain("alive-vm-" + build, "someone-elses-" + build,
                    "release-old-" + build, "release-new-" + build);
            assertThat(ids(events.get(1))).contains("release-old-" + build).doesNotContain("release-new-" + build);
        }
        assertThat(gce.instance(P, "us-central1-b", "leak-vm-" + build)).isEmpty();
        assertThat(gce.disk(P, "europe-west4-a", "leak-disk-" + build)).isEmpty();
        assertThat(gce.image(P, "leak-image-" + build)).isEmpty();
        assertThat(gce.instance(P, "us-central1-b", "alive-vm-" + build)).isPresent();
        assertThat(gce.image(P, "someone-elses-" + build)).isPresent();
        assertThat(gce.image(P, "release-new-" + build)).hasValueSatisfying(i -> assertThat(i.hasDeprecated())
                .isFalse());
        assertThat(gce.image(P, "release-old-" + build)).hasValueSatisfying(i -> assertThat(i.getDeprecated()
                .getState()).isEqualTo("DEPRECATED"));
    }

    private static List<String> ids(ResourcesCleaned event) {
        return event.resources().stream().map(ResourcesCleaned.Resource::id).collect(Collectors.toList());
    }
}
