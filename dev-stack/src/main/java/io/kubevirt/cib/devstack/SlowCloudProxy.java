package io.kubevirt.cib.devstack;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * HTTP proxy in front of moto that forwards everything unchanged but can hold back requests for chosen API
 * actions ({@code Action=CreateImage} in a form body or the query, or the operation of an
 * {@code X-Amz-Target} header), e.g. to make a Packer build last long enough to kill the worker mid-build. It can
 * also answer a share of chosen actions with EC2's throttling error ({@link #throttle}), as AWS does when an account
 * exceeds its request rate, so clients can be tested against that weather. Delays, faults ({@link #fail}) and
 * counts can also be limited to one region: the region a request was signed for (its SigV4 credential scope), which
 * for EC2 is the region the client called, e.g. the destination region of a CopyImage.
 *
 * <p>The upstream leg is written by hand over a socket rather than with java.net.http, because java.net.http
 * refuses to send a caller-chosen {@code Host} header (unless a JVM-wide property is set before its first use):
 * the client signed SigV4 over the proxy's host:port, so the upstream must see exactly that Host.
 */
public final class SlowCloudProxy implements AutoCloseable {

    /** Matches every request that names an action in {@link #throttle}. */
    public static final String ALL_ACTIONS = "*";

    private static final String HOST = "127.0.0.1";
    /** RFC 9110 hop-by-hop headers, plus the framing headers we recompute after buffering the body. */
    private static final Set<String> HOP_BY_HOP = caseInsensitive("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect",
            "content-length");
    private static final int MAX_LINE = 64 * 1024;
    /** The region of a SigV4 credential scope: {@code Credential=KEY/yyyymmdd/REGION/service/aws4_request}. */
    private static final Pattern SCOPE_REGION = Pattern.compile("Credential=[^/,]+/[0-9]{8}/([^/,]+)/");

    private final String upstreamHost;
    private final int upstreamPort;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Duration> delays = new ConcurrentHashMap<>();
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> seen = new ConcurrentHashMap<>();
    private final Map<String, Throttle> throttles = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> throttled = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> spared = new ConcurrentHashMap<>();
    private final Map<String, Consumer<Map<String, String>>> observers = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> inFlight = new ConcurrentHashMap<>();

    private SlowCloudProxy(URI upstream, HttpServer server, ExecutorService executor) {
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort() == -1 ? 80 : upstream.getPort();
        this.server = server;
        this.executor = executor;
    }

    /** Listens on a free 127.0.0.1 port and forwards to {@code upstreamEndpoint} ("http://host:port"). */
    public static SlowCloudProxy start(String upstreamEndpoint) {
        URI upstream = URI.create(upstreamEndpoint);
        if (!"http".equals(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("Need a plain http://host:port upstream, got " + upstreamEndpoint);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "slow-cloud-proxy-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Unbounded pool: a delayed request must never hold up the others (e.g. Packer's polling).
        ExecutorService executor = Executors.newCachedThreadPool(threads);
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(HOST), 0), 100);
            SlowCloudProxy proxy = new SlowCloudProxy(upstream, server, executor);
            server.createContext("/", proxy::handle);
            server.setExecutor(executor);
            server.start();
            return proxy;
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException(e);
        }
    }

    /** Holds every later request for {@code action} back by {@code delay} before forwarding it. */
    public SlowCloudProxy delay(String action, Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay " + delay);
        }
        delays.put(action, delay);
        return this;
    }

    /**
     * Holds every later request for {@code action} signed for {@code region} back by {@code delay}; for that region
     * this replaces the action's own {@link #delay(String, Duration)}. E.g. a per-region CopyImage latency.
     */
    public SlowCloudProxy delay(String action, String region, Duration delay) {
        return delay(regional(action, region), delay);
    }

    /** Removes every delay, the per-region ones included. */
    public void clearDelays() {
        delays.clear();
    }

    /**
     * Answers every later request for {@code action} signed for {@code region} with an EC2 error document (HTTP
     * {@code status}, {@code code}, {@code message}) instead of forwarding it, after any delay: a fault in one region,
     * e.g. {@code 403 UnauthorizedOperation} where a service control policy denies the region.
     */
    public SlowCloudProxy fail(String action, String region, int status, String code, String message) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 4xx or 5xx, got " + status);
        }
        faults.put(regional(action, region), new Fault(status, code, message));
        return this;
    }

    /** Removes every {@link #fail} rule. */
    public void clearFailures() {
        faults.clear();
    }

    /**
     * Answers every later request for {@code action} with this XML body (HTTP 200) instead of forwarding it. For the
     * few things moto cannot emulate, such as a guest printing its SSH host keys to the serial console
     * (moto's GetConsoleOutput always returns one fixed sample).
     */
    public SlowCloudProxy answer(String action, String xmlBody) {
        answers.put(action, xmlBody);
        return this;
    }

    public void clearAnswers() {
        answers.clear();
    }

    /**
     * Hands the form parameters (query and body, decoded; the first of a repeated name) of every later request for
     * {@code action} to {@code observer} before the request goes on: what a stand-in needs to learn from a call, such
     * as the user data of a RunInstances. The observer runs on the request's thread and must not throw.
     */
    public SlowCloudProxy observe(String action, Consumer<Map<String, String>> observer) {
        observers.put(action, observer);
        return this;
    }

    /**
     * Answers about {@code share} (0..1) of the later requests for {@code action} ({@link #ALL_ACTIONS} for every
     * action without a rule of its own) with EC2's throttling error instead of forwarding them: HTTP 503, code
     * {@code RequestLimitExceeded}, as AWS EC2 answers when the account's request rate is exceeded. Which requests
     * are throttled follows a {@link Random} seeded with {@code seed}: the n-th request matching this rule gets the
     * n-th draw, so a sequential client sees the same pattern on every run. Replaces an earlier rule for the action.
     */
    public SlowCloudProxy throttle(String action, double share, long seed) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be within 0..1, got " + share);
        }
        throttles.put(action, new Throttle(share, new Random(seed)));
        return this;
    }

    /**
     * Never throttles a request for {@code action} that carries the form parameter {@code name=value}: for a call a
     * client is known not to retry, when a test is about everything else (a spared request still counts as one).
     */
    public SlowCloudProxy spare(String action, String name, String value) {
        spared.computeIfAbsent(action, k -> new ConcurrentHashMap<>()).put(name, value);
        return this;
    }

    /** Removes the throttling rules and the spared requests. */
    public void clearThrottling() {
        throttles.clear();
        spared.clear();
    }

    /** How many requests for {@code action} were answered with the throttling error so far. */
    public long throttled(String action) {
        AtomicLong c = throttled.get(action);
        return c == null ? 0 : c.get();
    }

    /** How many requests were answered with the throttling error so far, over all actions. */
    public long throttled() {
        return throttled.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** How many requests that named an action have arrived so far, over all actions. */
    public long requests() {
        return seen.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** "http://127.0.0.1:PORT": give this to the client instead of the upstream endpoint. */
    public String endpoint() {
        return "http://" + HOST + ":" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** How many requests for {@code action} have arrived so far (counted before any delay). */
    public long requests(String action) {
        AtomicLong c = seen.get(action);
        return c == null ? 0 : c.get();
    }

    /** How many requests for {@code action} signed for {@code region} have arrived so far. */
    public long requests(String action, String region) {
        return requests(regional(action, region));
    }

    /**
     * How many requests for {@code action} have arrived and not yet been answered: held back by a delay, or on their
     * way to and from the upstream. A held request keeps going after its client has gone, as one AWS already received
     * would.
     */
    public long inFlight(String action) {
        AtomicLong c = inFlight.get(action);
        return c == null ? 0 : c.get();
    }

    /** Stops listening; requests still being delayed are interrupted and answered with a 502. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        AtomicLong held = null;
        try (ex) {
            Response response;
            try {
                byte[] body = ex.getRequestBody().readAllBytes(); // the JDK server already removed chunking
                Optional<String> action = action(ex, body);
                Optional<String> region = region(ex);
                Fault fault = null;
                if (action.isPresent()) {
                    seen.computeIfAbsent(action.get(), k -> new AtomicLong()).incrementAndGet();
                    region.ifPresent(r -> seen.computeIfAbsent(regional(action.get(), r), k -> new AtomicLong())
                            .incrementAndGet());
                    held = inFlight.computeIfAbsent(action.get(), k -> new AtomicLong());
                    held.incrementAndGet();
                    Consumer<Map<String, String>> observer = observers.get(action.get());
                    if (observer != null) {
                        observer.accept(formParams(ex, body));
                    }
                    Duration d = region.map(r -> delays.get(regional(action.get(), r)))
                            .orElseGet(() -> delays.get(action.get()));
                    if (d != null && !d.isZero()) {
                        Thread.sleep(d.toMillis());
                    }
                    fault = region.map(r -> faults.get(regional(action.get(), r))).orElse(null);
                }
                String answer = action.map(answers::get).orElse(null);
                if (fault != null) {
                    response = Response.ec2Error(fault);
                } else if (action.isPresent() && !spared(ex, body, action.get()) && throttles(action.get())) {
                    throttled.computeIfAbsent(action.get(), k -> new AtomicLong()).incrementAndGet();
                    response = Response.throttled();
                } else {
                    response = answer != null ? new Response(200,
                            List.<String[]>of(new String[] {"Content-Type", "text/xml;charset=UTF-8"}),
                            answer.getBytes(StandardCharsets.UTF_8)) : forward(ex, body);
                }
            } catch (IOException e) {
                response = Response.error("SlowCloudProxy: upstream " + upstreamHost + ":" + upstreamPort
                        + " failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                response = Response.error("SlowCloudProxy: closed while delaying the request");
            }
            send(ex, response);
        } finally {
            if (held != null) {
                held.decrementAndGet();
            }
        }
    }

    private static String regional(String action, String region) {
        return action + "@" + region;
    }

    /** The region the request was signed for, if it carries a SigV4 Authorization header. */
    private static Optional<String> region(HttpExchange ex) {
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            return Optional.empty();
        }
        Matcher m = SCOPE_REGION.matcher(authorization);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private record Fault(int status, String code, String message) {
    }

    private boolean spared(HttpExchange ex, byte[] body, String action) {
        Map<String, String> params = spared.get(action);
        if (params == null) {
            return false;
        }
        String form = new String(decoded(ex, body), StandardCharsets.UTF_8);
        return params.entrySet().stream().anyMatch(p ->
                formValue(ex.getRequestURI().getRawQuery(), p.getKey()).or(() -> formValue(form, p.getKey()))
                        .filter(p.getValue()::equals).isPresent());
    }

    private boolean throttles(String action) {
        Throttle rule = throttles.get(action);
        if (rule == null) {
            rule = throttles.get(ALL_ACTIONS);
        }
        return rule != null && rule.next();
    }

    /** A share of requests and the seeded sequence that picks them; draws are serialized to keep the order. */
    private record Throttle(double share, Random random) {
        boolean next() {
            synchronized (random) {
                return random.nextDouble() < share;
            }
        }
    }

    private Response forward(HttpExchange ex, byte[] body) throws IOException {
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Set<String> dropped = dropped(ex.getRequestHeaders());
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        boolean hasHost = false;
        for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
            if (dropped.contains(h.getKey())) {
                continue;
            }
            hasHost |= "host".equalsIgnoreCase(h.getKey());
            for (String v : h.getValue()) {
                head.append(h.getKey()).append(": ").append(v).append("\r\n");
            }
        }
        if (!hasHost) {
            head.append("Host: ").append(upstreamHost).append(':').append(upstreamPort).append("\r\n");
        }
        if (body.length > 0 || !Set.of("GET", "HEAD", "DELETE", "OPTIONS", "TRACE").contains(method)) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        // One connection per request: no pooling, so no stale-connection edge cases towards moto.
        head.append("Connection: close\r\n\r\n");

        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5000);
            socket.setSoTimeout((int) Duration.ofMinutes(5).toMillis());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return readResponse(new BufferedInputStream(socket.getInputStream()), method);
        }
    }

    private static Response readResponse(InputStream in, String method) throws IOException {
        while (true) {
            String status = line(in);
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("bad status line from upstream: " + status);
            }
            int code = Integer.parseInt(parts[1]);
            List<String[]> headers = new ArrayList<>();
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.add(new String[] {l.substring(0, colon).trim(), l.substring(colon + 1).trim()});
                }
            }
            if (code >= 100 && code < 200) {
                continue; // interim (100 Continue): the final answer follows
            }
            byte[] body;
            Optional<String> length = header(headers, "content-length");
            if ("HEAD".equals(method) || code == 204 || code == 304) {
                body = new byte[0];
            } else if (header(headers, "transfer-encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))
                    .orElse(false)) {
                body = dechunk(in);
            } else if (length.isPresent()) {
                body = in.readNBytes(Integer.parseInt(length.get()));
            } else {
                body = in.readAllBytes(); // framed by connection close
            }
            return new Response(code, headers, body);
        }
    }

    private static void send(HttpExchange ex, Response r) throws IOException {
        Headers out = ex.getResponseHeaders();
        Set<String> dropped = caseInsensitive();
        dropped.addAll(HOP_BY_HOP);
        r.headers().stream().filter(h -> "connection".equalsIgnoreCase(h[0]))
                .forEach(h -> dropped.addAll(List.of(h[1].split("\\s*,\\s*"))));
        for (String[] h : r.headers()) {
            if (!dropped.contains(h[0])) {
                out.add(h[0], h[1]);
            }
        }
        boolean noBody = "HEAD".equals(ex.getRequestMethod()) || r.status() == 204 || r.status() == 304;
        if (noBody) {
            // The JDK server sends no Content-Length for these; keep the upstream's (HEAD on S3 objects needs it).
            header(r.headers(), "content-length").ifPresent(v -> out.set("Content-Length", v));
            ex.sendResponseHeaders(r.status(), -1);
            return;
        }
        // Content-Encoding (gzip) passes through untouched: the bytes are the upstream's bytes.
        ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        if (r.body().length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(r.body());
            }
        }
    }

    /** The API action of a request: form body or query {@code Action=}, else the X-Amz-Target operation. */
    private static Optional<String> action(HttpExchange ex, byte[] body) {
        Optional<String> fromQuery = formValue(ex.getRequestURI().getRawQuery(), "Action");
        if (fromQuery.isPresent()) {
            return fromQuery;
        }
        String type = Optional.ofNullable(ex.getRequestHeaders().getFirst("Content-Type")).orElse("");
        if (body.length > 0 && type.toLowerCase(Locale.ROOT).contains("application/x-www-form-urlencoded")) {
            Optional<String> fromBody = formValue(new String(decoded(ex, body), StandardCharsets.UTF_8), "Action");
            if (fromBody.isPresent()) {
                return fromBody;
            }
        }
        String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
        return target == null ? Optional.empty() : Optional.of(target.substring(target.lastIndexOf('.') + 1));
    }

    /** Only to read the action and parameters: the forwarded bytes stay compressed. */
    private static byte[] decoded(HttpExchange ex, byte[] body) {
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding == null || !encoding.toLowerCase(Locale.ROOT).contains("gzip")) {
            return body;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return in.readAllBytes();
        } catch (IOException e) {
            return body;
        }
    }

    private static Map<String, String> formParams(HttpExchange ex, byte[] body) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String form : List.of(Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse(""),
                new String(decoded(ex, body), StandardCharsets.UTF_8))) {
            for (String pair : form.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    private static Optional<String> formValue(String form, String name) {
        if (form == null || form.isEmpty()) {
            return Optional.empty();
        }
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name) && eq >= 0) {
                return Optional.of(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /** Hop-by-hop headers plus any the client listed in its own Connection header. */
    private static Set<String> dropped(Headers headers) {
        Set<String> dropped = caseInsensitive();
        dropped.addAll(HOP_BY_HOP);
        List<String> connection = headers.get("Connection");
        if (connection != null) {
            connection.forEach(v -> dropped.addAll(List.of(v.split("\\s*,\\s*"))));
        }
        return dropped;
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in);
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                for (String trailer = line(in); !trailer.isEmpty(); trailer = line(in)) {
                    // trailers are dropped, as hop-by-hop framing
                }
                return out.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) {
                throw new EOFException("truncated chunk");
            }
            out.write(chunk);
            line(in); // CRLF after the chunk
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                buf.write(c);
            }
            if (buf.size() > MAX_LINE) {
                throw new IOException("header line too long");
            }
        }
        if (c == -1 && buf.size() == 0) {
            throw new EOFException("upstream closed the connection");
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    private static Optional<String> header(List<String[]> headers, String name) {
        return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst();
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(List.of(names));
        return s;
    }

    private record Response(int status, List<String[]> headers, byte[] body) {
        /** EC2's answer to a throttled request: 503 with the query-API error document SDKs read the code from. */
        static Response throttled() {
            String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                    + "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>"
                    + "<RequestID>" + UUID.randomUUID() + "</RequestID></Response>";
            return new Response(503, List.<String[]>of(new String[] {"Content-Type", "text/xml;charset=UTF-8"}),
                    xml.getBytes(StandardCharsets.UTF_8));
        }

        /** EC2's query-API error document, which SDKs read the error code and message from. */
        static Response ec2Error(Fault fault) {
            String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                    + "<Code>" + fault.code() + "</Code><Message>" + fault.message() + "</Message></Error></Errors>"
                    + "<RequestID>" + UUID.randomUUID() + "</RequestID></Response>";
            return new Response(fault.status(), List.<String[]>of(new String[] {"Content-Type",
                    "text/xml;charset=UTF-8"}), xml.getBytes(StandardCharsets.UTF_8));
        }

        static Response error(String message) {
            return new Response(502, List.<String[]>of(new String[] {"Content-Type", "text/plain; charset=utf-8"}),
                    message.getBytes(StandardCharsets.UTF_8));
        }
    }
}
