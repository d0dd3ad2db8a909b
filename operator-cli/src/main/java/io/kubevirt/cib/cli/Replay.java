package io.kubevirt.cib.cli;

import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.PipelineEvent;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Reruns exactly one phase: the event that started it is published again with a new id and {@code replayOf} naming
 * the original. A redelivery (same id) would be skipped by the phase's ledger; a new id is not.
 */
@Command(name = "replay", description = "Publish an event of one build again, as a new event naming the original in"
        + " replayOf, so that the phase consuming it reruns (e.g. replay BUILD image.built reruns verification).")
class Replay extends CibCommand {

    @Parameters(index = "0", paramLabel = "BUILD")
    String buildId;

    @Parameters(index = "1", paramLabel = "TYPE", description = "event type, e.g. build.requested, image.built")
    String type;

    @Option(names = "--id", description = "the event to replay when the build has several of TYPE (default: latest)")
    String id;

    @Override
    public Integer call() {
        EventType eventType = EventType.fromTypeName(type)
                .orElseThrow(() -> new UsageProblem("unknown event type " + type));
        List<Decoded> found;
        try (EventStream stream = stream()) {
            found = stream.read(Set.of(eventType.topic()), null, r -> buildId.equals(r.key())).stream()
                    .map(this::decode)
                    .filter(d -> d.event() != null && d.event().type() == eventType)
                    .filter(d -> id == null || id.equals(d.event().id()))
                    .sorted(Comparator.comparing(Decoded::time))
                    .toList();
        }
        if (found.isEmpty()) {
            err().printf("no %s event%s for build %s on topic %s%n", type, id == null ? "" : " with id " + id,
                    buildId, eventType.topic());
            err().flush();
            return Cib.NOT_FOUND_OR_FAILED;
        }
        var original = found.get(found.size() - 1).event();
        PipelineEvent replay = codec.withLineage(original.data(), original.data().causedBy(), original.id());
        publish(replay, "replayed " + original.id() + " as");
        return Cib.OK;
    }
}
