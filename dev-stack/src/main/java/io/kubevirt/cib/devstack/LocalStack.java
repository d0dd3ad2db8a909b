package io.kubevirt.cib.devstack;

import io.kubevirt.cib.devstack.guest.MotoWithGuest;
import io.kubevirt.cib.devstack.guest.StandInGuest;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * Local run without Docker: {@code java -jar dev-stack/target/dev-stack.jar [--kafka-port 9092] [--moto-port 5000]
 * [--topics a,b:1,c] [--partitions 3] [--guest] [--guest-scenario pass]} ({@code b:1}: topic b with one partition). Prints {@code KAFKA_BOOTSTRAP=...},
 * {@code AWS_ENDPOINT=...} and {@code READY} on stdout (everything else goes to stderr), then runs until SIGTERM or
 * Ctrl-C. With {@code --guest} (or {@code --guest-scenario}) it also starts the stand-in guest
 * ({@link MotoWithGuest}) and prints, before READY, {@code GUEST_CLOUD_ENDPOINT=...} (moto behind a proxy that
 * reports the guest's host keys: the test-worker's AWS endpoint) and {@code GUEST_SSH_ADDRESS=...} (its
 * {@code cib.verify.address-override}). It always prints {@code PUBLISH_CLOUD_ENDPOINT=...}: moto behind a proxy that
 * answers the publishing calls moto lacks ({@link PublishAnswers}), the publish-worker's AWS endpoint.
 */
public final class LocalStack {

    private static final String USAGE = "usage: java -jar dev-stack.jar [--kafka-port N] [--moto-port N]"
            + " [--topics a,b,c] [--partitions N] [--guest] [--guest-scenario " + String.join("|",
                    StandInGuest.SCENARIOS) + "]";

    /** Command line; ports are fixed here (0 still means "pick one") so other processes can be configured. */
    public record Options(int kafkaPort, int motoPort, List<String> topics, int partitions,
            Optional<String> guestScenario) {

        public Options {
            guestScenario.filter(g -> !StandInGuest.SCENARIOS.contains(g)).ifPresent(g -> {
                throw new IllegalArgumentException("unknown guest scenario " + g + "; one of "
                        + StandInGuest.SCENARIOS);
            });
        }

        public static Options parse(String... args) {
            int kafka = 9092;
            int moto = 5000;
            List<String> topics = List.of();
            int partitions = 3;
            Optional<String> guest = Optional.empty();
            List<String> a = new ArrayList<>();
            for (String arg : args) {
                if (arg.equals("--guest")) { // the one flag without a value
                    guest = guest.or(() -> Optional.of("pass"));
                    continue;
                }
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
                    case "--guest-scenario" -> guest = Optional.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            return new Options(kafka, moto, topics, partitions, guest);
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
        Running stack;
        try {
            stack = start(options);
        } catch (RuntimeException | IOException e) {
            System.err.println("dev-stack failed to start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "dev-stack-local-shutdown"));
        warnAboutVersions();
        out.println("KAFKA_BOOTSTRAP=" + stack.kafkaBootstrap());
        out.println("AWS_ENDPOINT=" + stack.awsEndpoint());
        out.println("PUBLISH_CLOUD_ENDPOINT=" + stack.publishEndpoint());
        stack.guest().ifPresent(g -> {
            out.println("GUEST_CLOUD_ENDPOINT=" + g.cloudEndpoint());
            out.println("GUEST_SSH_ADDRESS=" + g.sshAddress());
        });
        out.println("READY");
        out.flush();
        new CountDownLatch(1).await(); // until a signal runs the shutdown hook
    }

    /** Starts what {@code options} asks for; closing the result stops it all. Also used in-process by tests. */
    public static Running start(Options options) throws IOException {
        Running stack = new Running();
        try {
            stack.broker = KafkaBroker.start(options.kafkaPort());
            createTopics(stack.broker, options.topics(), options.partitions());
            System.err.printf("Kafka %s up in %d ms%n", ExternalVersions.kafkaClientsVersion(),
                    stack.broker.startupTime().toMillis());
            stack.moto = MotoServer.start(options.motoPort());
            System.err.printf("moto up in %d ms (pid %d)%n", stack.moto.startupTime().toMillis(), stack.moto.pid());
            stack.publishProxy = PublishAnswers.answerWhatMotoLacks(SlowCloudProxy.start(stack.moto.endpoint()));
            if (options.guestScenario().isPresent()) {
                stack.guest = MotoWithGuest.start(stack.moto.endpoint(), options.guestScenario().get());
                System.err.printf("stand-in guest (scenario %s): SSH on %s, moto with its console at %s%n",
                        options.guestScenario().get(), stack.guest.sshAddress(), stack.guest.cloudEndpoint());
            }
            return stack;
        } catch (RuntimeException | IOException e) {
            stack.close();
            throw e;
        }
    }

    /**
     * A topic is {@code name} ({@code partitions} partitions) or {@code name:N}, for a topic that needs its own count
     * (sweep.requested has one partition: its one owner is the replica that sweeps).
     */
    static void createTopics(KafkaBroker broker, List<String> topics, int partitions) {
        Map<Integer, List<String>> byCount = new TreeMap<>();
        for (String topic : topics) {
            int colon = topic.lastIndexOf(':');
            int count = colon < 0 ? partitions : Integer.parseInt(topic.substring(colon + 1));
            byCount.computeIfAbsent(count, k -> new ArrayList<>()).add(colon < 0 ? topic : topic.substring(0, colon));
        }
        byCount.forEach((count, names) -> broker.createTopics(names, count));
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

    /** What is running, closed in reverse order (by the shutdown hook in the launcher). */
    public static final class Running implements AutoCloseable {
        private volatile KafkaBroker broker;
        private volatile MotoServer moto;
        private volatile MotoWithGuest guest;
        private volatile SlowCloudProxy publishProxy;

        public String kafkaBootstrap() {
            return broker.bootstrapServers();
        }

        /** moto itself (what the build-worker uses). */
        public String awsEndpoint() {
            return moto.endpoint();
        }

        /** moto behind a proxy answering the publishing calls moto lacks (what the publish-worker uses). */
        public String publishEndpoint() {
            return publishProxy.endpoint();
        }

        /** Present when started with a guest scenario. */
        public Optional<MotoWithGuest> guest() {
            return Optional.ofNullable(guest);
        }

        @Override
        public void close() {
            try {
                if (guest != null) {
                    guest.close();
                }
            } catch (IOException e) {
                System.err.println("stand-in guest did not stop cleanly: " + e.getMessage());
            } finally {
                try {
                    if (publishProxy != null) {
                        publishProxy.close();
                    }
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
}
