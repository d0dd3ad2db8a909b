package io.kubevirt.cib.common.cloud;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Port: virtual machines the pipeline starts. Implementations: cloud-aws (EC2), in-memory fake for unit tests. */
public interface InstanceFleet {

    /** Instances in {@code location} that carry every one of {@code tags} and are not terminated. */
    List<CloudInstance> findInstances(String location, Map<String, String> tags);

    /** Terminates the instances. Terminating one that is already gone is not an error. */
    void terminate(String location, Collection<String> instanceIds);

    /**
     * Starts one instance. Callers look for an earlier launch by tags first (some clouds and emulators ignore
     * tokens); the spec's idempotency token makes the cloud itself drop a duplicate where it can.
     */
    CloudInstance launch(LaunchSpec spec);

    /** The instance as the cloud reports it now; empty if it does not exist (any more). */
    Optional<CloudInstance> describe(String location, String instanceId);

    /**
     * The SSH host keys the instance reported through the cloud, as OpenSSH public key lines: AWS from the
     * cloud-init block in the console output, GCP from the {@code hostkeys/} guest attributes. Empty until reported.
     * These are what an SSH client pins; a key seen on the wire but not here is refused.
     */
    List<String> hostKeys(String location, String instanceId);

    /** Serial console output so far (may be empty), for evidence when something fails. */
    String consoleOutput(String location, String instanceId);
}
