package io.kubevirt.cib.events;

/**
 * The data of a pipeline event. Every event names its build (the Kafka record key, so one build's events stay
 * in order), the event that caused it, and, when an operator replayed it, the original event.
 */
public sealed interface PipelineEvent
        permits BuildRequested, ImageBuilt, BuildFailed, ImageVerified, ReleaseTagged, ImagePublished,
        ReleasePublished, ResourcesCleaned, SweepRequested {

    String schemaVersion();

    String buildId();

    /** Id of the event this one reacts to; null for events that start a flow. */
    String causedBy();

    /** Id of the original event when this one is a deliberate replay; null otherwise. */
    String replayOf();

    default EventType type() {
        return EventType.of(getClass());
    }
}
