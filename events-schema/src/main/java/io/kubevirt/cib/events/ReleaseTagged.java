package io.kubevirt.cib.events;

import java.util.List;

/** A release tag was pushed; {@code clouds} empty or absent means every cloud. */
public record ReleaseTagged(
        String schemaVersion,
        String buildId,
        String releaseTag,
        String kubevirtVersion,
        List<Cloud> clouds,
        String gitCommit,
        String causedBy,
        String replayOf) implements PipelineEvent {
}
