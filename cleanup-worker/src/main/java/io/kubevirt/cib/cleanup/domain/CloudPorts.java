package io.kubevirt.cib.cleanup.domain;

import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.Locations;
import io.kubevirt.cib.common.cloud.PackerTemporaries;
import io.kubevirt.cib.common.cloud.TaggedResources;
import java.util.Optional;

/**
 * One cloud's ports. {@code packer} is empty where Packer leaves no untaggable temporaries; {@code project} is the
 * GCP project (empty on AWS).
 */
public record CloudPorts(ImageCatalog images, InstanceFleet instances, TaggedResources tagged, Locations locations,
        Optional<PackerTemporaries> packer, ImageDeprecation deprecation, Optional<String> project) {
}
