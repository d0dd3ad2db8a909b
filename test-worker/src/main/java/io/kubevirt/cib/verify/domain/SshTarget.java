package io.kubevirt.cib.verify.domain;

import java.util.List;

/**
 * Where and as whom to log in, and the host keys to accept: only those the cloud reported for the instance.
 *
 * @param pinnedHostKeys OpenSSH public key lines ({@code ssh-ed25519 AAAA...}); never empty
 */
public record SshTarget(String host, int port, String user, SshIdentity identity, List<String> pinnedHostKeys) {

    public SshTarget {
        pinnedHostKeys = List.copyOf(pinnedHostKeys);
        if (pinnedHostKeys.isEmpty()) {
            throw new IllegalArgumentException("refusing to connect without a pinned host key");
        }
    }
}
