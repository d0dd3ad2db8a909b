package io.kubevirt.cib.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.cli.domain.Durations;
import io.kubevirt.cib.cli.domain.Evidence;
import io.kubevirt.cib.cli.domain.TextTable;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventIds;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ResourcesCleaned;
import io.kubevirt.cib.events.SweepRequested;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sweep", description = "Ask the cleanup-worker for one sweep (expired tagged leftovers, old Packer"
        + " temporaries, the release lifecycle): publishes sweep.requested. With --wait, prints the resulting"
        + " resources.cleaned; exit 1 when a resource could not be removed or nothing answered in time.")
class Sweep extends CibCommand {

    @Option(names = "--dry-run", description = "list what would be removed and why; change nothing")
    boolean dryRun;

    @Option(names = "--run-id", description = "DNS-label shaped; default sweep-<UTC timestamp>. Asking again with"
            + " the same run id is a new request (a new event id): the worker sweeps again")
    String runId;

    @Option(names = "--requested-by", defaultValue = "operator:${env:USER:-unknown}")
    String requestedBy;

    @Option(names = "--wait", arity = "0..1", fallbackValue = "15m", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "wait up to DURATION (default 15m) for the resources.cleaned"
                    + " events of this request and print them")
    Duration wait;

    @Override
    public Integer call() {
        String id = runId != null ? runId : "sweep-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .format(ZonedDateTime.now(ZoneOffset.UTC));
        Envelope<PipelineEvent> request = publish(new SweepRequested(EventType.CURRENT_VERSION, id, dryRun,
                requestedBy, null, null), "published");
        return wait == null ? Cib.OK : await(request);
    }

    /**
     * The worker's outcome of the request is either its two events (sweep, lifecycle) or one failure event; their
     * ids are derived from the request's (EventIds), so this waits for exactly those and ignores redeliveries.
     */
    private int await(Envelope<PipelineEvent> request) {
        String topic = EventType.RESOURCES_CLEANED.topic();
        String type = EventType.RESOURCES_CLEANED.typeName(); // output names are "<type>[/<qualifier>]"
        String sweepId = EventIds.derived(request.id(), type + "/sweep");
        String lifecycleId = EventIds.derived(request.id(), type + "/lifecycle");
        String failureId = EventIds.derived(request.id(), type);
        Map<String, Decoded> found = new LinkedHashMap<>();
        Instant giveUp = Instant.now().plus(wait);
        try (EventStream stream = stream()) {
            // From a little before now: an answer arriving between publishing and following is not missed.
            stream.follow(List.of(topic), Instant.now().minusSeconds(5), r -> {
                if (!request.key().equals(r.key())) {
                    return;
                }
                Decoded d = decode(r);
                if (d.event() != null && Set.of(sweepId, lifecycleId, failureId).contains(d.event().id())) {
                    found.putIfAbsent(d.event().id(), d);
                }
            }, () -> Instant.now().isBefore(giveUp) && !found.containsKey(failureId)
                    && !(found.containsKey(sweepId) && found.containsKey(lifecycleId)), () -> { });
        }
        boolean failedPhase = found.containsKey(failureId);
        List<ResourcesCleaned> events = new ArrayList<>();
        for (String eventId : List.of(sweepId, lifecycleId, failureId)) {
            if (found.containsKey(eventId)) {
                events.add((ResourcesCleaned) found.get(eventId).event().data());
            }
        }
        long failedResources = events.stream().flatMap(e -> e.resources().stream())
                .filter(r -> r.result() == ResourcesCleaned.Result.FAILED).count();
        boolean answered = failedPhase || events.size() == 2;
        if (common.json) {
            ObjectNode root = object().put("runId", request.key()).put("requestId", request.id())
                    .put("answered", answered).put("failed", failedPhase || failedResources > 0);
            ArrayNode list = root.putArray("events");
            for (Decoded d : found.values()) {
                list.addObject().put("id", d.event().id()).put("summary", Evidence.summary(d.event().data()))
                        .set("data", data(d.record().value()));
            }
            printJson(root);
        } else {
            TextTable table = new TextTable("EVENT", "ID", "EVIDENCE");
            for (Decoded d : found.values()) {
                table.row(d.event().type().typeName(), d.event().id(), Evidence.summary(d.event().data()));
                for (String line : Evidence.details(d.event().data())) {
                    table.row("", "", "  " + line);
                }
            }
            if (!answered) {
                err().printf("no complete answer to sweep %s within %s (is the cleanup-worker running?)%n",
                        request.key(), Durations.human(wait));
            } else if (failedPhase) {
                err().printf("sweep %s failed in the cleanup-worker (see its log)%n", request.key());
            }
            out().printf("sweep %s%s: %d resource(s), %d failed%n", request.key(), dryRun ? " (dry run)" : "",
                    events.stream().mapToInt(e -> e.resources().size()).sum(), failedResources);
            out().print(table.render());
        }
        out().flush();
        err().flush();
        return answered && !failedPhase && failedResources == 0 ? Cib.OK : Cib.NOT_FOUND_OR_FAILED;
    }
}
