package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.events.Cloud;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How one release is published on AWS.
 *
 * @param sourceRegion where the builds' verified images live
 * @param allowRegions empty: every enabled region of the source's partition; else exactly these (each must be enabled)
 * @param denyRegions never these
 * @param copyBudget how long one region's copy may take to become available (copies take minutes to over an hour)
 * @param maxConcurrentCopies regions copied at once (EC2 allows 50 concurrent copies per destination region)
 * @param deprecateAfter deprecation time of published images, counted from publication; empty: none
 * @param gcpRegion the region GCP's image.published and release.published name (GCP images are global)
 * @param clouds the clouds this worker publishes on; a release asking for another is told so
 * @param gcpProject the GCP project, named in GCP's image.published
 * @param gcpFamily the image family GCP release images join once fully published
 */
public record PublishSettings(String sourceRegion, Set<String> allowRegions, Set<String> denyRegions,
        Duration copyBudget, int maxConcurrentCopies, Optional<Duration> deprecateAfter, String gcpRegion,
        Set<Cloud> clouds, Optional<String> gcpProject, String gcpFamily) {

    /** AWS only: what tests of the AWS path use. */
    public PublishSettings(String sourceRegion, Set<String> allowRegions, Set<String> denyRegions,
            Duration copyBudget, int maxConcurrentCopies, Optional<Duration> deprecateAfter, String gcpRegion) {
        this(sourceRegion, allowRegions, denyRegions, copyBudget, maxConcurrentCopies, deprecateAfter, gcpRegion,
                Set.of(Cloud.AWS), Optional.empty(), "kubevirt");
    }

    public PublishSettings {
        allowRegions = Set.copyOf(allowRegions);
        denyRegions = Set.copyOf(denyRegions);
        clouds = Set.copyOf(clouds);
        if (maxConcurrentCopies < 1) {
            throw new IllegalArgumentException("maxConcurrentCopies must be at least 1");
        }
    }
}
