package io.kubevirt.cib.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventCodec;
import io.kubevirt.cib.events.InvalidEventException;
import io.kubevirt.cib.events.PipelineEvent;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command shares: options, output streams, the codec, the stream. */
abstract class CibCommand implements Callable<Integer> {

    @Mixin
    Common common;

    @Spec
    CommandSpec spec;

    final EventCodec codec = new EventCodec();
    final ObjectMapper mapper = new ObjectMapper();

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    EventStream stream() {
        return new EventStream(common.bootstrap, common.timeout);
    }

    /** A record decoded through the one codec, or the reason it is not a valid event. */
    record Decoded(EventStream.StreamRecord record, Envelope<PipelineEvent> event, String invalid) {

        /** When it happened: the event's own time, else the record's timestamp. */
        Instant time() {
            if (event != null && event.attributes().time() != null) {
                return event.attributes().time().toInstant();
            }
            return record.timestamp();
        }
    }

    Decoded decode(EventStream.StreamRecord record) {
        try {
            return new Decoded(record, codec.decode(record.headers(), record.value()), null);
        } catch (InvalidEventException e) {
            return new Decoded(record, null, e.getMessage());
        }
    }

    /** Raw JSON of the data, for --json output; the string itself when it is not JSON. */
    JsonNode data(String value) {
        try {
            return mapper.readTree(value);
        } catch (Exception e) {
            return mapper.getNodeFactory().textNode(value);
        }
    }

    ObjectNode object() {
        return mapper.createObjectNode();
    }

    void printJson(JsonNode node) {
        out().println(node.toString());
        out().flush();
    }

    static final URI SOURCE = URI.create("/cib/operator");

    /** Validates through the codec (schema included), publishes, and reports the new event; returns its envelope. */
    Envelope<PipelineEvent> publish(PipelineEvent data, String verb) {
        String value;
        try {
            value = codec.encodeData(data);
        } catch (IllegalStateException schemaRefused) {
            throw new UsageProblem(schemaRefused.getMessage());
        }
        Envelope<PipelineEvent> envelope = Envelope.create(data, SOURCE, Clock.systemUTC());
        try (EventStream stream = stream()) {
            RecordMetadata at = stream.send(envelope.type().topic(), envelope.key(), codec.encodeHeaders(envelope),
                    value);
            if (common.json) {
                ObjectNode o = object().put("id", envelope.id()).put("type", envelope.type().typeName())
                        .put("buildId", envelope.key()).put("topic", at.topic()).put("partition", at.partition())
                        .put("offset", at.offset());
                if (data.replayOf() != null) {
                    o.put("replayOf", data.replayOf());
                }
                printJson(o);
            } else {
                out().printf("%s %s %s for build %s%n  %s%n  follow it: cib watch --build %s   or   cib status %s%n",
                        verb, envelope.type().typeName(), envelope.id(), envelope.key(),
                        io.kubevirt.cib.cli.domain.Evidence.summary(data), envelope.key(), envelope.key());
                out().flush();
            }
        }
        return envelope;
    }

    /** A user error found after parsing (e.g. a value the schema refuses): exit code 2. */
    static final class UsageProblem extends RuntimeException {
        UsageProblem(String message) {
            super(message);
        }
    }
}
