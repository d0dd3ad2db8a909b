package io.kubevirt.cib.events;

/**
 * Ask for one image on one cloud. Optional versions and region fall back to the build-worker's pinned defaults.
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
        String causedBy,
        String replayOf) implements PipelineEvent {
}
