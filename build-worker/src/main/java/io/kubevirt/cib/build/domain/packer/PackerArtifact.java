package io.kubevirt.cib.build.domain.packer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An artifact reported by {@code artifact,<n>,...} lines.
 *
 * @param target      build name, e.g. {@code amazon-ebs.aws}
 * @param index       the {@code <n>} of the artifact lines
 * @param builderId   e.g. {@code mitchellh.amazonebs}, {@code packer.googlecompute}; empty if not seen
 * @param id          e.g. {@code eu-west-1:ami-1,us-east-1:ami-2} or a GCE image name; empty if not seen
 * @param description the human-readable {@code string} row; empty if not seen
 * @param complete    whether the {@code artifact,<n>,end} row was seen
 */
public record PackerArtifact(String target, int index, String builderId, String id, String description,
                             boolean complete) {

    /** Builder id of Packer's googlecompute builder: the artifact id is the image name. */
    public static final String GOOGLECOMPUTE_BUILDER_ID = "packer.googlecompute";

    public PackerArtifact {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(builderId, "builderId");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(description, "description");
    }

    /**
     * The images this artifact stands for. The amazon builders report
     * {@code region:ami-id} pairs joined by commas, one per region the AMI was copied to;
     * googlecompute reports just the image name.
     */
    public List<BuiltImage> images() {
        if (id.isBlank()) {
            return List.of();
        }
        if (GOOGLECOMPUTE_BUILDER_ID.equals(builderId)) {
            return List.of(new BuiltImage("", id.trim()));
        }
        String[] parts = id.split(",");
        List<BuiltImage> images = new ArrayList<>(parts.length);
        for (String part : parts) {
            String p = part.trim();
            int colon = p.indexOf(':');
            if (colon <= 0 || colon == p.length() - 1) {
                // Not region:id; keep the whole id rather than guess.
                return List.of(new BuiltImage("", id.trim()));
            }
            images.add(new BuiltImage(p.substring(0, colon), p.substring(colon + 1)));
        }
        return List.copyOf(images);
    }
}
