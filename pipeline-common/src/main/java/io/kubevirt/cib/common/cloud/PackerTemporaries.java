package io.kubevirt.cib.common.cloud;

import java.util.List;

/**
 * Port: what Packer makes for a build and cannot tag (AWS: {@code packer_*} security groups and key pairs), found by
 * name prefix. Only the caller's age rule decides whether one is a leftover.
 */
public interface PackerTemporaries {

    /** Security groups and key pairs in {@code location} whose name starts with {@code namePrefix}. */
    List<CloudResource> findByPrefix(String location, String namePrefix);

    /** Removes it; false when it was already gone (success). */
    boolean remove(CloudResource resource);
}
