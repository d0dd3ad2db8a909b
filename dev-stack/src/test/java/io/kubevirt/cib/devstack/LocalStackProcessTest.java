package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher in a child JVM, as {@code java -jar dev-stack.jar} runs it (free ports instead of 9092/5000). */
class LocalStackProcessTest {

    private static final Pattern MOTO_PID = Pattern.compile("moto up in \\d+ ms \\(pid (\\d+)\\)");

    @TempDir
    Path tmp;

    record Child(Process process, List<String> stdout, Path stderr) {
        String value(String key) {
            return stdout.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                    .findFirst().orElseThrow();
        }

        long motoPid() throws IOException {
            Matcher m = MOTO_PID.matcher(Files.readString(stderr));
            assertThat(m.find()).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    @Test
    void printsEndpointsThenReadyAndCleansUpOnSigterm() throws Exception {
        Child child = launch("--kafka-port", "0", "--moto-port", "0", "--topics", "t1,t2");
        long motoPid = child.motoPid();
        assertThat(child.stdout()).hasSize(4);
        assertThat(child.stdout().get(0)).matches("KAFKA_BOOTSTRAP=127\\.0\\.0\\.1:\\d+");
        assertThat(child.stdout().get(1)).matches("AWS_ENDPOINT=http://127\\.0\\.0\\.1:\\d+");
        assertThat(child.stdout().get(2)).matches("PUBLISH_CLOUD_ENDPOINT=http://127\\.0\\.0\\.1:\\d+");
        assertThat(child.stdout().get(3)).isEqualTo("READY");
        // The publish endpoint answers what moto lacks and forwards the rest to moto.
        String publish = child.value("PUBLISH_CLOUD_ENDPOINT");
        assertThat(ec2(publish, "GetImageBlockPublicAccessState")).contains("unblocked");
        assertThat(ec2(publish, "DescribeRegions")).contains("<regionName>eu-west-1</regionName>");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                child.value("KAFKA_BOOTSTRAP")))) {
            assertThat(admin.describeTopics(List.of("t1", "t2")).allTopicNames().get().get("t1").partitions())
                    .hasSize(3);
        }
        List<Path> dirs = ownedDirs(child.process().pid());
        assertThat(dirs).hasSize(2);

        child.process().destroy(); // SIGTERM
        assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(alive(motoPid)).as("moto stopped by the shutdown hook").isFalse();
        assertThat(dirs).noneMatch(Files::exists);
    }

    @Test
    void aKilledJvmsMotoAndDirectoriesAreReapedByTheNextStart() throws Exception {
        Child child = launch("--kafka-port", "0", "--moto-port", "0");
        long motoPid = child.motoPid();
        List<Path> dirs = ownedDirs(child.process().pid());

        child.process().destroyForcibly(); // SIGKILL: no shutdown hooks
        child.process().waitFor(30, TimeUnit.SECONDS);
        assertThat(alive(motoPid)).as("moto orphaned by SIGKILL").isTrue();

        StaleResources.reap(StaleResources.MOTO_PREFIX);
        StaleResources.reap(StaleResources.KAFKA_PREFIX);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alive(motoPid) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(alive(motoPid)).isFalse();
        assertThat(dirs).noneMatch(Files::exists);
    }

    private Child launch(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalStack.class.getName()));
        cmd.addAll(List.of(args));
        Path stderr = tmp.resolve("stderr-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        List<String> lines = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
            try {
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                    lines.add(l);
                    if (l.equals("READY")) {
                        return;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            ready.get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError("no READY; stdout " + lines + "; stderr " + Files.readString(stderr), e);
        }
        return new Child(p, lines, stderr);
    }

    private static String ec2(String endpoint, String action) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261203/us-west-1/ec2/aws4_request,"
                        + " SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString("Action=" + action + "&Version=2016-11-15")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static List<Path> ownedDirs(long jvmPid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(d -> d.getFileName().toString().startsWith("cib-"))
                    .filter(d -> owner(d).filter(o -> o.startsWith(jvmPid + " ")).isPresent())
                    .toList();
        }
    }

    private static Optional<String> owner(Path dir) {
        try {
            return Optional.of(Files.readString(dir.resolve("owner.pid")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
