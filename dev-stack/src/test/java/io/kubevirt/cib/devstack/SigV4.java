package io.kubevirt.cib.devstack;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Just enough AWS Signature V4 to check that a signature computed by a client still verifies upstream. */
final class SigV4 {

    static final String SECRET = "testing-secret";

    private SigV4() {
    }

    /**
     * @param headers lower-case names of the signed headers and their values as sent/received
     * @param rawQuery query as on the wire (already in canonical order in these tests)
     */
    static String signature(String method, String rawPath, String rawQuery, Map<String, String> headers,
            byte[] body, String date, String region, String service) {
        Map<String, String> sorted = new TreeMap<>();
        headers.forEach((k, v) -> sorted.put(k.toLowerCase(), v.strip().replaceAll("\\s+", " ")));
        String canonicalHeaders = sorted.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue() + "\n")
                .collect(Collectors.joining());
        String signedHeaders = String.join(";", sorted.keySet());
        String canonical = String.join("\n", method, rawPath, rawQuery == null ? "" : rawQuery, canonicalHeaders,
                signedHeaders, hex(sha256(body)));
        String scope = date.substring(0, 8) + "/" + region + "/" + service + "/aws4_request";
        String toSign = String.join("\n", "AWS4-HMAC-SHA256", date, scope,
                hex(sha256(canonical.getBytes(StandardCharsets.UTF_8))));
        byte[] key = hmac(("AWS4" + SECRET).getBytes(StandardCharsets.UTF_8), date.substring(0, 8));
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        return hex(hmac(key, toSign));
    }

    static String signedHeaderList(Map<String, String> headers) {
        return String.join(";", new TreeMap<>(headers).keySet());
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(Arrays.copyOf(b, b.length));
    }
}
