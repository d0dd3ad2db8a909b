package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What every {@link LaunchPermissions} does; run against the fakes, EC2 on moto and GCE on the LocalComputeServer. */
public abstract class LaunchPermissionsContract {

    protected abstract LaunchPermissions permissions();

    protected abstract CloudFixture fixture();

    /** Where the images are made and made public (AWS: a region; GCP: "global"). */
    protected abstract String location();

    @Test
    void makingAnImagePublicTwiceIsFine() {
        String image = fixture().seedImage(location(), "pub-" + UUID.randomUUID(), Map.of());
        assertThat(permissions().isPublic(location(), image)).isFalse();
        permissions().makePublic(location(), image);
        permissions().makePublic(location(), image);
        assertThat(permissions().isPublic(location(), image)).isTrue();
    }

    @Test
    void makingOneImagePublicLeavesAnotherPrivate() {
        String one = fixture().seedImage(location(), "pub-" + UUID.randomUUID(), Map.of());
        String other = fixture().seedImage(location(), "priv-" + UUID.randomUUID(), Map.of());
        permissions().makePublic(location(), one);
        assertThat(permissions().isPublic(location(), other)).isFalse();
    }
}
