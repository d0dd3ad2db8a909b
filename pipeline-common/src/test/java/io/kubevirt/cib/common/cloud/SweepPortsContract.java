package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What every implementation of the sweep ports does; run against the fake and each cloud adapter. */
public abstract class SweepPortsContract {

    protected abstract Locations locations();

    protected abstract TaggedResources tagged();

    /** Null where Packer leaves no untaggable temporaries (GCP): that test is skipped. */
    protected PackerTemporaries packer() {
        return null;
    }

    /** Null where the contract's deprecation test is not run (moto lacks EnableImageDeprecation). */
    protected ImageDeprecation deprecation() {
        return null;
    }

    protected abstract SweepFixture fixture();

    protected abstract String location();

    /** The kinds this cloud tags (AWS: instances, images, snapshots; GCP: instances, images, disks). */
    protected List<CloudResource.Kind> taggedKinds() {
        return List.of(CloudResource.Kind.INSTANCE, CloudResource.Kind.IMAGE, CloudResource.Kind.SNAPSHOT);
    }

    /** Where resources of {@code kind} are looked for: {@link #location()}, except global ones (GCP images: "global"). */
    protected String locationOf(CloudResource.Kind kind) {
        return location();
    }

    /** The location a found resource of {@code kind} reports: where it was found; null for global ones (GCP images). */
    protected String reportedLocationOf(CloudResource.Kind kind) {
        return locationOf(kind);
    }

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
        for (CloudResource.Kind kind : taggedKinds()) {
            String where = locationOf(kind);
            String taggedId = fixture().seed(where, kind, "kubevirt-" + build + "-t", tags(build));
            String untaggedId = fixture().seed(where, kind, "kubevirt-" + build + "-u", Map.of());

            var found = tagged().findTagged(where, kind, ResourceTags.EXPIRES_AT);

            assertThat(found).extracting(CloudResource::id).contains(taggedId).doesNotContain(untaggedId);
            CloudResource mine = found.stream().filter(r -> r.id().equals(taggedId)).findFirst().orElseThrow();
            assertThat(mine.kind()).isEqualTo(kind);
            assertThat(mine.location()).isEqualTo(reportedLocationOf(kind));
            assertThat(mine.tag(ResourceTags.BUILD_ID)).contains(build);
            assertThat(mine.tag(ResourceTags.EXPIRES_AT)).contains("1");
        }
    }

    @Test
    void removingTwiceIsSuccessAndTheSecondSaysAlreadyGone() {
        String build = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        for (CloudResource.Kind kind : taggedKinds()) {
            String where = locationOf(kind);
            String id = fixture().seed(where, kind, "kubevirt-" + build + "-r", tags(build));
            CloudResource resource = tagged().findTagged(where, kind, ResourceTags.EXPIRES_AT).stream()
                    .filter(r -> r.id().equals(id)).findFirst().orElseThrow();

            assertThat(tagged().remove(resource)).as("first removal of " + kind).isTrue();
            assertThat(tagged().remove(resource)).as("second removal of " + kind).isFalse();
            assertThat(tagged().findTagged(where, kind, ResourceTags.EXPIRES_AT))
                    .extracting(CloudResource::id).doesNotContain(id);
        }
    }

    @Test
    void aResourceIsFoundOnlyWhereItLives() {
        String build = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> all = locations().locations();
        for (CloudResource.Kind kind : taggedKinds()) {
            String id = fixture().seed(locationOf(kind), kind, "kubevirt-" + build + "-w", tags(build));
            for (String other : all) {
                if (!other.equals(locationOf(kind))) {
                    assertThat(tagged().findTagged(other, kind, ResourceTags.EXPIRES_AT))
                            .as(kind + " in " + other).extracting(CloudResource::id).doesNotContain(id);
                }
            }
        }
    }

    @Test
    void anImageIsDeprecatedAsOfTheGivenTimeAndAGoneOneSaysSo() {
        Assumptions.assumeTrue(deprecation() != null, "no deprecation port under this contract here");
        String build = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        String where = locationOf(CloudResource.Kind.IMAGE);
        String id = fixture().seed(where, CloudResource.Kind.IMAGE, "kubevirt-" + build + "-d", tags(build));
        CloudResource image = tagged().findTagged(where, CloudResource.Kind.IMAGE, ResourceTags.EXPIRES_AT).stream()
                .filter(r -> r.id().equals(id)).findFirst().orElseThrow();
        assertThat(image.deprecatedAt()).isNull();
        Instant at = Instant.parse("2026-11-01T10:00:00Z");

        assertThat(deprecation().deprecate(image, at)).isTrue();

        CloudResource deprecated = tagged().findTagged(where, CloudResource.Kind.IMAGE, ResourceTags.EXPIRES_AT)
                .stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
        assertThat(deprecated.deprecatedAt()).isEqualTo(at);
        assertThat(tagged().remove(deprecated)).isTrue();
        assertThat(deprecation().deprecate(image, at)).isFalse();
    }

    @Test
    void packerTemporariesAreFoundByPrefixWithTheirAgeAndRemovedOnce() {
        Assumptions.assumeTrue(packer() != null, "this cloud has no Packer temporaries");
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
