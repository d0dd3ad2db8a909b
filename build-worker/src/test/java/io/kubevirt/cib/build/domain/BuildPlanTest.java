package io.kubevirt.cib.build.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuildPlanTest {

    @Test
    void imageNameIsStableForOneRequestAndFitsGcpLimits() {
        String name = BuildPlan.imageName("v1.8.2", "pr-412-build-7", "0b6a2f6e-6a43-4d43-9c55-6f1c9a0b2d11");

        assertThat(name).isEqualTo(BuildPlan.imageName("v1.8.2", "pr-412-build-7", "0b6a2f6e-6a43-4d43-9c55-6f1c9a0b2d11"));
        assertThat(name).startsWith("kubevirt-v1-8-2-pr-412-build-7-").matches("[a-z]([-a-z0-9]*[a-z0-9])?");
        assertThat(name).isNotEqualTo(BuildPlan.imageName("v1.8.2", "pr-412-build-7", "another-event-id"));
    }

    @Test
    void longBuildIdsAreShortenedButTheRequestHashIsKept() {
        String longId = "a".repeat(63);

        String name = BuildPlan.imageName("v1.8.2-rc.1", longId, "id-1");

        assertThat(name).hasSizeLessThanOrEqualTo(BuildPlan.MAX_IMAGE_NAME).matches("[a-z]([-a-z0-9]*[a-z0-9])?");
        assertThat(name).endsWith(BuildPlan.imageName("v1", "x", "id-1").substring("kubevirt-v1-x".length()));
    }

    @Test
    void bareKubernetesMinorIsNormalised() {
        assertThat(BuildPlan.normaliseKubernetes("v1.35")).isEqualTo("v1.35.0");
        assertThat(BuildPlan.normaliseKubernetes("v1.35.2")).isEqualTo("v1.35.2");
    }
}
