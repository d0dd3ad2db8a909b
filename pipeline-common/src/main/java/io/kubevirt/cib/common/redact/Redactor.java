package io.kubevirt.cib.common.redact;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes credentials from text that leaves the process (log lines, event fields, exception messages). It knows the
 * shapes of AWS keys, GCP tokens and service-account keys, PEM private keys and generic secret assignments; tool
 * output (Packer, ssh) goes through it line by line.
 */
public final class Redactor {

    public static final String MASK = "[REDACTED]";

    private static final List<Pattern> PATTERNS = List.of(
            // PEM private key material, single line or the start of a block
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
            // AWS access key ids (long-term AKIA, temporary ASIA)
            Pattern.compile("\\b(AKIA|ASIA)[A-Z0-9]{16}\\b"),
            // Google OAuth access tokens
            Pattern.compile("\\bya29\\.[0-9A-Za-z_\\-.]+"),
            // "private_key": "..." in service-account JSON
            Pattern.compile("(\"private_key(_id)?\"\\s*:\\s*\")[^\"]*(\")"),
            // key=value / key: value assignments of secret-named keys (aws_secret_access_key, password, token, ...)
            Pattern.compile("(?i)((?:secret|password|passwd|token|session_token|secret_access_key|api_key|apikey"
                    + "|authorization)[\\w-]*\\s*[=:]\\s*\"?)([^\\s\"',;]+)"),
            // HTTP auth headers
            Pattern.compile("(?i)(Bearer|Basic)\\s+[A-Za-z0-9+/=._\\-]{8,}"),
            // AWS SigV4 signatures in logged URLs/headers
            Pattern.compile("(?i)(Signature=|X-Amz-Signature=|X-Amz-Security-Token=)[^\\s&,]+"));

    private Redactor() {
    }

    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        result = PATTERNS.get(0).matcher(result).replaceAll(MASK);
        result = PATTERNS.get(1).matcher(result).replaceAll(MASK);
        result = PATTERNS.get(2).matcher(result).replaceAll(MASK);
        result = PATTERNS.get(3).matcher(result).replaceAll("$1" + MASK + "$3");
        // Auth headers before generic assignments, so "Authorization: Bearer x" loses x, not just "Bearer".
        result = PATTERNS.get(5).matcher(result).replaceAll("$1 " + MASK);
        result = PATTERNS.get(4).matcher(result).replaceAll("$1" + MASK);
        result = PATTERNS.get(6).matcher(result).replaceAll("$1" + MASK);
        return result;
    }

    /** Redacts known shapes and, in addition, every literal secret value the caller knows (e.g. from config). */
    public static String redact(String text, Iterable<String> knownSecrets) {
        String result = redact(text);
        if (result == null) {
            return null;
        }
        for (String secret : knownSecrets) {
            if (secret != null && secret.length() >= 4) {
                result = result.replace(secret, MASK);
            }
        }
        return result;
    }
}
