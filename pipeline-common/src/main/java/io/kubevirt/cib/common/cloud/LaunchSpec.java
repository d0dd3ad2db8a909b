package io.kubevirt.cib.common.cloud;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One instance to start from an image, described independently of the cloud.
 *
 * @param location AWS region or GCP zone
 * @param machineType AWS instance type or GCP machine type
 * @param subnet AWS subnet id or GCP subnetwork; empty for the default network
 * @param firewallGroups AWS security group ids (GCP uses network tags; empty means none)
 * @param sshUser login the public key is installed for (GCP {@code ssh-keys} metadata; AWS default user via
 *        cloud-init)
 * @param sshPublicKey OpenSSH public key line of a key pair made for this one launch
 * @param idempotencyToken same token, same launch: AWS ClientToken, GCP requestId (at most 64 characters)
 * @param nestedVirtualization ask the cloud to expose VMX to the guest where it can
 */
public record LaunchSpec(
        String location,
        String imageId,
        String machineType,
        int diskSizeGb,
        Optional<String> subnet,
        List<String> firewallGroups,
        String sshUser,
        String sshPublicKey,
        Map<String, String> tags,
        String idempotencyToken,
        boolean nestedVirtualization) {

    public LaunchSpec {
        firewallGroups = List.copyOf(firewallGroups);
        tags = Map.copyOf(tags);
        if (idempotencyToken.length() > 64) {
            throw new IllegalArgumentException("idempotency token longer than 64 characters");
        }
    }
}
