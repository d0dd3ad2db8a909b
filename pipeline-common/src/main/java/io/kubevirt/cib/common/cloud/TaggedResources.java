package io.kubevirt.cib.common.cloud;

import java.util.List;

/**
 * Port: this account's/project's resources of one kind that carry a tag (label) key, whatever its value, and their
 * removal. Untagged resources are never returned, so nothing found here can be someone else's.
 */
public interface TaggedResources {

    /** Resources of {@code kind} in {@code location} carrying {@code tagKey}; instances only while not terminated. */
    List<CloudResource> findTagged(String location, CloudResource.Kind kind, String tagKey);

    /**
     * Removes it (terminate, deregister, delete). Returns false when it was already gone, which is success too.
     * Images go with the snapshots made for them.
     */
    boolean remove(CloudResource resource);
}
