package io.kubevirt.cib.cli.domain;

import java.time.Duration;

/** Short human durations: 850ms, 42s, 12m05s, 1h03m. */
public final class Durations {

    private Durations() {
    }

    public static String human(Duration d) {
        if (d == null) {
            return "-";
        }
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        long s = d.toSeconds();
        if (s < 1) {
            return d.toMillis() + "ms";
        }
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
