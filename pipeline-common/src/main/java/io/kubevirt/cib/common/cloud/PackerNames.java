package io.kubevirt.cib.common.cloud;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packer names its temporary security groups and key pairs {@code packer_<TimeOrderedUUID>}, whose first eight hex
 * digits are the Unix seconds it was made (packer-plugin-sdk {@code uuid.TimeOrderedUUID}). EC2 reports no creation
 * time for security groups, so this is their age; a name that does not parse has no age and is never swept.
 */
public final class PackerNames {

    public static final String PREFIX = "packer_";
    private static final Pattern TIME_ORDERED =
            Pattern.compile("^packer_([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");

    private PackerNames() {
    }

    public static Optional<Instant> createdAt(String name) {
        Matcher m = name == null ? null : TIME_ORDERED.matcher(name);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochSecond(Long.parseLong(m.group(1), 16)));
    }

    /** A name as Packer would give it at {@code at}, for fixtures and tests. */
    public static String at(Instant at) {
        String random = UUID.randomUUID().toString().replace("-", "");
        String hex = String.format("%08x", at.getEpochSecond()) + random.substring(0, 24);
        return PREFIX + hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20, 32);
    }
}
