package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What every {@link ImageFamilies} does; run against the fake and GCE on the LocalComputeServer. */
public abstract class ImageFamiliesContract {

    protected abstract ImageFamilies families();

    protected abstract CloudFixture fixture();

    /** Where images are seeded (GCP: "global"). */
    protected abstract String location();

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aHeldImageIsNotHandedOutUntilReleased() {
        String family = unique("fam");
        String source = fixture().seedImage(location(), unique("verified"), Map.of());
        String name = unique("release");

        CloudImage made = families().addHeld(family, source, name, Map.of(ResourceTags.BUILD_ID, "release-v1"));

        assertThat(made.id()).isEqualTo(name);
        assertThat(made.tags()).containsEntry(ResourceTags.BUILD_ID, "release-v1");
        assertThat(families().resolve(family)).isEmpty();
        families().release(name);
        assertThat(families().resolve(family)).contains(name);
    }

    @Test
    void aNewerHeldImageLeavesTheFamilyOnTheReleasedOne() {
        String family = unique("fam");
        String source = fixture().seedImage(location(), unique("verified"), Map.of());
        String older = unique("release");
        String newer = unique("release");
        families().addHeld(family, source, older, Map.of());
        families().release(older);

        families().addHeld(family, source, newer, Map.of());
        assertThat(families().resolve(family)).contains(older);

        families().release(newer);
        assertThat(families().resolve(family)).contains(newer);
    }

    @Test
    void addingTheSameImageAgainHoldsItAgain() {
        String family = unique("fam");
        String source = fixture().seedImage(location(), unique("verified"), Map.of());
        String name = unique("release");
        families().addHeld(family, source, name, Map.of());
        families().release(name);

        CloudImage again = families().addHeld(family, source, name, Map.of());

        assertThat(again.id()).isEqualTo(name);
        assertThat(families().resolve(family)).isEmpty();
        families().release(name);
        assertThat(families().resolve(family)).contains(name);
    }
}
