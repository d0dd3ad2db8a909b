package io.kubevirt.cib.build.bench;

import io.kubevirt.cib.devstack.WorkerProcess;
import io.kubevirt.cib.common.messaging.EventStreamClient;
import io.kubevirt.cib.devstack.KafkaBroker;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
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
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Prints the build-worker's figures; asserts nothing about speed (that is for people reading the numbers).
 * Run: {@code ./mvnw -pl build-worker -am verify -Pbenchmark -DskipTests -Dskip.surefire=true} (see README).
 *
 * <ul>
 * <li>start time: process launch to /q/health/ready answering UP, and Quarkus' own "started in";</li>
 * <li>hand-off latency: record timestamp to handler entry ({@code cib.event.handoff}, p50/p99) while build.requested
 * arrives at 100 events/s, on the local broker. The requests name a cloud the worker has no adapter for, so each
 * one is handled completely (validated, decided, build.failed published, acked) without running Packer;</li>
 * <li>RSS of the worker process after the load.</li>
 * </ul>
 */
class BuildWorkerBenchmark {

    private static final int RATE_PER_SECOND = 100;
    private static final int SECONDS = 20;

    @Test
    void printFigures() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(0);
                EventStreamClient stream = new EventStreamClient(broker.bootstrapServers())) {
            broker.createTopics(List.of("build.requested", "build.failed", "image.built", "build.requested.dlq"), 3);
            int port = freePort();
            Path log = Files.createDirectories(Path.of("target/bench")).resolve("worker.log");
            Map<String, String> props = new LinkedHashMap<>();
            props.put("kafka.bootstrap.servers", broker.bootstrapServers());
            props.put("quarkus.http.port", Integer.toString(port));
            props.put("quarkus.http.host", "127.0.0.1");
            props.put("cib.build.packer.template-dir", Path.of("../packer").toAbsolutePath().normalize().toString());
            props.put("cib.build.packer.work-dir", Path.of("target/bench/packer").toAbsolutePath().toString());
            props.put("quarkus.log.category.\"io.kubevirt\".level", "WARN");

            long launched = System.nanoTime();
            try (WorkerProcess worker = WorkerProcess.start(props, Map.of(), log)) {
                awaitReady(port);
                double startSeconds = (System.nanoTime() - launched) / 1e9;
                String quarkusStarted = match(worker.output(), "started in ([0-9.]+)s");

                // Warm-up, then the measured run; the timer is cumulative so the warm-up is excluded by a reset.
                send(stream, RATE_PER_SECOND, 2);
                awaitFailures(stream, 2 * RATE_PER_SECOND);
                String before = metrics(port);
                send(stream, RATE_PER_SECOND, SECONDS);
                awaitFailures(stream, (2 + SECONDS) * RATE_PER_SECOND);
                String after = metrics(port);

                long rssKb = rssKb(worker.pid());
                System.out.println();
                System.out.println("=== build-worker benchmark (" + RATE_PER_SECOND + " events/s for " + SECONDS + " s) ===");
                System.out.printf("start to ready (process launch -> /q/health/ready UP): %.2f s%n", startSeconds);
                System.out.println("quarkus 'started in': " + quarkusStarted + " s");
                Map<Double, Double> window = bucketDelta(before, after);
                System.out.printf("hand-off p50 (measured window, from histogram buckets): <= %.1f ms%n",
                        percentile(window, 0.5) * 1000);
                System.out.printf("hand-off p99 (measured window, from histogram buckets): <= %.1f ms%n",
                        percentile(window, 0.99) * 1000);
                System.out.println("hand-off p50/p99 as the worker reports them (2-minute window incl. warm-up): "
                        + quantile(after, "0.5") + " / " + quantile(after, "0.99") + " ms");
                System.out.println("hand-off count: " + count(before) + " -> " + count(after));
                System.out.printf("RSS after load: %.1f MB%n", rssKb / 1024.0);
                System.out.println("targets: start <= 3 s, RSS <= 250 MB, p50 <= 10 ms, p99 <= 50 ms");
            }
        }
    }

    private static void send(EventStreamClient stream, int rate, int seconds) throws InterruptedException {
        long intervalNanos = 1_000_000_000L / rate;
        long next = System.nanoTime();
        for (int i = 0; i < rate * seconds; i++) {
            String buildId = "bench-" + UUID.randomUUID().toString().substring(0, 8);
            stream.send(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.GCP, "v1.8.2", null, null,
                    null, null, "benchmark", null, null));
            next += intervalNanos;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
        }
    }

    private static void awaitFailures(EventStreamClient stream, int count) {
        stream.awaitRecords("build.failed", r -> r.key().startsWith("bench-"), count, Duration.ofSeconds(120));
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

    private static String quantile(String metrics, String q) {
        String seconds = match(metrics,
                "cib_event_handoff_seconds\\{[^}]*quantile=\"" + Pattern.quote(q) + "\"[^}]*topic=\"build.requested\"[^}]*\\} ([0-9.eE+-]+)");
        if (seconds.equals("?")) {
            seconds = match(metrics, "cib_event_handoff_seconds\\{[^}]*topic=\"build.requested\"[^}]*quantile=\""
                    + Pattern.quote(q) + "\"[^}]*\\} ([0-9.eE+-]+)");
        }
        return seconds.equals("?") ? seconds : String.format("%.2f", Double.parseDouble(seconds) * 1000);
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
