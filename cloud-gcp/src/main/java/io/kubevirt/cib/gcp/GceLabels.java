package io.kubevirt.cib.gcp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * Port tags as GCE labels: the one place where a tag value is fitted to GCE's label alphabet, so that the ports show
 * the same value on both clouds ({@code ResourceTags} spells values once and leaves this to the adapter). Keys must
 * already be valid label keys (the pipeline's {@code cib-*} keys are). Values are
 * stored through a reversible encoding, because GCE refuses label values outside {@code [a-z0-9_-]} (at most 63
 * characters) while the pipeline's tags include versions like {@code v1.8.2}:
 * <ul>
 * <li>{@code a-z}, {@code 0-9} and {@code -} stay as they are, so label-safe values (e.g. from
 * {@code ResourceTags.idValue}) look the same in the console and in {@code gcloud --filter};</li>
 * <li>every other character becomes {@code _hh} per UTF-8 byte ({@code v1.8.2} is stored as {@code v1_2e8_2e2});</li>
 * <li>{@code _} stays {@code _} unless two lowercase hex digits follow it, where it becomes {@code _5f}.</li>
 * </ul>
 * Decoding reads {@code _hh} as a byte and any other {@code _} literally, so {@code decode(encode(v)) == v} for every
 * string. Labels written by someone else that happen to contain {@code _hh} decode differently; the pipeline only
 * relies on its own labels.
 */
public final class GceLabels {

    /** GCE label keys: start with a lowercase letter; lowercase letters, digits, {@code _} and {@code -}; 1-63. */
    public static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
    /** GCE label values (ASCII subset: international letters are allowed by GCE but never produced here). */
    public static final Pattern VALUE = Pattern.compile("[a-z0-9_-]{0,63}");

    private static final int MAX_VALUE_LENGTH = 63;

    private GceLabels() {
    }

    /** The labels that carry {@code tags}; throws IllegalArgumentException for an invalid key or too long value. */
    public static Map<String, String> toLabels(Map<String, String> tags) {
        Map<String, String> labels = new LinkedHashMap<>();
        tags.forEach((key, value) -> labels.put(checkKey(key), encodeValue(value)));
        return labels;
    }

    /** The tags that {@code labels} carry (null-safe). */
    public static Map<String, String> fromLabels(Map<String, String> labels) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (labels != null) {
            labels.forEach((key, value) -> tags.put(key, decodeValue(value)));
        }
        return tags;
    }

    /**
     * A Compute list filter that matches resources carrying every tag, e.g.
     * {@code (labels.cib-build-id = "b-1") AND (labels.cib-phase = "build")}; empty for no tags. Encoded values
     * only use {@code [a-z0-9_-]}, so quoting cannot break.
     */
    public static String filter(Map<String, String> tags) {
        StringJoiner filter = new StringJoiner(" AND ");
        toLabels(tags).forEach((key, value) -> filter.add("(labels." + key + " = \"" + value + "\")"));
        return filter.toString();
    }

    public static String checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a valid GCE label key: '" + key + "'");
        }
        return key;
    }

    public static String encodeValue(String value) {
        StringBuilder out = new StringBuilder(value.length());
        int i = 0;
        while (i < value.length()) {
            int cp = value.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isPlain(cp)) {
                out.append((char) cp);
            } else if (cp == '_' && !(isHex(value, next) && isHex(value, next + 1))) {
                out.append('_');
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append('_').append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
                }
            }
            i = next;
        }
        if (out.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("tag value too long for a GCE label (" + out.length()
                    + " > 63 characters once encoded): '" + value + "'");
        }
        return out.toString();
    }

    public static String decodeValue(String label) {
        if (label == null || label.indexOf('_') < 0) {
            return label == null ? "" : label;
        }
        StringBuilder out = new StringBuilder(label.length());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = 0;
        while (i < label.length()) {
            char c = label.charAt(i);
            if (c == '_' && isHex(label, i + 1) && isHex(label, i + 2)) {
                bytes.write(Integer.parseInt(label.substring(i + 1, i + 3), 16));
                i += 3;
                continue;
            }
            flush(bytes, out);
            out.append(c);
            i++;
        }
        flush(bytes, out);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
        if (bytes.size() > 0) {
            out.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.reset();
        }
    }

    private static boolean isPlain(int cp) {
        return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-';
    }

    private static boolean isHex(String s, int index) {
        if (index >= s.length()) {
            return false;
        }
        char c = s.charAt(index);
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
