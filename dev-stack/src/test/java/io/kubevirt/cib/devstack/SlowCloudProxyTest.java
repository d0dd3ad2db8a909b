package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SlowCloudProxyTest {

    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=[^/]+/([^/]+)/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+),"
                    + " Signature=([0-9a-f]+)");

    private static MotoServer moto;
    private static SlowCloudProxy motoProxy;
    private static HttpServer fake;
    private static SlowCloudProxy fakeProxy;
    private static volatile Recorded last;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Recorded(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {
    }

    @BeforeAll
    static void start() throws IOException {
        moto = MotoServer.start();
        motoProxy = SlowCloudProxy.start(moto.endpoint());
        fake = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 10);
        fake.createContext("/", SlowCloudProxyTest::fakeUpstream);
        fake.start();
        fakeProxy = SlowCloudProxy.start("http://127.0.0.1:" + fake.getAddress().getPort());
    }

    @AfterAll
    static void stop() {
        fakeProxy.close();
        fake.stop(0);
        motoProxy.close();
        moto.close();
    }

    @AfterEach
    void noDelays() {
        motoProxy.clearDelays();
        fakeProxy.clearDelays();
        motoProxy.clearThrottling();
        fakeProxy.clearThrottling();
        motoProxy.clearFailures();
    }

    @Test
    void forwardsRequestAndResponseUnchanged() throws Exception {
        byte[] body = "{\"a\":1,\"b\":[\"é\"]}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                        URI.create(fakeProxy.endpoint() + "/echo/a%2Fb/c?x=1&y=%20z&x=2"))
                .method("PUT", HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json")
                .header("X-Custom", "one")
                .header("X-Custom", "two")
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Upstream")).contains("fake");
        assertThat(r.headers().allValues("X-Multi")).containsExactly("1", "2");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("created");

        Recorded got = last;
        assertThat(got.method()).isEqualTo("PUT");
        assertThat(got.rawPath()).isEqualTo("/echo/a%2Fb/c");
        assertThat(got.rawQuery()).isEqualTo("x=1&y=%20z&x=2");
        assertThat(got.body()).isEqualTo(body);
        assertThat(got.headers().get("X-custom")).containsExactly("one", "two");
        assertThat(got.headers().get("Content-type")).containsExactly("application/json");
        // The Host the client used (the proxy's), not the upstream's: a SigV4 signature covers it.
        assertThat(got.headers().get("Host")).containsExactly("127.0.0.1:" + fakeProxy.port());
        assertThat(got.headers().get("Content-length")).containsExactly(String.valueOf(body.length));
    }

    @Test
    void errorStatusAndBodyPassThrough() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/missing"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("<Error><Code>NotFound</Code></Error>");
        assertThat(last.method()).isEqualTo("GET");
    }

    @Test
    void chunkedBothWaysAndGzipUntouched() throws Exception {
        byte[] big = "chunk-me ".repeat(5000).getBytes(StandardCharsets.UTF_8);
        // ofInputStream has no known length: java.net.http sends it chunked.
        HttpResponse<byte[]> up = http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/echo"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(up.statusCode()).isEqualTo(201);
        assertThat(last.body()).isEqualTo(big);

        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint()
                + "/chunked")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body()).isEqualTo("part1-part2-part3");

        HttpResponse<byte[]> gz = http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/gzip"))
                .header("Accept-Encoding", "gzip").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(gz.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(gz.body()).isEqualTo(gzip("compressed payload"));
        assertThat(last.headers().get("Accept-encoding")).containsExactly("gzip");
    }

    @Test
    void sigV4SignatureStillVerifiesUpstream() throws Exception {
        String form = "Action=DescribeImages&Version=2016-11-15&ImageId.1=" + MotoServer.BASE_AMI_ID;
        byte[] body = form.getBytes(StandardCharsets.UTF_8);
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        Map<String, String> signed = new LinkedHashMap<>();
        signed.put("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        signed.put("host", "127.0.0.1:" + fakeProxy.port()); // what the client connects to
        signed.put("x-amz-date", date);
        String sig = SigV4.signature("POST", "/verify", "", signed, body, date, "eu-west-1", "ec2");

        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/verify"))
                .header("Content-Type", signed.get("content-type"))
                .header("X-Amz-Date", date)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/" + date.substring(0, 8)
                        + "/eu-west-1/ec2/aws4_request, SignedHeaders=" + SigV4.signedHeaderList(signed)
                        + ", Signature=" + sig)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.body()).isEqualTo("signature ok");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void motoThroughTheProxyAnswersLikeMoto() throws Exception {
        String direct = ec2(moto.endpoint(), "eu-west-1", "DescribeImages", Map.of("ImageId.1",
                MotoServer.BASE_AMI_ID)).body();
        HttpResponse<String> proxied = ec2(motoProxy.endpoint(), "eu-west-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID));
        assertThat(proxied.statusCode()).isEqualTo(200);
        assertThat(proxied.body()).contains(MotoServer.BASE_AMI_ID);
        assertThat(withoutRequestId(proxied.body())).isEqualTo(withoutRequestId(direct));
    }

    private static String withoutRequestId(String xml) {
        return xml.replaceAll("<requestId>[^<]*</requestId>", "");
    }

    @Test
    void delaysOnlyTheConfiguredAction() throws Exception {
        String run = ec2(motoProxy.endpoint(), "us-east-1", "RunInstances", Map.of(
                "ImageId", MotoServer.BASE_AMI_ID, "MinCount", "1", "MaxCount", "1")).body();
        Matcher m = Pattern.compile("<instanceId>(i-[0-9a-f]+)</instanceId>").matcher(run);
        assertThat(m.find()).as(run).isTrue();
        Duration delay = Duration.ofMillis(1500);
        motoProxy.delay("CreateImage", delay);
        long before = motoProxy.requests("CreateImage");

        long t0 = System.nanoTime();
        CompletableFuture<Long> createDone = CompletableFuture.supplyAsync(() -> {
            HttpResponse<String> r = ec2(motoProxy.endpoint(), "us-east-1", "CreateImage", Map.of(
                    "InstanceId", m.group(1), "Name", "delayed-" + System.nanoTime()));
            assertThat(r.body()).contains("<imageId>ami-");
            return System.nanoTime();
        });
        // Wait until the proxy holds the CreateImage call, then send an undelayed one.
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (motoProxy.requests("CreateImage") == before && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        HttpResponse<String> describe = ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID));
        long describeDone = System.nanoTime();
        long created = createDone.get(60, TimeUnit.SECONDS);

        assertThat(describe.statusCode()).isEqualTo(200);
        assertThat(describeDone).as("DescribeImages overtakes the held CreateImage").isLessThan(created);
        assertThat(Duration.ofNanos(created - t0)).isGreaterThanOrEqualTo(delay);
        assertThat(motoProxy.requests("CreateImage")).isEqualTo(before + 1);
    }

    @Test
    void clearDelaysLetsRequestsThroughAgain() throws Exception {
        fakeProxy.delay("Slow", Duration.ofMinutes(5));
        fakeProxy.clearDelays();
        CompletableFuture<HttpResponse<String>> r = http.sendAsync(HttpRequest.newBuilder(
                        URI.create(fakeProxy.endpoint() + "/echo?Action=Slow")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        // Generous bound: only proves the 5-minute delay is gone.
        assertThat(r.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        assertThat(fakeProxy.requests("Slow")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void delaysFailsAndCountsPerSignedRegion() throws Exception {
        motoProxy.delay("DescribeRegions", "eu-west-1", Duration.ofMillis(1500));
        motoProxy.fail("DescribeImages", "ap-south-1", 403, "UnauthorizedOperation", "denied by policy");
        long euBefore = motoProxy.requests("DescribeRegions", "eu-west-1");
        long usBefore = motoProxy.requests("DescribeRegions", "us-east-1");

        CompletableFuture<Long> held = CompletableFuture.supplyAsync(() -> {
            assertThat(ec2(motoProxy.endpoint(), "eu-west-1", "DescribeRegions", Map.of()).statusCode())
                    .isEqualTo(200);
            return System.nanoTime();
        });
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (motoProxy.inFlight("DescribeRegions") == 0 && System.nanoTime() < waitUntil) {
            Thread.sleep(10);
        }
        assertThat(motoProxy.inFlight("DescribeRegions")).as("eu-west-1's call is held").isEqualTo(1);
        // Another region's call of the same action is not held, and overtakes it.
        assertThat(ec2(motoProxy.endpoint(), "us-east-1", "DescribeRegions", Map.of()).statusCode()).isEqualTo(200);
        long otherDone = System.nanoTime();
        assertThat(otherDone).isLessThan(held.get(30, TimeUnit.SECONDS));
        assertThat(motoProxy.inFlight("DescribeRegions")).isZero();
        assertThat(motoProxy.requests("DescribeRegions", "eu-west-1")).isEqualTo(euBefore + 1);
        assertThat(motoProxy.requests("DescribeRegions", "us-east-1")).isEqualTo(usBefore + 1);

        HttpResponse<String> failed = ec2(motoProxy.endpoint(), "ap-south-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID));
        assertThat(failed.statusCode()).isEqualTo(403);
        assertThat(failed.body()).contains("<Code>UnauthorizedOperation</Code>", "denied by policy");
        assertThat(ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID)).body()).contains(MotoServer.BASE_AMI_ID);
        motoProxy.clearFailures();
        assertThat(ec2(motoProxy.endpoint(), "ap-south-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID)).statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> motoProxy.fail("X", "us-east-1", 200, "Ok", "no"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void actionFoundInQueryAndTargetHeaderToo() throws Exception {
        long q = fakeProxy.requests("GetThing");
        long t = fakeProxy.requests("PutThing");
        http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/echo?Version=1&Action=GetThing"))
                .GET().build(), HttpResponse.BodyHandlers.discarding());
        http.send(HttpRequest.newBuilder(URI.create(fakeProxy.endpoint() + "/echo"))
                .header("X-Amz-Target", "Service_20200101.PutThing")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(fakeProxy.requests("GetThing")).isEqualTo(q + 1);
        assertThat(fakeProxy.requests("PutThing")).isEqualTo(t + 1);
    }

    @Test
    void throttlesTheChosenShareWithEc2sThrottlingErrorAndCountsIt() throws Exception {
        fakeProxy.throttle("Ping", 0.3, 7);
        long before = fakeProxy.throttled();
        int throttled = 0;
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = get(fakeProxy.endpoint() + "/echo?Action=Ping");
            if (r.statusCode() == 503) {
                throttled++;
                assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                        .startsWith("text/xml"));
                assertThat(r.body()).containsPattern("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                        + "<Message>Request limit exceeded.</Message></Error></Errors>"
                        + "<RequestID>[0-9a-f-]{36}</RequestID></Response>");
            } else {
                assertThat(r.statusCode()).isEqualTo(201);
            }
        }
        // 30% of 100 is 30; the seeded sequence lands near it (and always on the same number).
        assertThat(throttled).isBetween(20, 40);
        assertThat(fakeProxy.throttled("Ping")).isEqualTo(throttled);
        assertThat(fakeProxy.throttled() - before).isEqualTo(throttled);

        long pong = fakeProxy.requests("Pong");
        for (int i = 0; i < 10; i++) {
            assertThat(get(fakeProxy.endpoint() + "/echo?Action=Pong").statusCode()).isEqualTo(201);
        }
        assertThat(fakeProxy.requests("Pong")).isEqualTo(pong + 10);
        assertThat(fakeProxy.throttled("Pong")).isZero();
    }

    @Test
    void theSameSeedThrottlesTheSameRequests() throws Exception {
        fakeProxy.throttle("Seeded", 0.3, 42);
        List<Integer> first = statuses("Seeded", 20);
        fakeProxy.throttle("Seeded", 0.3, 42);
        List<Integer> second = statuses("Seeded", 20);
        assertThat(second).isEqualTo(first).contains(503, 201);
    }

    @Test
    void allActionsAgainstMotoAndAnActionRuleOverridesIt() throws Exception {
        motoProxy.throttle(SlowCloudProxy.ALL_ACTIONS, 1.0, 1).throttle("DescribeRegions", 0.0, 1);

        HttpResponse<String> images = ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID));
        assertThat(images.statusCode()).isEqualTo(503);
        assertThat(images.body()).contains("<Code>RequestLimitExceeded</Code>");
        assertThat(ec2(motoProxy.endpoint(), "us-east-1", "DescribeRegions", Map.of()).statusCode())
                .isEqualTo(200);

        motoProxy.clearThrottling();
        assertThat(ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID)).statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> motoProxy.throttle("X", 1.5, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSparedRequestIsNeverThrottled() throws Exception {
        motoProxy.throttle("DescribeImages", 1.0, 1).spare("DescribeImages", "Filter.1.Name", "name");

        HttpResponse<String> byName = ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("Filter.1.Name", "name", "Filter.1.Value.1", MotoServer.BASE_AMI_NAME));
        assertThat(byName.statusCode()).as(byName.body()).isEqualTo(200);
        assertThat(byName.body()).contains(MotoServer.BASE_AMI_ID);
        assertThat(ec2(motoProxy.endpoint(), "us-east-1", "DescribeImages",
                Map.of("ImageId.1", MotoServer.BASE_AMI_ID)).statusCode()).isEqualTo(503);
    }

    private List<Integer> statuses(String action, int n) throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            statuses.add(get(fakeProxy.endpoint() + "/echo?Action=" + action).statusCode());
        }
        return statuses;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> ec2(String endpoint, String region, String action, Map<String, String> params) {
        StringBuilder form = new StringBuilder("Action=" + action + "&Version=2016-11-15");
        params.forEach((k, v) -> form.append('&').append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        try {
            return http.send(HttpRequest.newBuilder(URI.create(endpoint + "/"))
                    .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                    .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261124/" + region
                            + "/ec2/aws4_request, SignedHeaders=host, Signature=0")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void fakeUpstream(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            last = new Recorded(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                    ex.getRequestURI().getRawQuery(), Map.copyOf(ex.getRequestHeaders()), body);
            String path = ex.getRequestURI().getRawPath();
            if (path.startsWith("/echo")) {
                ex.getResponseHeaders().add("X-Upstream", "fake");
                ex.getResponseHeaders().add("X-Multi", "1");
                ex.getResponseHeaders().add("X-Multi", "2");
                reply(ex, 201, "created".getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/chunked")) {
                ex.sendResponseHeaders(200, 0); // 0 = chunked
                try (OutputStream os = ex.getResponseBody()) {
                    for (String part : List.of("part1-", "part2-", "part3")) {
                        os.write(part.getBytes(StandardCharsets.UTF_8));
                        os.flush();
                    }
                }
            } else if (path.equals("/gzip")) {
                ex.getResponseHeaders().add("Content-Encoding", "gzip");
                reply(ex, 200, gzip("compressed payload"));
            } else if (path.equals("/verify")) {
                reply(ex, 200, verify(ex, body).getBytes(StandardCharsets.UTF_8));
            } else {
                reply(ex, 404, "<Error><Code>NotFound</Code></Error>".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** Recomputes the signature from what arrived, as AWS would. */
    private static String verify(HttpExchange ex, byte[] body) {
        Matcher m = AUTH.matcher(ex.getRequestHeaders().getFirst("Authorization"));
        if (!m.matches()) {
            return "bad authorization header";
        }
        Map<String, String> received = new LinkedHashMap<>();
        for (String name : m.group(4).split(";")) {
            received.put(name, String.join(",", ex.getRequestHeaders().get(name)));
        }
        String expected = SigV4.signature(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                ex.getRequestURI().getRawQuery(), received, body, ex.getRequestHeaders().getFirst("X-Amz-Date"),
                m.group(2), m.group(3));
        return expected.equals(m.group(5)) ? "signature ok" : "signature mismatch, upstream saw " + received;
    }

    private static void reply(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    private static byte[] gzip(String s) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(buf)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return buf.toByteArray();
    }
}
