package io.kubevirt.cib.publish.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** Typed configuration of the publish-worker ({@code cib.publish.*}); defaults in application.properties. */
@ConfigMapping(prefix = "cib.publish")
public interface PublishWorkerConfig {

    Aws aws();

    /** Region named for GCP in release.published while this worker does not publish to GCP. */
    @WithDefault("us-central1")
    String gcpRegion();

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
