package io.kubevirt.cib.events;

/**
 * Ask for one image on one cloud. Optional versions and region fall back to the build-worker's pinned defaults.
 * {@code releaseTag} (since 1.3) names the release that asked for this build because no verified image of its version
 * existed yet; it travels on to image.built and image.verified.
 */
public record BuildRequested(
        String schemaVersion,
        String buildId,
        Cloud cloud,
        String kubevirtVersion,
        String cdiVersion,
        String kubernetesVersion,
        String region,
        String gitRef,
        String requestedBy,
        String releaseTag,
        String causedBy,
        String replayOf) implements PipelineEvent {

    /** The shape before 1.3: a build no release is waiting for. */
    public BuildRequested(String schemaVersion, String buildId, Cloud cloud, String kubevirtVersion, String cdiVersion,
            String kubernetesVersion, String region, String gitRef, String requestedBy, String causedBy,
            String replayOf) {
        this(schemaVersion, buildId, cloud, kubevirtVersion, cdiVersion, kubernetesVersion, region, gitRef,
                requestedBy, null, causedBy, replayOf);
    }
}
