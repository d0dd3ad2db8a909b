package io.kubevirt.cib.build.domain.packer;

import java.util.Objects;

/**
 * One image a Packer build produced.
 *
 * @param location the AWS region of an AMI; empty for GCE images, which are global to the
 *                 project (the caller knows which project it built in)
 * @param imageId  {@code ami-...} on AWS, the image name on GCP
 */
public record BuiltImage(String location, String imageId) {

    public BuiltImage {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(imageId, "imageId");
        if (imageId.isBlank()) {
            throw new IllegalArgumentException("imageId must not be blank");
        }
    }
}
