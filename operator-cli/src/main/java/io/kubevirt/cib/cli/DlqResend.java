package io.kubevirt.cib.cli;

import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Sends a dead letter back to the topic it came from, corrected: the value from a file (or the original), headers
 * overridden with --header, the dead-letter-* headers dropped. It is validated through the codec first, so a record
 * that would be dead-lettered again is not sent. The event keeps its id: the worker never handled it.
 */
@Command(name = "resend", description = "Send a dead-lettered record, corrected, back to its original topic.")
class DlqResend extends CibCommand {

    @Parameters(index = "0", paramLabel = "DLQ", description = "dead-letter topic, e.g. build.requested.dlq")
    String dlq;

    @Parameters(index = "1", paramLabel = "PARTITION")
    int partition;

    @Parameters(index = "2", paramLabel = "OFFSET")
    long offset;

    @Option(names = "--value-file", paramLabel = "FILE", description = "corrected record value ('-' for stdin)")
    String valueFile;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "set or replace a header (repeatable)")
    Map<String, String> headerOverrides = new LinkedHashMap<>();

    @Option(names = "--dry-run", description = "validate and show, send nothing")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
        try (EventStream stream = stream()) {
            var found = stream.at(dlq, partition, offset);
            if (found.isEmpty()) {
                err().printf("no record at %s %d/%d%n", dlq, partition, offset);
                err().flush();
                return Cib.NOT_FOUND_OR_FAILED;
            }
            var record = found.get();
            Map<String, String> headers = new LinkedHashMap<>();
            record.headers().forEach((k, v) -> {
                if (!k.startsWith("dead-letter-") && v != null) {
                    headers.put(k, v);
                }
            });
            headers.putAll(headerOverrides);
            String value = valueFile == null ? record.value()
                    : "-".equals(valueFile) ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(valueFile));
            String target = record.headers().getOrDefault(Dlq.ORIGINAL_TOPIC,
                    dlq.endsWith(".dlq") ? dlq.substring(0, dlq.length() - 4) : dlq);
            Envelope<PipelineEvent> event;
            try {
                event = codec.decode(headers, value);
            } catch (InvalidEventException e) {
                err().println("still not a valid event, not sent (" + e.reason() + "): " + e.getMessage());
                err().flush();
                return Cib.NOT_FOUND_OR_FAILED;
            }
            if (!event.type().topic().equals(target)) {
                err().println("the record is a " + event.type().typeName() + " but came from " + target + "; not sent");
                err().flush();
                return Cib.NOT_FOUND_OR_FAILED;
            }
            if (dryRun) {
                out().printf("valid %s %s for build %s; would send to %s (dry run)%n", event.type().typeName(),
                        event.id(), event.key(), target);
                out().flush();
                return Cib.OK;
            }
            RecordMetadata at = stream.send(target, record.key() != null ? record.key() : event.key(), headers, value);
            if (common.json) {
                printJson(object().put("id", event.id()).put("type", event.type().typeName())
                        .put("buildId", event.key()).put("topic", at.topic()).put("partition", at.partition())
                        .put("offset", at.offset()));
            } else {
                out().printf("resent %s %s for build %s to %s %d/%d%n", event.type().typeName(), event.id(),
                        event.key(), at.topic(), at.partition(), at.offset());
                out().flush();
            }
            return Cib.OK;
        }
    }
}
