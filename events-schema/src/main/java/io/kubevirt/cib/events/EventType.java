package io.kubevirt.cib.events;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Every event type of the pipeline. The CloudEvents {@code type}, the Kafka topic and the schema folder
 * all use the same name, so an operator who sees one knows the other two.
 */
public enum EventType {
    BUILD_REQUESTED("build.requested", BuildRequested.class),
    IMAGE_BUILT("image.built", ImageBuilt.class),
    BUILD_FAILED("build.failed", BuildFailed.class),
    IMAGE_VERIFIED("image.verified", ImageVerified.class),
    RELEASE_TAGGED("release.tagged", ReleaseTagged.class),
    IMAGE_PUBLISHED("image.published", ImagePublished.class),
    RELEASE_PUBLISHED("release.published", ReleasePublished.class),
    RESOURCES_CLEANED("resources.cleaned", ResourcesCleaned.class),
    SWEEP_REQUESTED("sweep.requested", SweepRequested.class);

    /**
     * Written into {@code schemaVersion} of every event this code produces. One minor version for the whole
     * contract (the schemas are one file per major version): 1.1 added image.verified {@code retryable} and
     * {@code failureKind}, image.built {@code gitCommit} and build.failed stage {@code worker}; 1.2 release tags with
     * pre-releases, release.tagged / release.published {@code dryRun} and release.published {@code plan}; 1.3
     * {@code releaseTag} on build.requested, image.built and image.verified (the tag-first release). Readers accept every
     * 1.x; see events-schema/README.md.
     */
    public static final String CURRENT_VERSION = "1.3";

    private final String typeName;
    private final Class<? extends PipelineEvent> dataClass;

    EventType(String typeName, Class<? extends PipelineEvent> dataClass) {
        this.typeName = typeName;
        this.dataClass = dataClass;
    }

    /** The CloudEvents type attribute, e.g. {@code build.requested}. */
    public String typeName() {
        return typeName;
    }

    /** One topic per event type, named as the type. */
    public String topic() {
        return typeName;
    }

    /** Where a consumer of this topic sends records it cannot accept. */
    public String deadLetterTopic() {
        return typeName + ".dlq";
    }

    public Class<? extends PipelineEvent> dataClass() {
        return dataClass;
    }

    /** Major schema versions this code can read; anything else is dead-lettered. */
    public Set<Integer> readableMajorVersions() {
        // resources.cleaned v2 restructured the event for sweeps; v1 had no writer, so it is not read any more.
        return this == RESOURCES_CLEANED ? Set.of(2) : Set.of(1);
    }

    public static Optional<EventType> fromTypeName(String name) {
        return Arrays.stream(values()).filter(t -> t.typeName.equals(name)).findFirst();
    }

    public static EventType of(Class<? extends PipelineEvent> dataClass) {
        return Arrays.stream(values())
                .filter(t -> t.dataClass.equals(dataClass))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not an event class: " + dataClass));
    }
}
