package io.kubevirt.cib.build.domain;

import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;

/** The ports of one cloud the build phase uses to find and clean up what earlier attempts left. */
public record CloudAccess(ImageCatalog images, InstanceFleet instances) {
}
