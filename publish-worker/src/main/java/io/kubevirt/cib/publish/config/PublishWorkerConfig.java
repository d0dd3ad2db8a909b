package io.kubevirt.cib.publish.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** Typed configuration of the publish-worker ({@code cib.publish.*}); defaults in application.properties. */
@ConfigMapping(prefix = "cib.publish")
public interface PublishWorkerConfig {

    /** The clouds this worker publishes on ({@code aws}, {@code gcp}); a release asking for another is told so. */
    @WithDefault("aws,gcp")
    Set<String> clouds();

    Aws aws();

    /** The region GCP's image.published and release.published name (GCP images are global). */
    @WithDefault("us-central1")
    String gcpRegion();

    /** The image family a GCP release image joins once it is public and exported. */
    @WithDefault("kubevirt")
    String gcpFamily();

    interface Aws {
        /** Where the verified images are (the build-worker's region). */
        String sourceRegion();

        /** Only these regions (each must be enabled); unset: every enabled region of the source's partition. */
        Optional<Set<String>> allowRegions();

        /** Never these regions. */
        Optional<Set<String>> denyRegions();

        /** How long one region's copy may take to become available. */
        Duration copyBudget();

        /** Regions copied at once (EC2: 50 concurrent copies per destination region). */
        @WithDefault("16")
        int maxConcurrentCopies();

        /** Deprecation time of published images, counted from publication; unset: none. */
        Optional<Duration> deprecateAfter();
    }
}
