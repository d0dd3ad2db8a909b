package io.kubevirt.cib.common.cloud;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Port: copies of an image in other regions. Implementations: cloud-aws (CopyImage in the destination region, the
 * SDK's image-available waiter), in-memory fake for unit tests.
 */
public interface ImageCopies {

    /**
     * A copy in {@code region} carrying every one of {@code tags}, else one named exactly {@code name} (a copy whose
     * tags never landed), owned by this account. Callers look here before {@link #copy}: emulators ignore tokens.
     */
    Optional<CloudImage> findCopy(String region, Map<String, String> tags, String name);

    /** Starts copying; returns the new image's id at once. The token makes the cloud drop a repeated request. */
    String copy(CopyRequest request);

    /** Waits (the SDK's waiter) until the image is available; throws {@link CloudException} when it fails or the budget ends. */
    CloudImage awaitAvailable(String region, String imageId, Duration budget);

    /** Marks the image deprecated from {@code at} on (launches then need it by id). */
    void deprecate(String region, String imageId, java.time.Instant at);

    /**
     * @param clientToken at most 64 characters; the same for the same release and region
     */
    record CopyRequest(String sourceRegion, String sourceImageId, String region, String name, String description,
            String clientToken) {

        public CopyRequest {
            if (clientToken.length() > 64) {
                throw new IllegalArgumentException("client token longer than 64 characters");
            }
        }
    }
}
