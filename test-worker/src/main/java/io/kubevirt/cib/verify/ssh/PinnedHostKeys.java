package io.kubevirt.cib.verify.ssh;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;

/**
 * The host keys the cloud reported for an instance, parsed from OpenSSH lines. Matching compares the keys' SSH wire
 * encodings (the key material itself), not fingerprint strings.
 */
public final class PinnedHostKeys {

    private final List<Pinned> keys;

    private record Pinned(KeyType type, byte[] blob, String fingerprint) {
    }

    private PinnedHostKeys(List<Pinned> keys) {
        this.keys = keys;
    }

    /**
     * @param lines {@code <type> <base64> [comment]}; lines of unknown or certificate types are refused, because the
     *        verifier could never match them
     */
    public static PinnedHostKeys parse(List<String> lines) {
        List<Pinned> keys = new ArrayList<>();
        for (String line : lines) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length < 2) {
                throw new IllegalArgumentException("not an OpenSSH public key line: " + abbreviate(line));
            }
            KeyType declared = KeyType.fromString(parts[0]);
            if (declared == KeyType.UNKNOWN || declared.toString().contains("-cert-")) {
                throw new IllegalArgumentException("unsupported host key type " + parts[0]);
            }
            PublicKey key;
            try {
                key = new Buffer.PlainBuffer(Base64.getDecoder().decode(parts[1])).readPublicKey();
            } catch (Buffer.BufferException | RuntimeException e) {
                throw new IllegalArgumentException("cannot decode " + parts[0] + " host key: " + e.getMessage(), e);
            }
            KeyType actual = KeyType.fromKey(key);
            if (actual != declared) {
                throw new IllegalArgumentException("host key line says " + declared + " but holds " + actual);
            }
            byte[] blob = encode(key);
            keys.add(new Pinned(actual, blob, fingerprint(blob)));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no host key to pin");
        }
        return new PinnedHostKeys(List.copyOf(keys));
    }

    public boolean matches(PublicKey offered) {
        byte[] blob = encode(offered);
        for (Pinned pinned : keys) {
            if (MessageDigest.isEqual(pinned.blob(), blob)) {
                return true;
            }
        }
        return false;
    }

    /** The key types, in the order given: what the client may negotiate. */
    public Set<KeyType> types() {
        Set<KeyType> types = new LinkedHashSet<>();
        keys.forEach(k -> types.add(k.type()));
        return types;
    }

    public List<String> fingerprints() {
        return keys.stream().map(k -> k.type() + " " + k.fingerprint()).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return String.join(", ", fingerprints());
    }

    /** OpenSSH's {@code SHA256:<base64, unpadded>} fingerprint. */
    public static String fingerprint(PublicKey key) {
        return fingerprint(encode(key));
    }

    private static String fingerprint(byte[] blob) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encode(PublicKey key) {
        return new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
    }

    private static String abbreviate(String line) {
        return line.length() > 40 ? line.substring(0, 40) + "..." : line;
    }
}
