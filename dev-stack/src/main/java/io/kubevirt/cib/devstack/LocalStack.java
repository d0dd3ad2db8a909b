package io.kubevirt.cib.devstack;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Local run without Docker: {@code java -jar dev-stack/target/dev-stack.jar [--kafka-port 9092] [--moto-port 5000]
 * [--topics a,b,c] [--partitions 3]}. Prints {@code KAFKA_BOOTSTRAP=...}, {@code AWS_ENDPOINT=...} and
 * {@code READY} on stdout (everything else goes to stderr), then runs until SIGTERM or Ctrl-C.
 */
public final class LocalStack {

    private static final String USAGE = "usage: java -jar dev-stack.jar [--kafka-port N] [--moto-port N]"
            + " [--topics a,b,c] [--partitions N]";

    /** Command line; ports are fixed here (0 still means "pick one") so other processes can be configured. */
    record Options(int kafkaPort, int motoPort, List<String> topics, int partitions) {

        static Options parse(String... args) {
            int kafka = 9092;
            int moto = 5000;
            List<String> topics = List.of();
            int partitions = 3;
            List<String> a = new ArrayList<>();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    a.add(arg.substring(0, eq));
                    a.add(arg.substring(eq + 1));
                } else {
                    a.add(arg);
                }
            }
            for (int i = 0; i < a.size(); i++) {
                String name = a.get(i);
                if (i + 1 >= a.size()) {
                    throw new IllegalArgumentException("missing value for " + name);
                }
                String value = a.get(++i);
                switch (name) {
                    case "--kafka-port" -> kafka = port(name, value);
                    case "--moto-port" -> moto = port(name, value);
                    case "--topics" -> topics = Arrays.stream(value.split(",")).map(String::strip)
                            .filter(s -> !s.isEmpty()).toList();
                    case "--partitions" -> partitions = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            return new Options(kafka, moto, topics, partitions);
        }

        private static int port(String name, String value) {
            int p = Integer.parseInt(value);
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException(name + " " + value);
            }
            return p;
        }
    }

    private LocalStack() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        // Must happen before the first Kafka class asks slf4j-simple for a logger.
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        defaultProperty("org.slf4j.simpleLogger.logFile", "System.err");
        defaultProperty("org.slf4j.simpleLogger.showDateTime", "true");
        // A broken broker in a standalone process should end the process, not linger half-dead.
        defaultProperty(KafkaBroker.EXIT_GUARD_PROPERTY, "false");

        PrintStream out = System.out;
        Stack stack = new Stack();
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "dev-stack-local-shutdown"));
        try {
            stack.broker = KafkaBroker.start(options.kafkaPort());
            stack.broker.createTopics(options.topics(), options.partitions());
            System.err.printf("Kafka %s up in %d ms%n", ExternalVersions.kafkaClientsVersion(),
                    stack.broker.startupTime().toMillis());
            stack.moto = MotoServer.start(options.motoPort());
            System.err.printf("moto up in %d ms (pid %d)%n", stack.moto.startupTime().toMillis(), stack.moto.pid());
        } catch (RuntimeException e) {
            System.err.println("dev-stack failed to start: " + e.getMessage());
            System.exit(1);
        }
        warnAboutVersions();
        out.println("KAFKA_BOOTSTRAP=" + stack.broker.bootstrapServers());
        out.println("AWS_ENDPOINT=" + stack.moto.endpoint());
        out.println("READY");
        out.flush();
        new CountDownLatch(1).await(); // until a signal runs the shutdown hook
    }

    private static void warnAboutVersions() {
        Optional<String> moto = ExternalVersions.installedMotoVersion(MotoServer.python());
        if (!moto.equals(Optional.of(ExternalVersions.MOTO))) {
            System.err.printf("WARNING: moto %s installed, tests are pinned to %s%n", moto.orElse("?"),
                    ExternalVersions.MOTO);
        }
        Optional<String> packer = ExternalVersions.installedPackerVersion();
        if (packer.isEmpty() || ExternalVersions.compare(packer.get(), ExternalVersions.PACKER_MIN) < 0) {
            System.err.printf("WARNING: packer %s found, builds need >= %s%n", packer.orElse("not"),
                    ExternalVersions.PACKER_MIN);
        }
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** What is running, closed in reverse order by the shutdown hook. */
    private static final class Stack {
        private volatile KafkaBroker broker;
        private volatile MotoServer moto;

        void close() {
            try {
                if (moto != null) {
                    moto.close();
                }
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
    }
}
