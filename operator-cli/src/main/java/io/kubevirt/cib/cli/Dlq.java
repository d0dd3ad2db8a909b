package io.kubevirt.cib.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubevirt.cib.cli.domain.TextTable;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Dead letters: records a worker could not accept, with the reason SmallRye put in their headers. */
@Command(name = "dlq", description = "What is in the dead-letter topics (*.dlq) and why (dead-letter-reason)."
        + " 'dlq resend' sends a corrected record back to its topic.", subcommands = DlqResend.class)
class Dlq extends CibCommand {

    static final String REASON = "dead-letter-reason";
    static final String ORIGINAL_TOPIC = "dead-letter-topic";
    static final String ORIGINAL_PARTITION = "dead-letter-partition";
    static final String ORIGINAL_OFFSET = "dead-letter-offset";

    @Option(names = "--topic", description = "one dead-letter topic (default: every *.dlq topic)")
    String topic;

    @Override
    public Integer call() {
        List<EventStream.StreamRecord> records;
        try (EventStream stream = stream()) {
            List<String> topics = topic != null ? List.of(topic)
                    : stream.topics().stream().filter(t -> t.endsWith(".dlq")).sorted().toList();
            records = stream.read(topics, null, r -> true);
        }
        if (common.json) {
            ArrayNode list = mapper.createArrayNode();
            for (EventStream.StreamRecord r : records) {
                ObjectNode o = list.addObject().put("topic", r.topic()).put("partition", r.partition())
                        .put("offset", r.offset()).put("time", r.timestamp().toString()).put("key", r.key())
                        .put("reason", r.headers().get(REASON))
                        .put("originalTopic", r.headers().get(ORIGINAL_TOPIC))
                        .put("originalPartition", r.headers().get(ORIGINAL_PARTITION))
                        .put("originalOffset", r.headers().get(ORIGINAL_OFFSET))
                        .put("type", r.headers().get("ce_type")).put("id", r.headers().get("ce_id"));
                ObjectNode headers = o.putObject("headers");
                r.headers().forEach(headers::put);
                o.put("value", r.value());
            }
            printJson(list);
            return Cib.OK;
        }
        if (records.isEmpty()) {
            out().println("no dead letters");
        } else {
            TextTable table = new TextTable("DLQ", "PARTITION/OFFSET", "TIME", "KEY", "FROM", "REASON");
            for (EventStream.StreamRecord r : records) {
                Map<String, String> h = r.headers();
                table.row(r.topic(), r.partition() + "/" + r.offset(), r.timestamp().toString(), r.key(),
                        h.getOrDefault(ORIGINAL_TOPIC, "?") + " " + h.getOrDefault(ORIGINAL_PARTITION, "?") + "/"
                                + h.getOrDefault(ORIGINAL_OFFSET, "?"),
                        h.getOrDefault(REASON, "(no reason header)"));
            }
            out().print(table.render());
            out().println("resend a corrected record: cib dlq resend DLQ PARTITION OFFSET --value-file FILE");
        }
        out().flush();
        return Cib.OK;
    }
}
