package io.kubevirt.cib.common.cloud;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Port: images the pipeline owns. Implementations: cloud-aws (EC2 AMIs), in-memory fake for unit tests. */
public interface ImageCatalog {

    /** Images in {@code location} that carry every one of {@code tags}, owned by this account/project. */
    List<CloudImage> findImages(String location, Map<String, String> tags);

    /**
     * Images in {@code location} with exactly this name, owned by this account/project, whatever their tags: finds
     * an image whose creator died before tagging it (the name is chosen up front, the tags come after).
     */
    List<CloudImage> findImagesByName(String location, String name);

    /** Removes the image and its snapshots. Removing an image that is already gone is not an error. */
    void deleteImage(String location, String imageId);

    /** The image if it exists and is owned by this account/project. */
    Optional<CloudImage> getImage(String location, String imageId);

    /**
     * Adds (or overwrites) tags/labels on the image, e.g. the verified marker the publish phase looks for. Where an
     * image has parts of its own (EC2 snapshots), they get the tags too, so no part of it is invisible to the sweep.
     */
    void tagImage(String location, String imageId, Map<String, String> tags);

    /**
     * Removes the tags/labels with these keys from the image, e.g. the verified marker after a failed verification.
     * Keys the image does not carry are not an error; the other tags stay.
     */
    void untagImage(String location, String imageId, Collection<String> keys);
}
