package io.kubevirt.cib.common.cloud;

import java.time.Instant;

/** Port: marking an image deprecated (AWS deprecation time, GCP image deprecation status) before it is deleted. */
public interface ImageDeprecation {

    /** Deprecates the image as of {@code at}; false when it is already gone. */
    boolean deprecate(CloudResource image, Instant at);
}
