package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One contract for the publishing ports, run against the in-memory fake and the AWS adapters on moto. */
public abstract class PublishingContract {

    protected abstract RegionDirectory regions();

    protected abstract ImageCopies copies();

    protected abstract LaunchPermissions permissions();

    protected abstract AccountSettings account();

    protected abstract ImageCatalog catalog();

    protected abstract CloudFixture fixture();

    /** Where source images live. */
    protected abstract String sourceRegion();

    protected abstract String targetRegion();

    @Test
    void regionsStayInTheSourcePartitionAndSayWhetherTheyAreEnabled() {
        var all = regions().regions(sourceRegion());
        assertThat(all).extracting(RegionDirectory.RegionInfo::name).contains(sourceRegion(), targetRegion())
                .noneMatch(r -> r.startsWith("cn-") || r.startsWith("us-gov-"));
        assertThat(all).filteredOn(r -> r.name().equals(sourceRegion())).allMatch(RegionDirectory.RegionInfo::enabled);
    }

    @Test
    void aCopyIsFoundByItsTagsOrByItsNameBeforeItsTagsLanded() {
        String release = "r-" + UUID.randomUUID().toString().substring(0, 8);
        String source = fixture().seedImage(sourceRegion(), "src-" + release, Map.of(ResourceTags.BUILD_ID, release));
        String name = "cib-" + release + "-" + source;
        Map<String, String> tags = Map.of(ResourceTags.RELEASE_TAG, release, ResourceTags.SOURCE_IMAGE, source);
        assertThat(copies().findCopy(targetRegion(), tags, name)).isEmpty();

        String copy = copies().copy(new ImageCopies.CopyRequest(sourceRegion(), source, targetRegion(), name,
                "contract", release + "-" + targetRegion()));
        assertThat(copies().findCopy(targetRegion(), tags, name)).map(CloudImage::id).contains(copy);

        CloudImage available = copies().awaitAvailable(targetRegion(), copy, Duration.ofSeconds(30));
        assertThat(available.state()).isEqualTo(CloudImage.State.AVAILABLE);
        assertThat(available.location()).isEqualTo(targetRegion());

        catalog().tagImage(targetRegion(), copy, tags);
        assertThat(copies().findCopy(targetRegion(), tags, "some-other-name")).map(CloudImage::id).contains(copy);
        assertThat(copies().findCopy(sourceRegion(), tags, name)).isEmpty();
    }

    /** The launch-permission contract, on this publishing setup's permissions, images and source region. */
    @Nested
    class Permissions extends LaunchPermissionsContract {
        @Override
        protected LaunchPermissions permissions() {
            return PublishingContract.this.permissions();
        }

        @Override
        protected CloudFixture fixture() {
            return PublishingContract.this.fixture();
        }

        @Override
        protected String location() {
            return sourceRegion();
        }
    }

    @Test
    void deprecationAndAccountSettingsAnswer() {
        String image = fixture().seedImage(sourceRegion(), "dep-" + UUID.randomUUID(), Map.of());
        assertThatCode(() -> copies().deprecate(sourceRegion(), image, Instant.now().plus(Duration.ofDays(365))))
                .doesNotThrowAnyException();
        assertThat(account().blocksPublicImages(sourceRegion())).isFalse();
        assertThatCode(() -> account().publicImagesLeft(sourceRegion())).doesNotThrowAnyException();
    }
}
