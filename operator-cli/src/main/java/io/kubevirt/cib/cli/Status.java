package io.kubevirt.cib.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.cli.domain.Evidence;
import io.kubevirt.cib.cli.domain.TextTable;
import io.kubevirt.cib.events.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Every event of one build, in order, with its evidence (images per region,"
        + " verification checks, versions, failures). Exit 1 when the build is unknown or its latest outcome failed.")
class Status extends CibCommand {

    private static final List<EventType> OUTCOMES = List.of(EventType.IMAGE_BUILT, EventType.BUILD_FAILED,
            EventType.IMAGE_VERIFIED, EventType.RELEASE_PUBLISHED);

    @Parameters(index = "0", paramLabel = "BUILD")
    String buildId;

    @Option(names = "--since", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "only events of the last DURATION (default: all that the topics still hold)")
    Duration since;

    @Override
    public Integer call() {
        List<Decoded> events;
        try (EventStream stream = stream()) {
            events = stream.read(Topics.events(), since == null ? null : Instant.now().minus(since),
                    r -> buildId.equals(r.key())).stream()
                    .map(this::decode)
                    .sorted(Comparator.comparing(Decoded::time)
                            .thenComparing(d -> Topics.events().indexOf(d.record().topic())))
                    .toList();
        }
        boolean failed = events.stream()
                .filter(d -> d.event() != null && OUTCOMES.contains(d.event().type()))
                .reduce((a, b) -> b)
                .map(d -> Evidence.isFailure(d.event().data()))
                .orElse(false);
        if (common.json) {
            ObjectNode root = object().put("buildId", buildId).put("found", !events.isEmpty()).put("failed", failed);
            ArrayNode list = root.putArray("events");
            for (Decoded d : events) {
                ObjectNode o = list.addObject().put("time", d.time().toString()).put("topic", d.record().topic())
                        .put("partition", d.record().partition()).put("offset", d.record().offset());
                if (d.event() != null) {
                    o.put("type", d.event().type().typeName()).put("id", d.event().id())
                            .put("source", d.event().attributes().source().toString())
                            .put("summary", Evidence.summary(d.event().data()));
                    Evidence.details(d.event().data()).forEach(o.putArray("details")::add);
                } else {
                    o.put("invalid", d.invalid());
                }
                o.set("data", data(d.record().value()));
            }
            printJson(root);
        } else if (events.isEmpty()) {
            err().println("no events for build " + buildId);
        } else {
            TextTable table = new TextTable("TIME", "EVENT", "ID", "EVIDENCE");
            for (Decoded d : events) {
                if (d.event() == null) {
                    table.row(d.time().toString(), d.record().topic(), "-", "INVALID: " + d.invalid());
                    continue;
                }
                table.row(d.time().toString(), d.event().type().typeName(), d.event().id(),
                        Evidence.summary(d.event().data()));
                for (String line : Evidence.details(d.event().data())) {
                    table.row("", "", "", "  " + line);
                }
            }
            out().printf("build %s: %d event(s)%s%n", buildId, events.size(), failed ? ", latest outcome FAILED" : "");
            out().print(table.render());
        }
        out().flush();
        err().flush();
        return events.isEmpty() || failed ? Cib.NOT_FOUND_OR_FAILED : Cib.OK;
    }
}
