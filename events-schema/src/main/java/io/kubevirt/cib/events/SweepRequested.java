package io.kubevirt.cib.events;

/**
 * Ask for one sweep: expired tagged leftovers, old Packer temporaries and the release lifecycle. Its topic has one
 * partition, so the one replica that owns it runs sweeps one at a time. {@code buildId} is the sweep's run id.
 */
public record SweepRequested(
        String schemaVersion,
        String buildId,
        boolean dryRun,
        String requestedBy,
        String causedBy,
        String replayOf) implements PipelineEvent {
}
