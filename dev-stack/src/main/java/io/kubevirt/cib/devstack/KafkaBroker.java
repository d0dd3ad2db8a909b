package io.kubevirt.cib.devstack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;

/**
 * A real Apache Kafka broker (KRaft, combined broker+controller, one node) running inside this JVM,
 * listening on 127.0.0.1 only, with a throw-away log directory.
 */
public final class KafkaBroker implements AutoCloseable {

    /** Set to "false" to let a fatal broker fault halt the JVM (the standalone launcher does). */
    public static final String EXIT_GUARD_PROPERTY = "cib.devstack.kafka.exit-guard";

    private static final String HOST = "127.0.0.1";
    private static final int BIND_ATTEMPTS = 3;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    /** Strong references: JUL forgets the level of a logger that was garbage collected. */
    private static final List<Logger> QUIET_LOGGERS = new ArrayList<>();

    private static KafkaBroker shared;

    private KafkaRaftServer server;
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final Admin admin;
    private final Duration startupTime;
    private volatile boolean closed;

    private KafkaBroker(KafkaRaftServer server, Path dir, int port, int controllerPort, Admin admin,
            Duration startupTime) {
        this.server = server;
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.admin = admin;
        this.startupTime = startupTime;
    }

    /**
     * Formats a fresh log directory, starts the broker and returns once an Admin client sees the node.
     *
     * @param port client port on 127.0.0.1, 0 for a free one
     */
    public static KafkaBroker start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (port != 0) {
            requireFree(port, "Kafka");
        }
        ExternalVersions.requireKafkaBrokerMatchesClients();
        StaleResources.reap(StaleResources.KAFKA_PREFIX);
        quietLogging();
        guardJvmExit();
        long t0 = System.nanoTime();
        // Broker threads inherit the context class loader of the thread that starts them. Under @QuarkusTest
        // that would be a Quarkus class loader closed at the next app restart, and log4j/ServiceLoader lookups
        // would mix two copies of the same classes: pin it to the loader that holds the broker's classes.
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(KafkaBroker.class.getClassLoader());
        try {
            RuntimeException last = null;
            for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
                int brokerPort = port == 0 ? freePort(-1) : port;
                int ctlPort = freePort(brokerPort);
                try {
                    return startOnce(brokerPort, ctlPort, t0);
                } catch (RuntimeException e) {
                    // Free ports are picked then released: another process may grab one before Kafka binds it.
                    if (!isBindFailure(e)) {
                        throw e;
                    }
                    last = e;
                }
            }
            throw last;
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /**
     * One broker per JVM (per class loader that loads this class), started on first use, closed by a
     * shutdown hook. Used by {@code KafkaBrokerTestResource} so every test class reuses it.
     */
    public static synchronized KafkaBroker shared() {
        if (shared == null || shared.closed) {
            KafkaBroker b = start(0);
            Runtime.getRuntime().addShutdownHook(new Thread(b::close, "dev-stack-kafka-shutdown"));
            shared = b;
        }
        return shared;
    }

    /** "127.0.0.1:PORT" */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    /** Wall time from {@link #start(int)} until a client could reach the broker. */
    public Duration startupTime() {
        return startupTime;
    }

