package io.kubevirt.cib.common.cloud;

/** The ports of one cloud a phase works with: its images and its instances. */
public record CloudPorts(ImageCatalog images, InstanceFleet instances) {
}
