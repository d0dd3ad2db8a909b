package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** One contract, run against every {@link ImageCatalog}: the in-memory fake and each cloud adapter. */
public abstract class ImageCatalogContract {

    protected abstract ImageCatalog catalog();

    protected abstract CloudFixture fixture();

    /** A location (region) the implementation under test serves. */
    protected abstract String location();

    /** Another location, to prove lookups do not leak across regions. */
    protected abstract String otherLocation();

    @Test
    void findsOnlyImagesCarryingEveryRequestedTag() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String wanted = fixture().seedImage(location(), "img-" + build + "-1",
                Map.of(ResourceTags.BUILD_ID, build, ResourceTags.REQUEST_ID, "r1"));
        fixture().seedImage(location(), "img-" + build + "-2",
                Map.of(ResourceTags.BUILD_ID, build, ResourceTags.REQUEST_ID, "r2"));
        fixture().seedImage(otherLocation(), "img-" + build + "-3",
                Map.of(ResourceTags.BUILD_ID, build, ResourceTags.REQUEST_ID, "r1"));

        var found = catalog().findImages(location(), Map.of(ResourceTags.BUILD_ID, build, ResourceTags.REQUEST_ID, "r1"));

        assertThat(found).extracting(CloudImage::id).containsExactly(wanted);
        CloudImage image = found.get(0);
        assertThat(image.location()).isEqualTo(location());
        assertThat(image.name()).isEqualTo("img-" + build + "-1");
        assertThat(image.state()).isEqualTo(CloudImage.State.AVAILABLE);
        assertThat(image.tags()).containsEntry(ResourceTags.REQUEST_ID, "r1");
    }

    @Test
    void findsNothingForUnknownTags() {
        assertThat(catalog().findImages(location(), Map.of(ResourceTags.BUILD_ID, "no-such-build-" + UUID.randomUUID())))
                .isEmpty();
    }

    @Test
    void findsImagesByExactNameWhateverTheirTags() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String wanted = fixture().seedImage(location(), "img-" + build, Map.of("purpose", "contract"));
        fixture().seedImage(location(), "img-" + build + "-longer", Map.of("purpose", "contract"));
        fixture().seedImage(otherLocation(), "img-" + build + "-elsewhere", Map.of("purpose", "contract"));

        assertThat(catalog().findImagesByName(location(), "img-" + build)).extracting(CloudImage::id)
                .containsExactly(wanted);
        assertThat(catalog().findImagesByName(location(), "img-" + build + "-elsewhere")).isEmpty();
        assertThat(catalog().findImagesByName(location(), "img-" + build + "-*")).isEmpty();
    }

    @Test
    void deletedImageIsGoneAndDeletingAgainIsNotAnError() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String id = fixture().seedImage(location(), "img-" + build, Map.of(ResourceTags.BUILD_ID, build));

        catalog().deleteImage(location(), id);

        assertThat(catalog().findImages(location(), Map.of(ResourceTags.BUILD_ID, build))).isEmpty();
        assertThatCode(() -> catalog().deleteImage(location(), id)).doesNotThrowAnyException();
    }

    @Test
    void getsAnImageByIdAndAddsTagsWithoutLosingTheOldOnes() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String id = fixture().seedImage(location(), "img-" + build, Map.of(ResourceTags.BUILD_ID, build));

        catalog().tagImage(location(), id, Map.of("cib-verified-kubevirt-version", "v1.8.2"));

        assertThat(catalog().getImage(location(), id)).hasValueSatisfying(image -> assertThat(image.tags())
                .containsEntry(ResourceTags.BUILD_ID, build)
                .containsEntry("cib-verified-kubevirt-version", "v1.8.2"));
    }

    @Test
    void untaggingRemovesOnlyTheGivenKeysAndMissingKeysAreNoError() {
        String build = "b-" + UUID.randomUUID().toString().substring(0, 8);
        String id = fixture().seedImage(location(), "img-" + build, Map.of(ResourceTags.BUILD_ID, build));
        VerifiedMarker marker = new VerifiedMarker(build, "v1.8.2-rc.1",
                "sha256:" + "0123456789abcdef".repeat(4), "9fceb02d0ae598e95dc970b74767f19372d61af8",
                "4B1D9C2E-7F1A-4E55-9A0B-0C1D2E3F4A5B", Instant.parse("2026-11-24T10:00:00Z"));
        catalog().tagImage(location(), id, marker.tags());
        // What a publisher reads back through the port is what was written, on every cloud.
        assertThat(VerifiedMarker.read(catalog().getImage(location(), id).orElseThrow().tags()))
                .hasValueSatisfying(read -> assertThat(read.vouchesFor(build, "v1.8.2-rc.1",
                        "sha256:" + "0123456789abcdef".repeat(4), "9fceb02d0ae598e95dc970b74767f19372d61af8"))
                        .isTrue());

        catalog().untagImage(location(), id, VerifiedMarker.KEYS);
        catalog().untagImage(location(), id, List.of("cib-never-set"));

        assertThat(catalog().getImage(location(), id)).hasValueSatisfying(image -> assertThat(image.tags())
                .containsEntry(ResourceTags.BUILD_ID, build)
                .doesNotContainKeys(VerifiedMarker.KEYS.toArray(String[]::new)));
    }

    @Test
    void unknownImageIsEmpty() {
        assertThat(catalog().getImage(location(), unknownImageId())).isEmpty();
    }

    /** An id in the cloud's format that names no image. */
    protected abstract String unknownImageId();
}
