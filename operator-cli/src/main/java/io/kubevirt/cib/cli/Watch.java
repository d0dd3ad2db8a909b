package io.kubevirt.cib.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.cli.domain.BuildBoard;
import io.kubevirt.cib.cli.domain.Evidence;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "watch", description = "A live table of builds and their phases (build, verify, publish) with the"
        + " elapsed time of each, updated as events arrive. On a terminal the table is redrawn; otherwise (and with"
        + " --json) one line per event.")
class Watch extends CibCommand {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    @Option(names = "--since", defaultValue = "1h", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "start with the events of the last DURATION (default: ${DEFAULT-VALUE}; 0s: only new ones)")
    Duration since;

    @Option(names = "--build", description = "only this build")
    String build;

    @Option(names = "--for", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "stop after DURATION (default: until interrupted)")
    Duration duration;

    private final BuildBoard board = new BuildBoard();
    private boolean dirty = true;
    private Instant lastDraw = Instant.EPOCH;

    @Override
    public Integer call() {
        boolean redraw = !common.json && System.console() != null;
        Instant stopAt = duration == null ? null : Instant.now().plus(duration);
        try (EventStream stream = stream()) {
            stream.follow(Topics.events(), Instant.now().minus(since), r -> {
                if (build != null && !build.equals(r.key())) {
                    return;
                }
                Decoded d = decode(r);
                if (d.event() == null) {
                    if (!redraw) {
                        line(d, null);
                    }
                    return;
                }
                BuildBoard.Row row = board.apply(d.event().data(), d.time());
                dirty = true;
                if (!redraw) {
                    line(d, row);
                }
            }, () -> stopAt == null || Instant.now().isBefore(stopAt), () -> {
                // Elapsed times move: redraw every second even without events.
                if (redraw && (dirty || Duration.between(lastDraw, Instant.now()).toSeconds() >= 1)) {
                    out().print("\033[H\033[2J" + "cib watch  " + common.bootstrap + "  " + CLOCK.format(Instant.now())
                            + "\n\n" + board.render(Instant.now()));
                    out().flush();
                    dirty = false;
                    lastDraw = Instant.now();
                }
            });
        }
        return Cib.OK;
    }

    private void line(Decoded d, BuildBoard.Row row) {
        Instant now = Instant.now();
        if (common.json) {
            ObjectNode o = object().put("time", d.time().toString()).put("topic", d.record().topic())
                    .put("buildId", d.record().key());
            if (d.event() == null) {
                o.put("invalid", d.invalid());
            } else {
                o.put("type", d.event().type().typeName()).put("id", d.event().id())
                        .put("summary", Evidence.summary(d.event().data()));
                ObjectNode phases = o.putObject("phases");
                phases.put("build", row.build().cell(now)).put("verify", row.verify().cell(now))
                        .put("publish", row.publish().cell(now));
            }
            printJson(o);
            return;
        }
        if (d.event() == null) {
            out().printf("%s  %-17s %-28s INVALID: %s%n", CLOCK.format(d.time()), d.record().topic(),
                    d.record().key(), d.invalid());
        } else {
            out().printf("%s  %-17s %-28s build %-14s verify %-14s publish %-10s %s%n", CLOCK.format(d.time()),
                    d.event().type().typeName(), d.record().key(), row.build().cell(now), row.verify().cell(now),
                    row.publish().cell(now), Evidence.summary(d.event().data()));
        }
        out().flush();
    }
}
