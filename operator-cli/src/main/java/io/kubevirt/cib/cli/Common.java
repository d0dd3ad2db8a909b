package io.kubevirt.cib.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Options every command takes. */
public class Common {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            defaultValue = "${env:CIB_KAFKA_BOOTSTRAP:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (env CIB_KAFKA_BOOTSTRAP; default: ${DEFAULT-VALUE}, the local run's)")
    String bootstrap;

    @Option(names = "--json", description = "Machine-readable output (JSON; one object per line for watch)")
    boolean json;

    @Option(names = "--timeout", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "How long to wait for the broker before giving up with exit code 3 (default: ${DEFAULT-VALUE})")
    Duration timeout;
}
