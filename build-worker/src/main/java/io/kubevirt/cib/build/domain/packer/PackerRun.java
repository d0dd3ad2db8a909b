package io.kubevirt.cib.build.domain.packer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Accumulates the {@code -machine-readable} stdout of one {@code packer build}, fed line by
 * line as it arrives. Methods are synchronized so a reader thread can feed lines while
 * another thread reads progress; getters return snapshots.
 *
 * <p>What it keeps: artifacts ({@code artifact,<n>,builder-id|id|string|end}), {@code ui}
 * messages, error texts ({@code <target>,error,...} lines and {@code ui,error}), the
 * {@code error-count}, whether Packer reported a cancellation, and (capped) lines that were
 * not machine-readable at all.
 */
public final class PackerRun {

    /** Non-machine-readable lines kept for diagnosis; the rest are only counted. */
    static final int MAX_OTHER_LINES = 50;

    private static final Pattern ARTIFACT_INDEX = Pattern.compile("[0-9]{1,6}");
    private static final String CANCELLING = "Cancelling build after receiving ";
    private static final String CANCELLED = "Cleanly cancelled builds after being interrupted";

    private final Map<String, ArtifactRows> artifacts = new LinkedHashMap<>();
    private final List<PackerUiMessage> uiMessages = new ArrayList<>();
    private final List<String> targetErrors = new ArrayList<>();
    private final List<String> uiErrors = new ArrayList<>();
    private final List<String> otherLines = new ArrayList<>();
    private int otherLineCount;
    private Integer errorCount;
    private boolean cancelled;

    /**
     * Feeds one raw stdout line.
     *
     * @return the parsed line, or empty if it was not machine-readable (it is then kept as an
     *         "other" line unless blank)
     */
    public synchronized Optional<PackerLine> accept(String rawLine) {
        Optional<PackerLine> parsed = PackerLine.parse(rawLine);
        if (parsed.isPresent()) {
            accept(parsed.get());
        } else if (rawLine != null && !rawLine.isBlank()) {
            otherLineCount++;
            if (otherLines.size() < MAX_OTHER_LINES) {
                otherLines.add(rawLine);
            }
        }
        return parsed;
    }

    /** Feeds one parsed line. */
    public synchronized void accept(PackerLine line) {
        switch (line.type()) {
            case "ui" -> acceptUi(line);
            case "artifact" -> acceptArtifact(line);
            case "error" -> line.datum(0).filter(s -> !s.isBlank()).ifPresent(targetErrors::add);
            case "error-count" -> line.datum(0).ifPresent(this::acceptErrorCount);
            default -> {
                // artifact-count, version, template-*, ...: nothing the worker needs.
            }
        }
    }

    private void acceptUi(PackerLine line) {
        String kind = line.datum(0).orElse("");
        String text = line.datum(1).orElse("");
        uiMessages.add(new PackerUiMessage(line.timestamp(), kind, text));
        if ("error".equals(kind) && !text.isBlank()) {
            uiErrors.add(text);
        }
        if (text.startsWith(CANCELLING) || text.contains(CANCELLED)) {
            cancelled = true;
        }
    }

    private void acceptArtifact(PackerLine line) {
        String index = line.datum(0).orElse("");
        Optional<String> key = line.datum(1);
        if (key.isEmpty() || !ARTIFACT_INDEX.matcher(index).matches()) {
            return;
        }
        ArtifactRows rows = artifacts.computeIfAbsent(line.target() + "#" + index,
                k -> new ArtifactRows(line.target(), Integer.parseInt(index)));
        String value = line.datum(2).orElse("");
        switch (key.get()) {
            case "builder-id" -> rows.builderId = value;
            case "id" -> rows.id = value;
            case "string" -> rows.description = value;
            case "end" -> rows.complete = true;
            default -> {
                // files-count, file: not used for cloud images.
            }
        }
    }

    private void acceptErrorCount(String value) {
        try {
            errorCount = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            // Ignore a malformed count; the error texts still tell the story.
        }
    }

    /** All artifacts seen so far, in order of first appearance. */
    public synchronized List<PackerArtifact> artifacts() {
        return artifacts.values().stream().map(ArtifactRows::toArtifact).toList();
    }

    /**
     * The images built: one per region for amazon-ebs, one per image name for googlecompute.
     * Duplicates (e.g. a manifest post-processor re-reporting the builder's artifact) are
     * dropped.
     */
    public synchronized List<BuiltImage> builtImages() {
        LinkedHashSet<BuiltImage> images = new LinkedHashSet<>();
        for (ArtifactRows rows : artifacts.values()) {
            images.addAll(rows.toArtifact().images());
        }
        return List.copyOf(images);
    }

    /**
     * Error texts, distinct, in order: the per-build {@code error} lines (Packer's final
     * summary, the cleanest reason) first, then the {@code ui,error} lines.
     */
    public synchronized List<String> errors() {
        LinkedHashSet<String> all = new LinkedHashSet<>(targetErrors);
        all.addAll(uiErrors);
        return List.copyOf(all);
    }

    /**
     * The best single failure reason Packer gave: the last per-build {@code error} line, else
     * the first {@code ui,error} (later ones tend to be summaries repeating it). Empty when
     * Packer reported no error; if it still exited non-zero (crash, kill), look at
     * {@link #otherLines()}.
     */
    public synchronized Optional<String> failureReason() {
        if (!targetErrors.isEmpty()) {
            return Optional.of(targetErrors.get(targetErrors.size() - 1));
        }
        if (!uiErrors.isEmpty()) {
            return Optional.of(uiErrors.get(0));
        }
        return Optional.empty();
    }

    public synchronized List<PackerUiMessage> uiMessages() {
        return List.copyOf(uiMessages);
    }

    /** The {@code error-count} Packer printed at the end of a failed build, if any. */
    public synchronized OptionalInt errorCount() {
        return errorCount == null ? OptionalInt.empty() : OptionalInt.of(errorCount);
    }

    /** Packer said it was cancelled (SIGINT to its process group, or SIGTERM). */
    public synchronized boolean cancelled() {
        return cancelled;
    }

    /** Up to {@value #MAX_OTHER_LINES} non-blank lines that were not machine-readable. */
    public synchronized List<String> otherLines() {
        return List.copyOf(otherLines);
    }

    public synchronized int otherLineCount() {
        return otherLineCount;
    }

    /** Mutable rows of one artifact while its lines arrive. */
    private static final class ArtifactRows {
        private final String target;
        private final int index;
        private String builderId = "";
        private String id = "";
        private String description = "";
        private boolean complete;

        private ArtifactRows(String target, int index) {
            this.target = target;
            this.index = index;
        }

        private PackerArtifact toArtifact() {
            return new PackerArtifact(target, index, builderId, id, description, complete);
        }
    }
}
