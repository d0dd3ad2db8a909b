package io.kubevirt.cib.build.bench;

import io.kubevirt.cib.aws.Ec2Clients;
import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Prints the build-worker's figures; asserts nothing about speed (that is for people reading the numbers), only that
 * the work was real. Run: {@code ./mvnw -B -ntp -o -pl build-worker -am verify -Pbenchmark}.
 *
 * <ul>
 * <li>start time: process launch to /q/health/ready answering UP, and Quarkus' own "started in";</li>
 * <li>real AWS builds against moto: Packer 1.6.6 ({@code amazon-ebs.aws-emulated}) launches, stops, images and tags
 * for every request. {@code cib.bench.builds} requests (default 30) are offered at {@code cib.bench.rate} per second
 * (default 4, more than two builds at a time can take); the benchmark prints the build rate achieved, request to
 * image.built latency p50/p99, and hand-off latency (record timestamp to handler entry, {@code cib.event.handoff}).
 * Every image.built must name an AMI that exists in moto with the request's tags, so rejected or no-op requests
 * cannot pass as throughput;</li>
 * <li>RSS of the worker process after the load.</li>
 * </ul>
 */
class BuildWorkerBenchmark {

    private static final String REGION = "us-west-1";
    private static final int BUILDS = Integer.getInteger("cib.bench.builds", 30);
    private static final double RATE_PER_SECOND = Double.parseDouble(System.getProperty("cib.bench.rate", "4"));
    private static final int WARM_UP = 2;