    /**
     * Creates the topics that do not exist yet (replication factor 1) and waits until every partition has a
     * leader. Existing topics are left as they are, whatever their partition count.
     */
    public void createTopics(Collection<String> names, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions " + partitions);
        }
        Set<String> wanted = new LinkedHashSet<>(names);
        if (wanted.isEmpty()) {
            return;
        }
        List<NewTopic> topics = wanted.stream()
                .map(n -> new NewTopic(n, Optional.of(partitions), Optional.of((short) 1)))
                .toList();
        admin.createTopics(topics).values().forEach((name, future) -> {
            try {
                future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Cannot create topic " + name, e.getCause());
                }
            } catch (InterruptedException | TimeoutException e) {
                throw interrupted("creating topic " + name, e);
            }
        });
        awaitLeaders(wanted);
    }

    /** Stops the broker but keeps its data and ports, as an outage would; {@link #resumeServing} ends it. */
    public synchronized void stopServing() {
        if (server != null) {
            stop(server);
            server = null;
        }
    }

    /** Starts the broker again on the same ports and data after {@link #stopServing}. */
    public synchronized void resumeServing() {
        if (server != null || closed) {
            return;
        }
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(KafkaBroker.class.getClassLoader());
        try {
            KafkaRaftServer restarted = new KafkaRaftServer(
                    KafkaConfig.fromProps(config(dir.resolve("data"), port, controllerPort), false), Time.SYSTEM);
            restarted.startup();
            server = restarted;
            awaitNode(admin);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /** Stops the broker and deletes its log directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            admin.close(Duration.ofSeconds(5));
        } finally {
            try {
                if (server != null) {
                    stop(server);
                }
            } finally {
                deleteRecursively(dir);
            }
        }
    }

    private static KafkaBroker startOnce(int port, int controllerPort, long t0) {
        Path dir;
        try {
            dir = Files.createTempDirectory(StaleResources.KAFKA_PREFIX);
            StaleResources.markOwned(dir, -1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaRaftServer server = null;
        Admin admin = null;
        try {
            Properties props = config(dir.resolve("data"), port, controllerPort);
            format(dir, props);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + port,
                    AdminClientConfig.CLIENT_ID_CONFIG, "dev-stack-admin",
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000"));
            awaitNode(admin);
            return new KafkaBroker(server, dir, port, controllerPort, admin,
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (RuntimeException | Error e) {
            if (admin != null) {
                admin.close(Duration.ZERO);
            }
            if (server != null) {
                try {
                    stop(server);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            deleteRecursively(dir);
            throw e;
        }
    }

    private static Properties config(Path logDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        // Loopback only: a test broker must never be reachable from the network.
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "3");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("auto.create.topics.enable", "true");
        p.put("delete.topic.enable", "true");
        // A single node: every internal topic must get by with one replica, or it is never created.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "5");
        // Tests want the first rebalance now and may use short sessions to see a killed consumer go.
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.min.session.timeout.ms", "1000");
        p.put("group.consumer.min.session.timeout.ms", "1000");
        p.put("group.consumer.min.heartbeat.interval.ms", "500");
        // Faster unfencing at startup (default 2 s between heartbeats).
        p.put("broker.heartbeat.interval.ms", "500");
        // The log cleaner allocates this on the heap up front: 128 MB by default is too much in a test JVM.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        return p;
    }

    private static void format(Path dir, Properties props) {
        Path file = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "dev-stack KafkaBroker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(),
                "-c", file.toString()}, ps);
        }
        if (rc != 0) {
            throw new IllegalStateException("kafka-storage format failed (" + rc + "): "
                    + buf.toString(StandardCharsets.UTF_8));
        }
    }

    private static void awaitNode(Admin admin) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                throw interrupted("waiting for the broker", e);
            }
            sleep(100);
        }
        throw new IllegalStateException("Kafka broker not reachable after " + READY_TIMEOUT, last);
    }

    private void awaitLeaders(Set<String> topics) {
        long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                boolean ready = d.values().stream()
                        .flatMap(t -> t.partitions().stream())
                        .map(TopicPartitionInfo::leader)
                        .allMatch(l -> l != null && !l.isEmpty());
                if (ready && d.keySet().containsAll(topics)) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                throw interrupted("waiting for topic leaders", e);
            }
            sleep(50);
        }
        throw new IllegalStateException("Topics " + topics + " have no leader after " + CALL_TIMEOUT, last);
    }

    private static void stop(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    /** Kafka logs every request at INFO; keep only warnings unless the caller configured these loggers. */
    private static synchronized void quietLogging() {
        for (String name : List.of("kafka", "org.apache.kafka", "state.change.logger")) {
            // slf4j-simple reads these when a logger is created, i.e. later, when Kafka classes initialise.
            if (System.getProperty("org.slf4j.simpleLogger.log." + name) == null) {
                System.setProperty("org.slf4j.simpleLogger.log." + name, "warn");
            }
            // slf4j-jdk14 and the JBoss LogManager (Quarkus tests) are both driven through JUL levels.
            Logger logger = Logger.getLogger(name);
            if (logger.getLevel() == null) {
                logger.setLevel(Level.WARNING);
                QUIET_LOGGERS.add(logger);
            }
        }
    }

    /** A fatal broker fault calls Exit.halt: in a test JVM that must fail the test, not kill the fork. */
    private static void guardJvmExit() {
        if ("false".equals(System.getProperty(EXIT_GUARD_PROPERTY))) {
            return;
        }
        Exit.setExitProcedure((code, msg) -> {
            throw new IllegalStateException("Embedded Kafka tried to exit the JVM (" + code + "): " + msg);
        });
        Exit.setHaltProcedure((code, msg) -> {
            throw new IllegalStateException("Embedded Kafka tried to halt the JVM (" + code + "): " + msg);
        });
    }

    static int freePort(int avoid) {
        for (int i = 0; i < 10; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
                if (s.getLocalPort() != avoid) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("No free port on " + HOST);
    }

    /** A clear message up front beats Kafka's bind error deep in a startup stack trace. */
    static void requireFree(int port, String what) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(what + " port " + HOST + ":" + port + " is already in use", e);
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temp file must not fail a test
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // same
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw interrupted("sleeping", e);
        }
    }

    private static RuntimeException interrupted(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new IllegalStateException("Interrupted or timed out " + what, e);
    }
}
