package io.kubevirt.cib.bridge.domain;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * GitHub's {@code X-Hub-Signature-256}: {@code sha256=} + hex HMAC-SHA256 of the raw body. Several secrets may be
 * active at once so a secret can be rotated without refusing deliveries in between. The secrets are never part of
 * {@link #toString()} or of any message.
 */
public final class WebhookSignature {

    private static final String PREFIX = "sha256=";

    private final List<byte[]> secrets;

    public WebhookSignature(List<String> secrets) {
        this.secrets = secrets.stream()
                .filter(s -> s != null && !s.isBlank())
                .map(s -> s.getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    /** False without any configured secret: an unconfigured bridge refuses everything rather than trusting all. */
    public boolean hasSecrets() {
        return !secrets.isEmpty();
    }

    public boolean verify(byte[] body, String header) {
        if (header == null || !header.startsWith(PREFIX)) {
            return false;
        }
        byte[] presented;
        try {
            presented = HexFormat.of().parseHex(header.substring(PREFIX.length()).toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
        boolean match = false;
        for (byte[] secret : secrets) {
            // Every secret is tried (no early exit), each compare in constant time.
            match |= MessageDigest.isEqual(hmac(secret, body), presented);
        }
        return match;
    }

    /** The header value GitHub would send for this body and secret (tests and tooling). */
    public static String sign(String secret, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), body));
    }

    private static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "WebhookSignature[" + secrets.size() + " secret(s)]";
    }
}