    @Test
    void printFigures() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(0);
                MotoServer moto = MotoServer.start();
                Ec2Cloud ec2 = new Ec2Cloud(Ec2Clients.create(Optional.of(URI.create(moto.endpoint()))));
                EventStreamClient stream = new EventStreamClient(broker.bootstrapServers())) {
            broker.createTopics(List.of("build.requested", "build.failed", "image.built", "build.requested.dlq"), 3);
            int port = freePort();
            Path log = Files.createDirectories(Path.of("target/bench")).resolve("worker.log");
            Map<String, String> props = new LinkedHashMap<>();
            props.put("kafka.bootstrap.servers", broker.bootstrapServers());
            props.put("quarkus.http.port", Integer.toString(port));
            props.put("quarkus.http.host", "127.0.0.1");
            props.put("cib.aws.endpoint-override", moto.endpoint());
            props.put("cib.build.packer.template-dir", Path.of("../packer").toAbsolutePath().normalize().toString());
            props.put("cib.build.packer.aws-source", "amazon-ebs.aws-emulated");
            props.put("cib.build.packer.vars.aws_source_ami", MotoServer.BASE_AMI_ID);
            props.put("cib.build.packer.work-dir", Path.of("target/bench/packer").toAbsolutePath().toString());
            props.put("quarkus.log.category.\"io.kubevirt\".level", "WARN");
            Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", MotoServer.ACCESS_KEY_ID,
                    "AWS_SECRET_ACCESS_KEY", MotoServer.SECRET_ACCESS_KEY, "AWS_REGION", REGION);

            long launched = System.nanoTime();
            try (WorkerProcess worker = WorkerProcess.start(props, env, log)) {
                awaitReady(port);
                double startSeconds = (System.nanoTime() - launched) / 1e9;
                String quarkusStarted = match(worker.output(), "started in ([0-9.]+)s");

                // Warm-up (moto's first EC2 calls load its catalogue), then the measured run.
                awaitBuilt(stream, ec2, send(stream, "warm", WARM_UP, RATE_PER_SECOND));
                String before = metrics(port);
                long measuredFrom = System.currentTimeMillis();
                Map<String, Long> sent = send(stream, "bench", BUILDS, RATE_PER_SECOND);
                Map<String, Long> builtAt = awaitBuilt(stream, ec2, sent);
                String after = metrics(port);

                long lastBuilt = builtAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
                double seconds = (lastBuilt - measuredFrom) / 1000.0;
                List<Long> latencies = sent.keySet().stream().map(id -> builtAt.get(id) - sent.get(id)).sorted()
                        .toList();
                long rssKb = rssKb(worker.pid());
                System.out.println();
                System.out.printf("=== build-worker benchmark: %d AWS builds (Packer 1.6.6 against moto), offered at "
                        + "%.1f/s ===%n", BUILDS, RATE_PER_SECOND);
                System.out.printf("start to ready (process launch -> /q/health/ready UP): %.2f s%n", startSeconds);
                System.out.println("quarkus 'started in': " + quarkusStarted + " s");
                System.out.printf("builds completed: %d image.built, each an AMI in moto with the request's tags%n",
                        builtAt.size());
                System.out.printf("achieved rate: %.2f builds/s (%.1f builds/min) over %.1f s%n", BUILDS / seconds,
                        BUILDS * 60 / seconds, seconds);
                System.out.printf("request -> image.built: p50 %.2f s, p99 %.2f s, max %.2f s%n",
                        quantileOf(latencies, 0.5) / 1000.0, quantileOf(latencies, 0.99) / 1000.0,
                        latencies.get(latencies.size() - 1) / 1000.0);
                Map<Double, Double> window = bucketDelta(before, after);
                System.out.printf("hand-off p50 / p99 (record -> handler, measured window, histogram bounds): "
                        + "<= %.1f ms / <= %.1f ms%n", percentile(window, 0.5) * 1000, percentile(window, 0.99) * 1000);
                System.out.println("hand-off count: " + count(before) + " -> " + count(after));
                System.out.printf("RSS after load: %.1f MB%n", rssKb / 1024.0);
                System.out.println("(hand-off includes the wait for a free build slot: 2 builds per replica)");
            }
        }
    }

    /** Offers {@code count} AWS build requests at {@code rate}; returns build ID -> send time (epoch ms). */
    private static Map<String, Long> send(EventStreamClient stream, String prefix, int count, double rate)
            throws InterruptedException {
        Map<String, Long> sent = new LinkedHashMap<>();
        long intervalNanos = (long) (1_000_000_000L / rate);
        long next = System.nanoTime();
        for (int i = 0; i < count; i++) {
            String buildId = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
            sent.put(buildId, System.currentTimeMillis());
            stream.send(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null, null,
                    REGION, null, "benchmark", null, null));
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
        }
        return sent;
    }

    /**
     * Waits for an image.built of every build and checks each names a real, tagged AMI; returns build ID ->
     * image.built record time. A build.failed fails the benchmark: a failure is not throughput.
     */
    private static Map<String, Long> awaitBuilt(EventStreamClient stream, Ec2Cloud ec2, Map<String, Long> sent) {
        Duration timeout = Duration.ofSeconds(60 + 10L * sent.size());
        var built = stream.awaitRecords("image.built", r -> sent.containsKey(r.key()), sent.size(), timeout);
        var failed = stream.records("build.failed", r -> sent.containsKey(r.key()), Duration.ofMillis(200));
        if (!failed.isEmpty()) {
            throw new AssertionError(failed.size() + " builds failed, e.g. " + failed.get(0).value());
        }
        Map<String, Long> at = new LinkedHashMap<>();
        for (var record : built) {
            ImageBuilt event = stream.decode(ImageBuilt.class, record).data();
            var images = ec2.findImages(REGION, Map.of(ResourceTags.BUILD_ID, event.buildId()));
            if (images.stream().noneMatch(i -> i.id().equals(event.imageId()) && !Boolean.TRUE.equals(event.reused()))) {
                throw new AssertionError("image.built of " + event.buildId() + " names no fresh tagged AMI: "
                        + event.imageId());
            }
            at.put(record.key(), record.timestamp());
        }
        return at;
    }

    private static long quantileOf(List<Long> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static void awaitReady(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < giveUp) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new AssertionError("worker never became ready");
    }

    private static String metrics(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Cumulative count per bucket upper bound (seconds) of the measured run only: after minus before. */
    private static Map<Double, Double> bucketDelta(String before, String after) {
        Map<Double, Double> start = buckets(before);
        Map<Double, Double> delta = new java.util.TreeMap<>();
        buckets(after).forEach((le, n) -> delta.put(le, n - start.getOrDefault(le, 0.0)));
        return delta;
    }

    private static Map<Double, Double> buckets(String metrics) {
        Map<Double, Double> buckets = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("cib_event_handoff_seconds_bucket\\{([^}]*)\\} ([0-9.eE+-]+)").matcher(metrics);
        while (m.find()) {
            if (!m.group(1).contains("topic=\"build.requested\"")) {
                continue;
            }
            Matcher le = Pattern.compile("le=\"([^\"]+)\"").matcher(m.group(1));
            if (le.find()) {
                double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                buckets.put(bound, Double.parseDouble(m.group(2)));
            }
        }
        return buckets;
    }

    /** The smallest bucket bound that holds at least fraction q of the samples: an upper bound of the percentile. */
    private static double percentile(Map<Double, Double> cumulative, double q) {
        double total = cumulative.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= q * total) {
                return bucket.getKey();
            }
        }
        return Double.NaN;
    }

    private static String count(String metrics) {
        return match(metrics, "cib_event_handoff_seconds_count\\{[^}]*topic=\"build.requested\"[^}]*\\} ([0-9.eE+-]+)");
    }

    private static String match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? m.group(1) : "?";
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
