package io.kubevirt.cib.verify.ssh;

import io.kubevirt.cib.verify.domain.SshIdentity;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;

/**
 * Makes the throw-away client key pair of one verification. ECDSA P-256 from the JDK: sshj signs with it, OpenSSH and
 * MINA accept it, and unlike RSA 3072 it is generated in about a millisecond. (JDK Ed25519 keys are the ones MINA
 * rejects.) The private half stays in the returned {@link KeyPair}; nothing here writes or logs it.
 */
public final class SshKeyPairs {

    private static final String CURVE = "secp256r1";

    private SshKeyPairs() {
    }

    /** A fresh pair whose public line carries {@code comment} (e.g. {@code cib-verify-<build id>}). */
    public static SshIdentity generate(String comment) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            return new SshIdentity(pair, openSshLine(pair.getPublic(), comment));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate " + CURVE + " keys", e);
        }
    }

    public static SshIdentity generate() {
        return generate("cib-verify");
    }

    /** {@code <type> <base64 blob> [comment]}, the form of authorized_keys, cloud-init and GCE ssh-keys metadata. */
    public static String openSshLine(PublicKey key, String comment) {
        KeyType type = KeyType.fromKey(key);
        if (type == KeyType.UNKNOWN) {
            throw new IllegalArgumentException("not an SSH key type: " + key.getAlgorithm());
        }
        byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
        String line = type + " " + Base64.getEncoder().encodeToString(blob);
        // One line, no spaces: the comment ends up in authorized_keys and in cloud metadata.
        String safeComment = comment == null ? "" : comment.replaceAll("[^A-Za-z0-9@._:+-]", "_");
        return safeComment.isEmpty() ? line : line + " " + safeComment;
    }
}
