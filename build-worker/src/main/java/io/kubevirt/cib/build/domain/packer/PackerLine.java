package io.kubevirt.cib.build.domain.packer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One line of {@code packer build -machine-readable} output:
 * {@code timestamp,target,type,data...}.
 *
 * <p>Packer escapes each data field before joining them with commas: {@code ,} becomes
 * {@code %!(PACKER_COMMA)}, a newline becomes the two characters {@code \n} and a carriage
 * return {@code \r}. {@link #parse(String)} reverses that, so {@link #data()} holds the
 * original texts. (A literal backslash-n in the original text cannot be told apart.)
 *
 * @param timestamp epoch seconds
 * @param target    build name such as {@code amazon-ebs.aws}; empty for global lines like {@code ui}
 * @param type      {@code ui}, {@code artifact}, {@code artifact-count}, {@code error}, {@code error-count}, ...
 * @param data      unescaped data fields, possibly empty
 */
public record PackerLine(long timestamp, String target, String type, List<String> data) {

    static final String ESCAPED_COMMA = "%!(PACKER_COMMA)";

    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{1,18}");
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9-]*");

    public PackerLine {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(type, "type");
        data = List.copyOf(data);
    }

    /**
     * Parses one raw stdout line.
     *
     * @return empty for anything that is not a machine-readable line (plain text, panics,
     *         blank lines), so a caller can feed Packer's output through unfiltered
     */
    public static Optional<PackerLine> parse(String rawLine) {
        if (rawLine == null) {
            return Optional.empty();
        }
        String line = rawLine;
        // Tolerate CRLF: real carriage returns inside data are escaped by Packer.
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        String[] fields = line.split(",", -1);
        if (fields.length < 3 || !TIMESTAMP.matcher(fields[0]).matches() || !TYPE.matcher(fields[2]).matches()) {
            return Optional.empty();
        }
        List<String> data = new ArrayList<>(fields.length - 3);
        for (int i = 3; i < fields.length; i++) {
            data.add(unescape(fields[i]));
        }
        return Optional.of(new PackerLine(Long.parseLong(fields[0]), fields[1], fields[2], data));
    }

    /** Reverses Packer's machine-readable escaping of one field. */
    static String unescape(String field) {
        return field.replace(ESCAPED_COMMA, ",").replace("\\n", "\n").replace("\\r", "\r");
    }

    /** Data field {@code index}, or empty when the line has fewer fields. */
    public Optional<String> datum(int index) {
        return index >= 0 && index < data.size() ? Optional.of(data.get(index)) : Optional.empty();
    }

    /** True for {@code ui} lines of the given kind ({@code say}, {@code message}, {@code error}). */
    public boolean isUi(String kind) {
        return "ui".equals(type) && datum(0).filter(kind::equals).isPresent();
    }
}
