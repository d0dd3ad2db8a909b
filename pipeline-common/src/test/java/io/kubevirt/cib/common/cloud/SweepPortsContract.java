package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What every implementation of the sweep ports does; run against the fake and each cloud adapter. */
public abstract class SweepPortsContract {

    protected abstract Locations locations();

    protected abstract TaggedResources tagged();

    protected abstract PackerTemporaries packer();

    protected abstract SweepFixture fixture();

    protected abstract String location();

    private static Map<String, String> tags(String build) {
        return Map.of(ResourceTags.BUILD_ID, build, ResourceTags.EXPIRES_AT, "1");
    }

    @Test
    void locationsComeFromTheCloudAndIncludeTheTestLocation() {
        assertThat(locations().locations()).contains(location()).hasSizeGreaterThan(1);
    }

    @Test
    void findsOnlyResourcesCarryingTheTagKey() {
        String build = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        for (CloudResource.Kind kind : new CloudResource.Kind[] {CloudResource.Kind.INSTANCE,
                CloudResource.Kind.IMAGE, CloudResource.Kind.SNAPSHOT}) {
            String taggedId = fixture().seed(location(), kind, "kubevirt-" + build + "-t", tags(build));
            String untaggedId = fixture().seed(location(), kind, "kubevirt-" + build + "-u", Map.of());

            var found = tagged().findTagged(location(), kind, ResourceTags.EXPIRES_AT);

            assertThat(found).extracting(CloudResource::id).contains(taggedId).doesNotContain(untaggedId);
            CloudResource mine = found.stream().filter(r -> r.id().equals(taggedId)).findFirst().orElseThrow();
            assertThat(mine.kind()).isEqualTo(kind);
            assertThat(mine.tag(ResourceTags.BUILD_ID)).contains(build);
        }
    }

    @Test
    void removingTwiceIsSuccessAndTheSecondSaysAlreadyGone() {
        String build = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        for (CloudResource.Kind kind : new CloudResource.Kind[] {CloudResource.Kind.INSTANCE,
                CloudResource.Kind.IMAGE, CloudResource.Kind.SNAPSHOT}) {
            String id = fixture().seed(location(), kind, "kubevirt-" + build + "-r", tags(build));
            CloudResource resource = tagged().findTagged(location(), kind, ResourceTags.EXPIRES_AT).stream()
                    .filter(r -> r.id().equals(id)).findFirst().orElseThrow();

            assertThat(tagged().remove(resource)).as("first removal of " + kind).isTrue();
            assertThat(tagged().remove(resource)).as("second removal of " + kind).isFalse();
            assertThat(tagged().findTagged(location(), kind, ResourceTags.EXPIRES_AT))
                    .extracting(CloudResource::id).doesNotContain(id);
        }
    }

    @Test
    void packerTemporariesAreFoundByPrefixWithTheirAgeAndRemovedOnce() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Instant made = Instant.now().minusSeconds(3600);
        String group = fixture().seedNamed(location(), CloudResource.Kind.SECURITY_GROUP, PackerNames.at(made));
        String key = fixture().seedNamed(location(), CloudResource.Kind.KEY_PAIR, PackerNames.at(made));
        String other = fixture().seedNamed(location(), CloudResource.Kind.SECURITY_GROUP, "team-" + suffix);

        var found = packer().findByPrefix(location(), "packer_");

        assertThat(found).extracting(CloudResource::id).contains(group, key).doesNotContain(other);
        for (CloudResource r : found.stream().filter(r -> r.id().equals(group) || r.id().equals(key)).toList()) {
            assertThat(r.createdAt()).as("age of " + r.kind()).isNotNull()
                    .isBetween(made.minusSeconds(120), Instant.now().plusSeconds(60));
            assertThat(packer().remove(r)).isTrue();
            assertThat(packer().remove(r)).isFalse();
        }
    }
}
