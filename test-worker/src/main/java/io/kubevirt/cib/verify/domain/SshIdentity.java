package io.kubevirt.cib.verify.domain;

import java.security.KeyPair;

/**
 * A key pair made for one verification and dropped after it. {@link #toString()} never shows the private half.
 *
 * @param publicKeyLine OpenSSH form of the public half, injected at launch
 */
public record SshIdentity(KeyPair keyPair, String publicKeyLine) {

    @Override
    public String toString() {
        return "SshIdentity[" + publicKeyLine + "]";
    }
}
