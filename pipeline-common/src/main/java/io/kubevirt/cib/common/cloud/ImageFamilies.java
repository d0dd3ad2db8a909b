package io.kubevirt.cib.common.cloud;

import java.util.Map;
import java.util.Optional;

/**
 * Port: images handed out through a family name (GCP image families: {@code images.getFromFamily} and every
 * {@code --image-family} launch resolve to the newest image of the family that is <em>not deprecated</em>).
 * Implementations: {@code GceImageFamilies} (cloud-gcp), {@code InMemoryImagePublishing} (fake, records the order of
 * calls).
 *
 * <p><b>The publish order on GCP</b>, so that a new image is never handed out through its family before it is public
 * and exported:
 * <ol>
 * <li>{@link #addHeld}: {@code images.insert} of the release image from the verified image with {@code family} set,
 * then at once {@code images.deprecate} state DEPRECATED (no time: a hold, not a retirement). The family keeps
 * resolving to the previous release.</li>
 * <li>{@code LaunchPermissions.makePublic("global", name)}: {@code allAuthenticatedUsers} gets
 * {@code roles/compute.imageUser} on the image.</li>
 * <li>{@code ImageExports.export(name, destinationFor(name))}: the Cloud Build export, waited for.</li>
 * <li>{@link #release}: {@code images.deprecate} state ACTIVE, which clears the status: from now on the family
 * resolves to this image. Last step, only after 2 and 3 succeeded.</li>
 * </ol>
 * Why this way (Compute API reference): an image's {@code family} is given at {@code images.insert} and there is no
 * call that sets it later, and the image's {@code deprecated} field is output only, so an image cannot be inserted
 * already held; {@code images.deprecate} sets the status at any time, and with ACTIVE (or an empty body) clears it;
 * {@code getFromFamily} "returns the latest image that is part of an image family and is not deprecated". The build
 * must therefore create its image <em>without</em> a family (the verified image), and the family member is made here.
 * What remains: between the insert's end and the deprecate (one call) the family resolves to the new image, which is
 * not yet public; a rerun of {@link #addHeld} on an existing image holds it again, so a crash there is repaired.
 */
public interface ImageFamilies {

    /**
     * Makes image {@code name} from {@code sourceImageId}, a member of {@code family}, carrying {@code tags}, and holds
     * it back from the family (deprecated). If an image of that name already exists (a rerun), it is held back again
     * (also if it had been released: the caller releases it again at the end). Returns the image.
     */
    CloudImage addHeld(String family, String sourceImageId, String name, Map<String, String> tags);

    /** Lets the family resolve to the image (clears its deprecation). The last step of a publish. */
    void release(String imageId);

    /** What the family resolves to now: the newest image of the family that is not deprecated (held); empty if none. */
    Optional<String> resolve(String family);
}
