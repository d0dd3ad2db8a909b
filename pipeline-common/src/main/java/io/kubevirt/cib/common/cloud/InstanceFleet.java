package io.kubevirt.cib.common.cloud;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Port: virtual machines the pipeline starts. Implementations: cloud-aws (EC2), in-memory fake for unit tests. */
public interface InstanceFleet {

    /** Instances in {@code location} that carry every one of {@code tags} and are not terminated. */
    List<CloudInstance> findInstances(String location, Map<String, String> tags);

    /** Terminates the instances. Terminating one that is already gone is not an error. */
    void terminate(String location, Collection<String> instanceIds);
}
