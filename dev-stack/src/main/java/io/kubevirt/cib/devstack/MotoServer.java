package io.kubevirt.cib.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * moto_server ({@code python3 -m moto.server}) as a child process on 127.0.0.1, with a small AMI catalogue of
 * our own instead of moto's ~1200 built-in images (see {@link #BASE_AMI_ID}).
 */
public final class MotoServer implements AutoCloseable {

    /** Ubuntu 24.04 amd64 base image in every region of the catalogue (a valid 17-hex-digit AMI id). */
    public static final String BASE_AMI_ID = "ami-0c1e5b7f2a9d34e61";
    public static final String BASE_AMI_NAME = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101";
    /** Same release for arm64. */
    public static final String BASE_AMI_ID_ARM64 = "ami-0f3a9c61d5b7e2840";
    public static final String BASE_AMI_NAME_ARM64 =
            "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20261101";
    /** Canonical's AWS account: the owner Packer's source_ami_filter selects on. */
    public static final String CANONICAL_OWNER_ID = "099720109477";
    /** The account moto answers as (STS GetCallerIdentity, owner of everything we create). */
    public static final String ACCOUNT_ID = "123456789012";
    /** Any credentials work: moto does not check signatures. */
    public static final String ACCESS_KEY_ID = "testing";
    public static final String SECRET_ACCESS_KEY = "testing";
    /** Python interpreter with moto[server]; overridable by this system property or the CIB_PYTHON variable. */
    public static final String PYTHON_PROPERTY = "cib.devstack.python";

    private static final String HOST = "127.0.0.1";
    private static final String CATALOGUE = "moto-amis.json";
    private static final String EC2_API_VERSION = "2016-11-15";
    private static final int START_ATTEMPTS = 3;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final Process process;
    private final Path workDir;
    private final int port;
    private final HttpClient http;
    private final Thread shutdownHook;
    private volatile Duration startupTime = Duration.ZERO;
    private volatile boolean closed;

    private MotoServer(Process process, Path workDir, int port) {
        this.process = process;
        this.workDir = workDir;
        this.port = port;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        // A test JVM that forgets close() must not leave a python process behind.
        this.shutdownHook = new Thread(this::destroyProcessTree, "dev-stack-moto-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** moto on a free loopback port. */
    public static MotoServer start() {
        return start(0);
    }

    /**
     * Starts moto, waits until it answers and warms EC2 up (the first EC2 call costs seconds).
     *
     * @param port fixed port on 127.0.0.1, or 0 for a free one
     */
    public static MotoServer start(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (port != 0) {
            KafkaBroker.requireFree(port, "moto");
        }
        StaleResources.reap(StaleResources.MOTO_PREFIX);
        long t0 = System.nanoTime();
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            MotoServer moto = launch(port == 0 ? KafkaBroker.freePort(-1) : port);
            try {
                moto.awaitReady();
                moto.warmUp();
                moto.startupTime = Duration.ofNanos(System.nanoTime() - t0);
                return moto;
            } catch (RuntimeException e) {
                String log = moto.logTail();
                moto.close();
                last = new IllegalStateException(e.getMessage() + "\n--- moto log ---\n" + log, e);
                // A free port can be taken between picking and binding it; a fixed one cannot be retried.
                if (port != 0 || !log.contains("Address already in use")) {
                    throw last;
                }
            }
        }
        throw last;
    }

    /** "http://127.0.0.1:PORT", the endpoint override for every AWS client. */
    public String endpoint() {
        return "http://" + HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** PID of the moto process. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Wall time from {@link #start(int)} until moto answered an EC2 call. */
    public Duration startupTime() {
        return startupTime;
    }

    /** Wipes every resource in every region and account (the AMI catalogue comes back on the next call). */
    public void reset() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/reset"))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("moto reset answered " + r.statusCode() + ": " + r.body());
        }
    }

    /**
     * One EC2 Query API call without an AWS SDK, e.g. {@code ec2("eu-west-1", "DescribeImages",
     * Map.of("ImageId.1", BASE_AMI_ID))}. Returns the XML body; non-2xx answers throw with the body.
     */
    public String ec2(String region, String action, Map<String, String> params) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("Action", action);
        form.put("Version", EC2_API_VERSION);
        form.putAll(params);
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> body.append(body.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(endpoint() + "/"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("X-Amz-Date", date)
                // moto takes the region from the credential scope; the signature itself is not checked.
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY_ID + "/" + date.substring(0, 8)
                        + "/" + region + "/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("EC2 " + action + " in " + region + " answered " + r.statusCode()
                    + ": " + r.body());
        }
        return r.body();
    }

    /** Kills moto and any child processes, waits for them to exit and deletes the temp files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or will run: nothing to unregister
        }
        destroyProcessTree();
        KafkaBroker.deleteRecursively(workDir);
    }

    private static MotoServer launch(int port) {
        Path dir;
        try {
            dir = Files.createTempDirectory(StaleResources.MOTO_PREFIX);
            Path amis = dir.resolve("amis.json");
            try (InputStream in = MotoServer.class.getResourceAsStream(CATALOGUE)) {
                if (in == null) {
                    throw new IllegalStateException("Missing resource " + CATALOGUE);
                }
                Files.copy(in, amis);
            }
            ProcessBuilder pb = new ProcessBuilder(python(), "-m", "moto.server", "-H", HOST, "-p",
                    String.valueOf(port))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("moto.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> env = pb.environment();
            // Our catalogue replaces moto's: ~10x faster first call per region, and a base AMI we control.
            env.put("MOTO_AMIS_PATH", amis.toString());
            // RunInstances with an unknown AMI fails as on AWS instead of silently succeeding.
            env.put("MOTO_ENABLE_AMI_VALIDATION", "true");
            env.put("PYTHONUNBUFFERED", "1");
            Process p = pb.start();
            StaleResources.markOwned(dir, p.pid());
            p.getOutputStream().close();
            return new MotoServer(p, dir, port);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start moto_server with " + python(), e);
        }
    }

    static String python() {
        String p = System.getProperty(PYTHON_PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv("CIB_PYTHON");
        }
        return p == null || p.isBlank() ? "python3" : p;
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(endpoint() + "/moto-api/"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited with " + process.exitValue());
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // connection refused until Flask listens
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted waiting for moto", e);
            }
            pause(50);
        }
        throw new IllegalStateException("moto_server not ready after " + READY_TIMEOUT);
    }

    private void warmUp() {
        String xml = ec2("us-east-1", "DescribeImages", Map.of("ImageId.1", BASE_AMI_ID));
        if (!xml.contains(BASE_AMI_ID)) {
            throw new IllegalStateException("moto did not load the AMI catalogue (MOTO_AMIS_PATH): " + xml);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("moto at " + endpoint() + ": " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted calling moto", e);
        }
    }

    private void destroyProcessTree() {
        // Collected first: once the parent is gone its children are re-parented and no longer listed.
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                h.destroyForcibly();
                h.onExit().orTimeout(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(x -> h).join();
            } catch (InterruptedException e) {
                h.destroyForcibly();
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                h.destroyForcibly();
            }
        }
    }

    private String logTail() {
        try {
            String log = Files.readString(workDir.resolve("moto.log"), StandardCharsets.UTF_8);
            return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
