package io.kubevirt.cib.cli.domain;

import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of builds as their events arrive, for {@code cib watch}: per build, its phases (build, verify,
 * publish) with state and elapsed time. A phase's clock starts at the event that starts it and stops at its
 * outcome; a replay restarts the phase it reruns.
 */
public final class BuildBoard {

    public enum State { RUNNING, OK, FAILED }

    /** One phase of one build; {@code end} is null while it runs. */
    public static final class Phase {
        private State state;
        private Instant start;
        private Instant end;

        void start(Instant at) {
            state = State.RUNNING;
            start = at;
            end = null;
        }

        void end(Instant at, boolean ok) {
            state = ok ? State.OK : State.FAILED;
            end = at;
        }

        public State state() {
            return state;
        }

        public Duration elapsed(Instant now) {
            if (start == null) {
                return null;
            }
            return Duration.between(start, end == null ? now : end);
        }

        public String cell(Instant now) {
            if (state == null) {
                return "-";
            }
            Duration d = elapsed(now);
            return state.name().toLowerCase() + (d == null ? "" : " " + Durations.human(d));
        }
    }

    /** One build's row. */
    public static final class Row {
        private final String buildId;
        private Cloud cloud;
        private final Phase build = new Phase();
        private final Phase verify = new Phase();
        private final Phase publish = new Phase();
        private String lastType;
        private Instant lastAt;

        Row(String buildId) {
            this.buildId = buildId;
        }

        public String buildId() {
            return buildId;
        }

        public Cloud cloud() {
            return cloud;
        }

        public Phase build() {
            return build;
        }

        public Phase verify() {
            return verify;
        }

        public Phase publish() {
            return publish;
        }

        public String lastType() {
            return lastType;
        }

        public Instant lastAt() {
            return lastAt;
        }
    }

    private final Map<String, Row> rows = new LinkedHashMap<>();

    /** Applies one event that happened at {@code at}; returns its build's row. */
    public Row apply(PipelineEvent event, Instant at) {
        Row row = rows.computeIfAbsent(event.buildId(), Row::new);
        if (event instanceof BuildRequested e) {
            row.cloud = e.cloud();
            row.build.start(at);
            row.verify.state = null;
            row.verify.start = null;
        } else if (event instanceof ImageBuilt e) {
            row.cloud = e.cloud();
            row.build.end(at, true);
            row.verify.start(at);
        } else if (event instanceof BuildFailed e) {
            row.cloud = e.cloud();
            row.build.end(at, false);
        } else if (event instanceof ImageVerified e) {
            row.cloud = e.cloud();
            row.verify.end(at, e.outcome() == ImageVerified.Outcome.PASSED);
        } else if (event instanceof ReleaseTagged) {
            row.publish.start(at);
        } else if (event instanceof ImagePublished e) {
            row.cloud = e.cloud();
            if (row.publish.state == null) {
                row.publish.start(at);
            }
        } else if (event instanceof ReleasePublished e) {
            row.publish.end(at, e.outcome() == ReleasePublished.Outcome.COMPLETE);
        }
        row.lastType = event.type().typeName();
        row.lastAt = at;
        return row;
    }

    public List<Row> rows() {
        return new ArrayList<>(rows.values());
    }

    public String render(Instant now) {
        TextTable table = new TextTable("BUILD", "CLOUD", "BUILD-PHASE", "VERIFY", "PUBLISH", "LAST EVENT");
        for (Row r : rows.values()) {
            table.row(r.buildId, r.cloud == null ? "-" : r.cloud.wireName(), r.build.cell(now), r.verify.cell(now),
                    r.publish.cell(now), r.lastType + " " + Durations.human(Duration.between(r.lastAt, now))
                            + " ago");
        }
        return table.isEmpty() ? "no builds yet\n" : table.render();
    }
}
