package io.kubevirt.cib.build.domain.packer;

import java.util.Objects;

/**
 * A {@code ui} line: what Packer would have printed for a human.
 *
 * @param timestamp epoch seconds
 * @param kind      {@code say}, {@code message} or {@code error}
 * @param text      unescaped text, may span several lines
 */
public record PackerUiMessage(long timestamp, String kind, String text) {

    public PackerUiMessage {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
    }

    public boolean isError() {
        return "error".equals(kind);
    }
}
