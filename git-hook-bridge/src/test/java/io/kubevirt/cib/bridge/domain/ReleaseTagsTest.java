package io.kubevirt.cib.bridge.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReleaseTagsTest {

    private final ReleaseTags tags = new ReleaseTags(ReleaseTags.DEFAULT_PATTERN);

    @Test
    void kubevirtTagsWithAndWithoutImageRevision() {
        assertThat(tags.parse("v1.9.0")).map(ReleaseTags.ReleaseTag::kubevirtVersion).contains("v1.9.0");
        assertThat(tags.parse("v1.9.0-2")).map(ReleaseTags.ReleaseTag::kubevirtVersion).contains("v1.9.0");
        assertThat(tags.parse("v1.9.0-rc.1")).map(ReleaseTags.ReleaseTag::kubevirtVersion).contains("v1.9.0-rc.1");
        assertThat(tags.parse("v1.9.0-rc.1-3")).map(ReleaseTags.ReleaseTag::kubevirtVersion)
                .contains("v1.9.0-rc.1");
    }

    @Test
    void otherTagsAreNotReleases() {
        assertThat(tags.parse("simple-tag")).isEmpty();
        assertThat(tags.parse("1.9.0")).isEmpty();
        assertThat(tags.parse("v1.9")).isEmpty();
        assertThat(tags.parse("v1.9.0-foo")).isEmpty();
    }

    @Test
    void aConfiguredPatternNeedsAVersionGroup() {
        assertThatThrownBy(() -> new ReleaseTags("^v.*$")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ReleaseTags("^release-(?<version>[0-9.]+)$").parse("release-1.2.3"))
                .map(ReleaseTags.ReleaseTag::kubevirtVersion).contains("v1.2.3");
    }

    @Test
    void buildIdsAreDnsLabels() {
        assertThat(BuildIds.release("v1.9.0-rc.1")).isEqualTo("release-v1-9-0-rc-1");
        assertThat(BuildIds.pullRequest(412, "ec26c3e57ca3a959ca5aad62de7213c562f8c821", io.kubevirt.cib.events.Cloud.GCP))
                .isEqualTo("pr-412-ec26c3e-gcp");
        assertThat(BuildIds.label("-" + "x".repeat(80))).hasSize(62).matches("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    }
}
