package io.kubevirt.cib.gcp.testing;

import com.google.cloud.compute.v1.AccessConfig;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Binding;
import com.google.cloud.compute.v1.DeprecationStatus;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.DiskList;
import com.google.cloud.compute.v1.GlobalSetPolicyRequest;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.GlobalSetLabelsRequest;
import com.google.cloud.compute.v1.GuestAttributes;
import com.google.cloud.compute.v1.GuestAttributesEntry;
import com.google.cloud.compute.v1.GuestAttributesValue;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.ImageList;
import com.google.cloud.compute.v1.Instance;
import com.google.cloud.compute.v1.InstanceList;
import com.google.cloud.compute.v1.Items;
import com.google.cloud.compute.v1.Metadata;
import com.google.cloud.compute.v1.NetworkInterface;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.Policy;
import com.google.cloud.compute.v1.SerialPortOutput;
import com.google.cloud.compute.v1.Zone;
import com.google.cloud.compute.v1.ZoneList;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory Compute Engine v1 REST API on 127.0.0.1 for tests: the part of it that {@code GceCloud} (and a test
 * worker) calls, with GCE's paths, JSON shapes, status codes and error bodies. Responses are the Compute model
 * classes printed with protobuf's JSON printer, i.e. exactly the field names the client library parses (which are the
 * API's: {@code labelFingerprint}, {@code queryValue.items[]}, {@code contents}, ...), and request bodies are parsed
 * strictly, so a field the API does not have is a 400 here as there.
 *
 * <p>Behaviour copied from GCE: images are global per project and instances zonal; {@code requestId} on insert makes a
 * repeat return the first operation; an existing name is 409 {@code alreadyExists}; labels are validated (keys and
 * values: lowercase letters, digits, {@code _}, {@code -}, at most 63) and {@code setLabels} replaces all labels and
 * needs the current {@code labelFingerprint} (412 {@code conditionNotMet} otherwise); list filters
 * ({@code (labels.k = "v") AND (status != "TERMINATED")}, {@code =}, {@code !=}, {@code eq}, {@code ne}, {@code :*})
 * and paging ({@code maxResults}/{@code pageToken}); guest attributes only exist on instances whose metadata has
 * {@code enable-guest-attributes=TRUE}, and reading an empty path is 404.
 *
 * <p>Also: zones.list ({@link #setZones}), zonal disks (list, get, delete; {@link #seedDisk}), images.insert from
 * another image with a family, images.getFromFamily (newest READY image of the family that is not deprecated),
 * images.deprecate (state ACTIVE or an empty body clears it), the image IAM policy (getIamPolicy, setIamPolicy with
 * etag check; {@code allUsers} refused as on GCE), and Cloud Build's paths ({@link LocalCloudBuild}).
 * {@link #imageCalls} records the image mutations in order.
 *
 * <p>Operations finish at once (DONE in the response) unless {@link #setOperationDelay} is set: then they are RUNNING
 * (the instance PROVISIONING/STOPPING) until the delay has passed, and clients poll
 * {@code GET .../operations/{name}} (or {@code POST .../wait}). Faults: {@link #failNextRequests} (HTTP errors such
 * as 429/503 with Google's error body), {@link #failNextOperation} (an operation that ends DONE with an
 * {@code error} block, with or without {@code httpErrorStatusCode}), {@link #setResponseDelay} (slow answers).
 */
public final class LocalComputeServer implements AutoCloseable {

    /** Where selfLinks point, as on GCE. */
    public static final String API = "https://www.googleapis.com/compute/v1/";
    /** Fingerprint GCE reports for a resource that never had labels. */
    public static final String EMPTY_FINGERPRINT = "42WmSpB8rSM=";

    private static final Pattern LABEL_KEY = Pattern.compile("\\p{Ll}[\\p{Ll}\\p{Nd}_-]{0,62}");
    private static final Pattern LABEL_VALUE = Pattern.compile("[\\p{Ll}\\p{Nd}_-]{0,63}");
    private static final Pattern NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern ZONE = Pattern.compile("[a-z]+-[a-z]+[0-9]+-[a-z]");
    /** Path of the OAuth2 token endpoint; use {@link #tokenUri()} as a service account key's {@code token_uri}. */
    public static final String TOKEN_PATH = "/token";
    /** The access token the token endpoint hands out. */
    public static final String ACCESS_TOKEN = "ya29.local-compute-test-token";

    private static final int MAX_LABELS = 64;
    private static final int MAX_PAGE = 500;
    private static final Duration WAIT_LIMIT = Duration.ofMinutes(2);
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private static final Pattern IMAGES = route("global/images");
    private static final Pattern IMAGE = route("global/images/([^/]+)");
    private static final Pattern IMAGE_SET_LABELS = route("global/images/([^/]+)/setLabels");
    private static final Pattern IMAGE_DEPRECATE = route("global/images/([^/]+)/deprecate");
    private static final Pattern IMAGE_GET_IAM = route("global/images/([^/]+)/getIamPolicy");
    private static final Pattern IMAGE_SET_IAM = route("global/images/([^/]+)/setIamPolicy");
    private static final Pattern IMAGE_FAMILY = route("global/images/family/([^/]+)");
    private static final Pattern ZONES = route("zones");
    private static final Pattern DISKS = route("zones/([^/]+)/disks");
    private static final Pattern DISK = route("zones/([^/]+)/disks/([^/]+)");
    /** The zones every project has here unless {@link #setZones} says otherwise. */
    public static final List<String> DEFAULT_ZONES = List.of("europe-west4-a", "europe-west4-b", "us-central1-a",
            "us-central1-b", "us-central1-c");
    private static final Pattern GLOBAL_OPERATION = route("global/operations/([^/]+)");
    private static final Pattern GLOBAL_OPERATION_WAIT = route("global/operations/([^/]+)/wait");
    private static final Pattern INSTANCES = route("zones/([^/]+)/instances");
    private static final Pattern INSTANCE = route("zones/([^/]+)/instances/([^/]+)");
    private static final Pattern GUEST_ATTRIBUTES = route("zones/([^/]+)/instances/([^/]+)/getGuestAttributes");
    private static final Pattern SERIAL_PORT = route("zones/([^/]+)/instances/([^/]+)/serialPort");
    private static final Pattern ZONE_OPERATION = route("zones/([^/]+)/operations/([^/]+)");
    private static final Pattern ZONE_OPERATION_WAIT = route("zones/([^/]+)/operations/([^/]+)/wait");

    /** One request as received: method, decoded path, decoded query parameters, headers (lowercase names), body. */
    public record RecordedRequest(String method, String path, Map<String, List<String>> query,
            Map<String, List<String>> headers, String body) {
        public RecordedRequest {
            query = Map.copyOf(query);
            headers = Map.copyOf(headers);
        }

        public Optional<String> param(String name) {
            List<String> values = query.get(name);
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        public Optional<String> header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        @Override
        public String toString() {
            return method + " " + path + (query.isEmpty() ? "" : " " + query);
        }
    }

    /**
     * How the next operation fails: DONE with {@code error.errors[] = [{code, message}]}, plus
     * {@code httpErrorStatusCode}/{@code httpErrorMessage} unless {@code httpStatus} is 0 (GCE sets them for most
     * failures; the client library fails the call then, otherwise it reports success and only
     * {@code Operation.hasError()} tells).
     */
    public record OperationFailure(String code, String message, int httpStatus, String httpMessage) {
        public static OperationFailure of(String code, String message) {
            return new OperationFailure(code, message, 0, "");
        }

        public static OperationFailure withHttpStatus(String code, String message, int status, String httpMessage) {
            return new OperationFailure(code, message, status, httpMessage);
        }
    }

    private static final class Fault {
        private int remaining;
        private final int status;
        private final String reason;
        private final String message;
        private final Predicate<RecordedRequest> matches;

        Fault(int remaining, int status, String reason, String message, Predicate<RecordedRequest> matches) {
            this.remaining = remaining;
            this.status = status;
            this.reason = reason;
            this.message = message;
            this.matches = matches;
        }
    }

    private static final class VmRecord {
        private final Instance.Builder instance;
        private final Map<String, Map<String, String>> guestAttributes = new LinkedHashMap<>();
        private final StringBuilder serial = new StringBuilder();

        VmRecord(Instance.Builder instance) {
            this.instance = instance;
        }
    }

    private static final class Op {
        private final String key;
        private final Operation.Builder operation;
        private final long doneAtNanos;
        private final Runnable onSuccess;
        private final Runnable onFailure;
        private final OperationFailure failure;

        Op(String key, Operation.Builder operation, long doneAtNanos, Runnable onSuccess, Runnable onFailure,
                OperationFailure failure) {
            this.key = key;
            this.operation = operation;
            this.doneAtNanos = doneAtNanos;
            this.onSuccess = onSuccess;
            this.onFailure = onFailure;
            this.failure = failure;
        }
    }

    /** A GCE error answer: HTTP status, {@code errors[0].reason}, message. */
    private static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String reason;

        ApiError(int status, String reason, String message) {
            super(message, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Object lock = new Object();
    private final Map<String, Image.Builder> images = new LinkedHashMap<>();
    private final Map<String, Policy> imagePolicies = new HashMap<>();
    private final Map<String, Disk.Builder> disks = new LinkedHashMap<>();
    private final List<String> imageCalls = new ArrayList<>();
    private final LocalCloudBuild cloudBuild = new LocalCloudBuild(lock, this::imageExists);
    private List<String> zones = DEFAULT_ZONES;
    private final Map<String, VmRecord> instances = new LinkedHashMap<>();
    private final Map<String, Op> operations = new LinkedHashMap<>();
    private final Map<String, String> requestIds = new HashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Deque<OperationFailure> operationFailures = new ArrayDeque<>();
    private final AtomicInteger addresses = new AtomicInteger(1);
    private Duration operationDelay = Duration.ZERO;
    private Duration responseDelay = Duration.ZERO;
    private int pageSize = MAX_PAGE;
    private int instanceInsertRequests;
    private int instancesCreated;

    private LocalComputeServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts on 127.0.0.1 on a free port. */
    public static LocalComputeServer start() {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            AtomicInteger threads = new AtomicInteger();
            ExecutorService executor = Executors.newCachedThreadPool(task -> {
                Thread thread = new Thread(task, "local-compute-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            LocalComputeServer local = new LocalComputeServer(http, executor);
            http.createContext("/", local::handle);
            http.setExecutor(executor);
            http.start();
            return local;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the local Compute server", e);
        }
    }

    /** {@code http://127.0.0.1:PORT}: what {@code cib.gcp.endpoint-override} / {@code GceClients} take. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public URI endpointUri() {
        return URI.create(endpoint());
    }

    /** {@code http://127.0.0.1:PORT/token}: the OAuth2 token endpoint for test service-account keys. */
    public String tokenUri() {
        return endpoint() + TOKEN_PATH;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- test hooks: state ----------------------------------------------------------------------------------------

    /** A READY image with these (already label-encoded) labels, as if a build had created it. */
    public Image seedImage(String project, String name, Map<String, String> labels) {
        return seedImage(project, name, labels, "READY");
    }

    /** An image in any status (READY, PENDING, FAILED, DELETING). */
    public Image seedImage(String project, String name, Map<String, String> labels, String status) {
        synchronized (lock) {
            checkLabels(labels);
            if (images.containsKey(project + "/" + name)) {
                throw new IllegalStateException("image exists: " + name);
            }
            Image.Builder image = Image.newBuilder()
                    .setKind("compute#image")
                    .setId(newId())
                    .setName(name)
                    .setStatus(status)
                    .setCreationTimestamp(now())
                    .setSelfLink(API + "projects/" + project + "/global/images/" + name)
                    .setSourceType("RAW")
                    .setDiskSizeGb(10)
                    .setArchiveSizeBytes(1_073_741_824L)
                    .addStorageLocations("us")
                    .putAllLabels(labels)
                    .setLabelFingerprint(fingerprint(labels));
            images.put(project + "/" + name, image);
            return image.build();
        }
    }

    /** A RUNNING instance (guest attributes enabled), as if launched earlier; returns it. */
    public Instance seedInstance(String project, String zone, String name, Map<String, String> labels) {
        synchronized (lock) {
            checkLabels(labels);
            String key = instanceKey(project, zone, name);
            if (instances.containsKey(key)) {
                throw new IllegalStateException("instance exists: " + name);
            }
            Instance.Builder instance = Instance.newBuilder()
                    .setName(name)
                    .setMachineType("zones/" + zone + "/machineTypes/e2-small")
                    .putAllLabels(labels)
                    .addNetworkInterfaces(NetworkInterface.newBuilder().addAccessConfigs(
                            AccessConfig.newBuilder().setName("External NAT").setType("ONE_TO_ONE_NAT")))
                    .setMetadata(Metadata.newBuilder().addItems(
                            Items.newBuilder().setKey("enable-guest-attributes").setValue("TRUE")));
            fillInstance(project, zone, instance, 10, "RUNNING");
            instances.put(key, new VmRecord(instance));
            return instance.build();
        }
    }

    /** Sets an instance's status directly, e.g. {@code TERMINATED} (GCE's "stopped") or {@code STAGING}. */
    public void setInstanceStatus(String project, String zone, String name, String status) {
        synchronized (lock) {
            vm(project, zone, name).instance.setStatus(status);
        }
    }

    /**
     * What the guest agent does at boot: publish the SSH host keys as guest attributes {@code hostkeys/<type>}
     * (value = base64 blob). Refused, like the agent would not publish, unless the instance's metadata has
     * {@code enable-guest-attributes=TRUE}.
     */
    public void publishHostKeys(String project, String zone, String name, Map<String, String> keysByType) {
        keysByType.forEach((type, blob) -> setGuestAttribute(project, zone, name, "hostkeys", type, blob));
    }

    public void setGuestAttribute(String project, String zone, String name, String namespace, String key,
            String value) {
        synchronized (lock) {
            VmRecord vm = vm(project, zone, name);
            boolean enabled = vm.instance.getMetadata().getItemsList().stream()
                    .anyMatch(item -> item.getKey().equals("enable-guest-attributes")
                            && item.getValue().equalsIgnoreCase("TRUE"));
            if (!enabled) {
                throw new IllegalStateException("guest attributes are not enabled on " + name
                        + " (metadata enable-guest-attributes=TRUE missing): the guest agent would not publish");
            }
            vm.guestAttributes.computeIfAbsent(namespace, n -> new LinkedHashMap<>()).put(key, value);
        }
    }

    /** Appends to serial port 1 of the instance. */
    public void appendSerialOutput(String project, String zone, String name, String text) {
        synchronized (lock) {
            vm(project, zone, name).serial.append(text);
        }
    }

    public List<Image> images(String project) {
        synchronized (lock) {
            settle();
            return images.entrySet().stream().filter(e -> e.getKey().startsWith(project + "/"))
                    .map(e -> e.getValue().build()).toList();
        }
    }

    /** An unattached disk in {@code zone} with these (label-encoded) labels, as a killed launch may leave one. */
    public Disk seedDisk(String project, String zone, String name, Map<String, String> labels) {
        synchronized (lock) {
            checkZone(zone);
            checkLabels(labels);
            String key = instanceKey(project, zone, name);
            if (disks.containsKey(key)) {
                throw new IllegalStateException("disk exists: " + name);
            }
            Disk.Builder disk = Disk.newBuilder()
                    .setKind("compute#disk")
                    .setId(newId())
                    .setName(name)
                    .setZone(API + "projects/" + project + "/zones/" + zone)
                    .setSizeGb(10)
                    .setStatus("READY")
                    .setCreationTimestamp(now())
                    .setSelfLink(API + "projects/" + project + "/zones/" + zone + "/disks/" + name)
                    .putAllLabels(labels)
                    .setLabelFingerprint(fingerprint(labels));
            disks.put(key, disk);
            return disk.build();
        }
    }

    public Optional<Disk> disk(String project, String zone, String name) {
        synchronized (lock) {
            settle();
            return Optional.ofNullable(disks.get(instanceKey(project, zone, name))).map(Disk.Builder::build);
        }
    }

    /** The zones zones.list reports for every project (default {@link #DEFAULT_ZONES}). */
    public void setZones(List<String> names) {
        synchronized (lock) {
            names.forEach(LocalComputeServer::checkZone);
            zones = List.copyOf(names);
        }
    }

    /** The image's IAM policy as GCE holds it (empty bindings if never set). */
    public Policy imagePolicy(String project, String name) {
        synchronized (lock) {
            return policy(project, name);
        }
    }

    /**
     * The image calls that change what an image is or who may use it, in order: {@code insert NAME},
     * {@code deprecate NAME STATE}, {@code setIamPolicy NAME}, {@code delete NAME} (requests that GCE accepted).
     */
    public List<String> imageCalls() {
        synchronized (lock) {
            return List.copyOf(imageCalls);
        }
    }

    /** The Cloud Build part of this server ({@code /v1/projects/{p}/builds}, {@code /v1/operations/...}). */
    public LocalCloudBuild cloudBuild() {
        return cloudBuild;
    }

    public Optional<Image> image(String project, String name) {
        synchronized (lock) {
            settle();
            return Optional.ofNullable(images.get(project + "/" + name)).map(Image.Builder::build);
        }
    }

    /** Every instance of the project in every zone. */
    public List<Instance> instances(String project) {
        synchronized (lock) {
            settle();
            return instances.entrySet().stream().filter(e -> e.getKey().startsWith(project + "/"))
                    .map(e -> e.getValue().instance.build()).toList();
        }
    }

    public Optional<Instance> instance(String project, String zone, String name) {
        synchronized (lock) {
            settle();
            return Optional.ofNullable(instances.get(instanceKey(project, zone, name)))
                    .map(vm -> vm.instance.build());
        }
    }

    /** instances.insert requests received (including refused and deduplicated ones). */
    public int instanceInsertRequests() {
        synchronized (lock) {
            return instanceInsertRequests;
        }
    }

    /** Instances actually created by instances.insert. */
    public int instancesCreated() {
        synchronized (lock) {
            return instancesCreated;
        }
    }

    /** Every request received, in order. */
    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** Requests with this method whose path matches {@code pathRegex} (a find, not a full match). */
    public List<RecordedRequest> requests(String method, String pathRegex) {
        Pattern pattern = Pattern.compile(pathRegex);
        return requests().stream()
                .filter(r -> r.method().equals(method) && pattern.matcher(r.path()).find())
                .toList();
    }

    public void clearRequests() {
        synchronized (lock) {
            requests.clear();
        }
    }

    // ---- test hooks: behaviour ------------------------------------------------------------------------------------

    /** The next {@code times} requests (any) are answered with this HTTP error (429 rateLimitExceeded, 503, ...). */
    public void failNextRequests(int times, int httpStatus) {
        failNextRequests(times, httpStatus, request -> true);
    }

    /** The next {@code times} requests with this method and a path matching {@code pathRegex} (find) fail. */
    public void failNextRequests(int times, int httpStatus, String method, String pathRegex) {
        Pattern pattern = Pattern.compile(pathRegex);
        failNextRequests(times, httpStatus, r -> r.method().equals(method) && pattern.matcher(r.path()).find());
    }

    public void failNextRequests(int times, int httpStatus, Predicate<RecordedRequest> matching) {
        failNextRequests(times, httpStatus, reasonFor(httpStatus), messageFor(httpStatus), matching);
    }

    /** With GCE's {@code errors[0].reason} and message chosen by the test. */
    public void failNextRequests(int times, int httpStatus, String reason, String message,
            Predicate<RecordedRequest> matching) {
        synchronized (lock) {
            faults.add(new Fault(times, httpStatus, reason, message, matching));
        }
    }

    /** The next operation created (insert, delete, setLabels) ends DONE with this error; its effect is undone. */
    public void failNextOperation(OperationFailure failure) {
        synchronized (lock) {
            operationFailures.add(failure);
        }
    }

    /** Operations created from now on stay RUNNING this long (zero: DONE at once). */
    public void setOperationDelay(Duration delay) {
        synchronized (lock) {
            operationDelay = delay;
        }
    }

    /** Every answer is held back this long (e.g. to make a client time out). */
    public void setResponseDelay(Duration delay) {
        synchronized (lock) {
            responseDelay = delay;
        }
    }

    /** At most this many items per list page (GCE: 500), to exercise paging. */
    public void setPageSize(int size) {
        synchronized (lock) {
            pageSize = Math.max(1, Math.min(size, MAX_PAGE));
        }
    }

    /** Forgets the requestIds seen so far, like GCE after its dedup window: a repeated insert runs again. */
    public void forgetRequestIds() {
        synchronized (lock) {
            requestIds.clear();
        }
    }

    /** Everything back to empty (state, faults, delays, recorded requests, counters). */
    public void reset() {
        synchronized (lock) {
            images.clear();
            imagePolicies.clear();
            disks.clear();
            imageCalls.clear();
            zones = DEFAULT_ZONES;
            cloudBuild.reset();
            instances.clear();
            operations.clear();
            requestIds.clear();
            requests.clear();
            faults.clear();
            operationFailures.clear();
            operationDelay = Duration.ZERO;
            responseDelay = Duration.ZERO;
            pageSize = MAX_PAGE;
            instanceInsertRequests = 0;
            instancesCreated = 0;
        }
    }

    // ---- HTTP -----------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String path = decodePath(exchange.getRequestURI().getRawPath());
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
            RecordedRequest request = new RecordedRequest(exchange.getRequestMethod(), path,
                    parseQuery(exchange.getRequestURI().getRawQuery()), headers, body);
            Duration delay;
            synchronized (lock) {
                requests.add(request);
                delay = responseDelay;
            }
            if (!delay.isZero()) {
                sleep(delay);
            }
            int status;
            String json;
            try {
                json = dispatch(request);
                status = 200;
            } catch (ApiError e) {
                status = e.status;
                json = errorJson(e.status, e.reason, e.getMessage());
            } catch (LocalCloudBuild.Refused e) {
                status = e.status;
                json = errorJson(e.status, e.status == 404 ? "notFound" : "badRequest", e.getMessage());
            } catch (RuntimeException e) {
                status = 500;
                json = errorJson(500, "internalError", "LocalComputeServer: " + e);
            }
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private String dispatch(RecordedRequest request) {
        Matcher m;
        String method = request.method();
        String path = request.path();
        if ((m = GLOBAL_OPERATION_WAIT.matcher(path)).matches() && method.equals("POST")) {
            return waitFor(m.group(1), "global", m.group(2));
        }
        if ((m = ZONE_OPERATION_WAIT.matcher(path)).matches() && method.equals("POST")) {
            return waitFor(m.group(1), "zones/" + m.group(2), m.group(3));
        }
        synchronized (lock) {
            injectedFault(request);
            settle();
            if (path.equals(TOKEN_PATH) && method.equals("POST")) {
                return tokenResponse(request);
            }
            if ((m = IMAGES.matcher(path)).matches() && method.equals("GET")) {
                return listImages(m.group(1), request);
            }
            if ((m = IMAGE.matcher(path)).matches()) {
                if (method.equals("GET")) {
                    return print(imageOr404(m.group(1), m.group(2)).build());
                }
                if (method.equals("DELETE")) {
                    return deleteImage(m.group(1), m.group(2), request);
                }
            }
            if ((m = IMAGE_SET_LABELS.matcher(path)).matches() && method.equals("POST")) {
                return setImageLabels(m.group(1), m.group(2), request);
            }
            if ((m = IMAGES.matcher(path)).matches() && method.equals("POST")) {
                return insertImage(m.group(1), request);
            }
            if ((m = IMAGE_FAMILY.matcher(path)).matches() && method.equals("GET")) {
                return print(fromFamily(m.group(1), m.group(2)));
            }
            if ((m = IMAGE_DEPRECATE.matcher(path)).matches() && method.equals("POST")) {
                return deprecateImage(m.group(1), m.group(2), request);
            }
            if ((m = IMAGE_GET_IAM.matcher(path)).matches() && method.equals("GET")) {
                imageOr404(m.group(1), m.group(2));
                return print(policy(m.group(1), m.group(2)));
            }
            if ((m = IMAGE_SET_IAM.matcher(path)).matches() && method.equals("POST")) {
                return setImagePolicy(m.group(1), m.group(2), request);
            }
            if ((m = ZONES.matcher(path)).matches() && method.equals("GET")) {
                return listZones(m.group(1), request);
            }
            if ((m = DISKS.matcher(path)).matches() && method.equals("GET")) {
                checkZone(m.group(2));
                return listDisks(m.group(1), m.group(2), request);
            }
            if ((m = DISK.matcher(path)).matches()) {
                checkZone(m.group(2));
                if (method.equals("GET")) {
                    return print(diskOr404(m.group(1), m.group(2), m.group(3)).build());
                }
                if (method.equals("DELETE")) {
                    return deleteDisk(m.group(1), m.group(2), m.group(3));
                }
            }
            if (path.startsWith(LocalCloudBuild.PREFIX)) {
                return cloudBuild.dispatch(method, path, request.query(), request.body());
            }
            if ((m = GLOBAL_OPERATION.matcher(path)).matches() && method.equals("GET")) {
                return print(operation(m.group(1), "global", m.group(2)).operation.build());
            }
            if ((m = INSTANCES.matcher(path)).matches()) {
                checkZone(m.group(2));
                if (method.equals("GET")) {
                    return listInstances(m.group(1), m.group(2), request);
                }
                if (method.equals("POST")) {
                    return insertInstance(m.group(1), m.group(2), request);
                }
            }
            if ((m = INSTANCE.matcher(path)).matches()) {
                checkZone(m.group(2));
                if (method.equals("GET")) {
                    return print(vmOr404(m.group(1), m.group(2), m.group(3)).instance.build());
                }
                if (method.equals("DELETE")) {
                    return deleteInstance(m.group(1), m.group(2), m.group(3), request);
                }
            }
            if ((m = GUEST_ATTRIBUTES.matcher(path)).matches() && method.equals("GET")) {
                return guestAttributes(m.group(1), m.group(2), m.group(3), request);
            }
            if ((m = SERIAL_PORT.matcher(path)).matches() && method.equals("GET")) {
                return serialPort(m.group(1), m.group(2), m.group(3), request);
            }
            if ((m = ZONE_OPERATION.matcher(path)).matches() && method.equals("GET")) {
                return print(operation(m.group(1), "zones/" + m.group(2), m.group(3)).operation.build());
            }
        }
        // Loud on purpose: a 404 here would pass for "resource gone" in the adapter.
        throw new ApiError(400, "badRequest", "LocalComputeServer does not implement " + method + " " + path);
    }

    private void injectedFault(RecordedRequest request) {
        for (Iterator<Fault> it = faults.iterator(); it.hasNext();) {
            Fault fault = it.next();
            if (fault.matches.test(request)) {
                if (--fault.remaining <= 0) {
                    it.remove();
                }
                throw new ApiError(fault.status, fault.reason, fault.message);
            }
        }
    }

    /**
     * An OAuth2 token endpoint ({@code POST /token}) for service-account credentials whose {@code token_uri} points
     * here: answers a JWT-bearer grant with {@link #ACCESS_TOKEN}. Tests use it to run the real credential flow of
     * google-auth-library over the transport versions the build picks; the JWT's signature is not checked.
     */
    private String tokenResponse(RecordedRequest request) {
        if (!request.body().contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
                || !request.body().contains("assertion=")) {
            throw new ApiError(400, "invalid_grant", "expected a JWT bearer grant");
        }
        JsonObject token = new JsonObject();
        token.addProperty("access_token", ACCESS_TOKEN);
        token.addProperty("expires_in", 3600);
        token.addProperty("token_type", "Bearer");
        return token.toString();
    }

    // ---- images ---------------------------------------------------------------------------------------------------

    private String listImages(String project, RecordedRequest request) {
        List<Filter> filter = Filter.parse(request.param("filter").orElse(""));
        List<Image> matching = new ArrayList<>();
        images.forEach((key, image) -> {
            if (key.startsWith(project + "/") && Filter.matches(filter, image.getName(), image.getStatus(),
                    image.getLabelsMap())) {
                matching.add(image.build());
            }
        });
        Page<Image> page = page(matching, request);
        ImageList.Builder list = ImageList.newBuilder()
                .setKind("compute#imageList")
                .setId("projects/" + project + "/global/images")
                .setSelfLink(API + "projects/" + project + "/global/images")
                .addAllItems(page.items);
        page.next.ifPresent(list::setNextPageToken);
        return print(list.build());
    }

    private String deleteImage(String project, String name, RecordedRequest request) {
        Image.Builder image = imageOr404(project, name);
        String previous = image.getStatus();
        image.setStatus("DELETING");
        imageCalls.add("delete " + name);
        Op op = newOperation(project, "global", "delete", image.getSelfLink(), image.getId(),
                () -> {
                    images.remove(project + "/" + name);
                    imagePolicies.remove(project + "/" + name);
                },
                () -> image.setStatus(previous));
        return print(op.operation.build());
    }

    private String setImageLabels(String project, String name, RecordedRequest request) {
        Image.Builder image = imageOr404(project, name);
        GlobalSetLabelsRequest.Builder body = GlobalSetLabelsRequest.newBuilder();
        parse(request.body(), body);
        if (!body.hasLabelFingerprint() || !body.getLabelFingerprint().equals(image.getLabelFingerprint())) {
            throw new ApiError(412, "conditionNotMet",
                    "Labels fingerprint either invalid or resource labels have changed");
        }
        Map<String, String> labels = Map.copyOf(body.getLabelsMap());
        checkLabels(labels);
        Op op = newOperation(project, "global", "setLabels", image.getSelfLink(), image.getId(),
                () -> image.clearLabels().putAllLabels(labels).setLabelFingerprint(fingerprint(labels)),
                () -> { });
        return print(op.operation.build());
    }

    private Image.Builder imageOr404(String project, String name) {
        Image.Builder image = images.get(project + "/" + name);
        if (image == null) {
            throw notFound("projects/" + project + "/global/images/" + name);
        }
        return image;
    }

    /**
     * images.insert from another image ({@code sourceImage}): the new image is READY when its operation is DONE.
     * {@code deprecated} is output only on GCE, so a body carrying it is refused here as the strict parser refuses
     * unknown fields; the image starts ACTIVE.
     */
    private String insertImage(String project, RecordedRequest request) {
        Optional<String> requestId = request.param("requestId");
        if (requestId.isPresent()) {
            checkRequestId(requestId.get());
            String earlier = requestIds.get(project + "|" + requestId.get());
            if (earlier != null && operations.containsKey(earlier)) {
                return print(operations.get(earlier).operation.build());
            }
        }
        Image.Builder image = Image.newBuilder();
        parse(request.body(), image);
        if (image.hasDeprecated()) {
            throw invalid("resource.deprecated", "", "Output only field; it cannot be set on insert");
        }
        String name = image.getName();
        if (!NAME.matcher(name).matches()) {
            throw invalid("resource.name", name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
        }
        if (images.containsKey(project + "/" + name)) {
            throw new ApiError(409, "alreadyExists",
                    "The resource 'projects/" + project + "/global/images/" + name + "' already exists");
        }
        if (!image.hasSourceImage()) {
            throw invalid("resource.sourceImage", "", "LocalComputeServer creates images from images only");
        }
        Matcher source = Pattern.compile("(?:.*/)?projects/([^/]+)/global/images/([^/]+)$|^global/images/([^/]+)$")
                .matcher(image.getSourceImage());
        if (!source.matches()) {
            throw invalid("resource.sourceImage", image.getSourceImage(), "Not an image URL");
        }
        String sourceProject = source.group(1) != null ? source.group(1) : project;
        String sourceName = source.group(2) != null ? source.group(2) : source.group(3);
        Image.Builder from = imageOr404(sourceProject, sourceName);
        checkLabels(image.getLabelsMap());
        image.setKind("compute#image")
                .setId(newId())
                .setStatus(operationDelay.isZero() ? "READY" : "PENDING")
                .setCreationTimestamp(now())
                .setSelfLink(API + "projects/" + project + "/global/images/" + name)
                .setSourceImage(from.getSelfLink())
                .setSourceImageId(Long.toString(from.getId()))
                .setSourceType("RAW")
                .setDiskSizeGb(from.getDiskSizeGb())
                .setArchiveSizeBytes(from.getArchiveSizeBytes())
                .addStorageLocations("us")
                .setLabelFingerprint(fingerprint(image.getLabelsMap()));
        images.put(project + "/" + name, image);
        imageCalls.add("insert " + name);
        Op op = newOperation(project, "global", "insert", image.getSelfLink(), image.getId(),
                () -> image.setStatus("READY"),
                () -> images.remove(project + "/" + name));
        requestId.ifPresent(id -> requestIds.put(project + "|" + id, op.key));
        return print(op.operation.build());
    }

    /** images.getFromFamily: the newest READY image of the family that is not deprecated; 404 if none. */
    private Image fromFamily(String project, String family) {
        Image newest = null;
        for (Map.Entry<String, Image.Builder> e : images.entrySet()) {
            Image.Builder image = e.getValue();
            boolean active = !image.hasDeprecated() || image.getDeprecated().getState().equals("ACTIVE");
            if (e.getKey().startsWith(project + "/") && family.equals(image.getFamily()) && active
                    && "READY".equals(image.getStatus())) {
                // Insertion order is creation order here, so the last match is the newest.
                newest = image.build();
            }
        }
        if (newest == null) {
            throw notFound("projects/" + project + "/global/images/family/" + family);
        }
        return newest;
    }

    /** images.deprecate: sets the status; state ACTIVE or an empty body clears it (GCE: "clears the status"). */
    private String deprecateImage(String project, String name, RecordedRequest request) {
        Image.Builder image = imageOr404(project, name);
        DeprecationStatus.Builder body = DeprecationStatus.newBuilder();
        parse(request.body(), body);
        String state = body.hasState() ? body.getState() : "ACTIVE";
        if (!List.of("ACTIVE", "DEPRECATED", "OBSOLETE", "DELETED").contains(state)) {
            throw invalid("deprecationStatus.state", state, "Must be ACTIVE, DEPRECATED, OBSOLETE or DELETED");
        }
        imageCalls.add("deprecate " + name + " " + state);
        DeprecationStatus status = body.build();
        Op op = newOperation(project, "global", "deprecate", image.getSelfLink(), image.getId(),
                () -> {
                    if (state.equals("ACTIVE")) {
                        image.clearDeprecated();
                    } else {
                        image.setDeprecated(status);
                    }
                },
                () -> { });
        return print(op.operation.build());
    }

    private Policy policy(String project, String name) {
        return imagePolicies.getOrDefault(project + "/" + name,
                Policy.newBuilder().setEtag("BwYAAAAAAAA=").setVersion(1).build());
    }

    /**
     * images.setIamPolicy (synchronous, no operation): the body's {@code policy.etag} must be the current one (412
     * otherwise, as when someone changed the policy since it was read); {@code allUsers} is refused as GCE refuses it
     * for images.
     */
    private String setImagePolicy(String project, String name, RecordedRequest request) {
        imageOr404(project, name);
        GlobalSetPolicyRequest.Builder body = GlobalSetPolicyRequest.newBuilder();
        parse(request.body(), body);
        Policy current = policy(project, name);
        if (body.getPolicy().hasEtag() && !body.getPolicy().getEtag().equals(current.getEtag())) {
            throw new ApiError(412, "conditionNotMet", "There were concurrent policy changes. Please retry the whole "
                    + "read-modify-write with exponential backoff.");
        }
        for (Binding binding : body.getPolicy().getBindingsList()) {
            if (binding.getMembersList().contains("allUsers")) {
                throw new ApiError(400, "invalid", "Invalid value for field 'resource.policy': allUsers is not "
                        + "supported for images; use allAuthenticatedUsers");
            }
        }
        Policy updated = body.getPolicy().toBuilder()
                .setEtag(fingerprint(Map.of("policy", body.getPolicy().getBindingsList().toString())))
                .setVersion(1)
                .build();
        imagePolicies.put(project + "/" + name, updated);
        imageCalls.add("setIamPolicy " + name);
        return print(updated);
    }

    private boolean imageExists(String project, String name) {
        synchronized (lock) {
            Image.Builder image = images.get(project + "/" + name);
            return image != null && "READY".equals(image.getStatus());
        }
    }

    // ---- zones and disks ------------------------------------------------------------------------------------------

    private String listZones(String project, RecordedRequest request) {
        List<Zone> all = new ArrayList<>();
        for (String zone : zones) {
            all.add(Zone.newBuilder().setKind("compute#zone").setName(zone).setStatus("UP")
                    .setRegion(API + "projects/" + project + "/regions/" + zone.substring(0, zone.lastIndexOf('-')))
                    .setSelfLink(API + "projects/" + project + "/zones/" + zone).build());
        }
        Page<Zone> page = page(all, request);
        ZoneList.Builder list = ZoneList.newBuilder().setKind("compute#zoneList")
                .setSelfLink(API + "projects/" + project + "/zones").addAllItems(page.items);
        page.next.ifPresent(list::setNextPageToken);
        return print(list.build());
    }

    private String listDisks(String project, String zone, RecordedRequest request) {
        List<Filter> filter = Filter.parse(request.param("filter").orElse(""));
        List<Disk> matching = new ArrayList<>();
        disks.forEach((key, disk) -> {
            if (key.startsWith(project + "/" + zone + "/") && Filter.matches(filter, disk.getName(),
                    disk.getStatus(), disk.getLabelsMap())) {
                matching.add(disk.build());
            }
        });
        Page<Disk> page = page(matching, request);
        DiskList.Builder list = DiskList.newBuilder().setKind("compute#diskList")
                .setSelfLink(API + "projects/" + project + "/zones/" + zone + "/disks").addAllItems(page.items);
        page.next.ifPresent(list::setNextPageToken);
        return print(list.build());
    }

    private String deleteDisk(String project, String zone, String name) {
        String key = instanceKey(project, zone, name);
        Disk.Builder disk = diskOr404(project, zone, name);
        String previous = disk.getStatus();
        disk.setStatus("DELETING");
        Op op = newOperation(project, "zones/" + zone, "delete", disk.getSelfLink(), disk.getId(),
                () -> disks.remove(key),
                () -> disk.setStatus(previous));
        return print(op.operation.build());
    }

    private Disk.Builder diskOr404(String project, String zone, String name) {
        Disk.Builder disk = disks.get(instanceKey(project, zone, name));
        if (disk == null) {
            throw notFound("projects/" + project + "/zones/" + zone + "/disks/" + name);
        }
        return disk;
    }

    // ---- instances ------------------------------------------------------------------------------------------------

    private String listInstances(String project, String zone, RecordedRequest request) {
        List<Filter> filter = Filter.parse(request.param("filter").orElse(""));
        List<Instance> matching = new ArrayList<>();
        instances.forEach((key, vm) -> {
            if (key.startsWith(project + "/" + zone + "/") && Filter.matches(filter, vm.instance.getName(),
                    vm.instance.getStatus(), vm.instance.getLabelsMap())) {
                matching.add(vm.instance.build());
            }
        });
        Page<Instance> page = page(matching, request);
        InstanceList.Builder list = InstanceList.newBuilder()
                .setKind("compute#instanceList")
                .setId("projects/" + project + "/zones/" + zone + "/instances")
                .setSelfLink(API + "projects/" + project + "/zones/" + zone + "/instances")
                .addAllItems(page.items);
        page.next.ifPresent(list::setNextPageToken);
        return print(list.build());
    }

    private String insertInstance(String project, String zone, RecordedRequest request) {
        instanceInsertRequests++;
        Optional<String> requestId = request.param("requestId");
        if (requestId.isPresent()) {
            checkRequestId(requestId.get());
            String earlier = requestIds.get(project + "|" + requestId.get());
            if (earlier != null && operations.containsKey(earlier)) {
                // GCE's dedup: the same requestId answers with the first operation, whatever the body says now.
                return print(operations.get(earlier).operation.build());
            }
        }
        Instance.Builder instance = Instance.newBuilder();
        parse(request.body(), instance);
        String name = instance.getName();
        if (!NAME.matcher(name).matches()) {
            throw invalid("resource.name", name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
        }
        String key = instanceKey(project, zone, name);
        if (instances.containsKey(key)) {
            throw new ApiError(409, "alreadyExists",
                    "The resource 'projects/" + project + "/zones/" + zone + "/instances/" + name + "' already exists");
        }
        checkMachineType(zone, instance.getMachineType());
        checkLabels(instance.getLabelsMap());
        long bootSize = checkDisks(project, instance);
        fillInstance(project, zone, instance, bootSize, operationDelay.isZero() ? "RUNNING" : "PROVISIONING");
        VmRecord vm = new VmRecord(instance);
        instances.put(key, vm);
        instancesCreated++;
        Op op = newOperation(project, "zones/" + zone, "insert", instance.getSelfLink(), instance.getId(),
                () -> instance.setStatus("RUNNING"),
                () -> instances.remove(key));
        requestId.ifPresent(id -> requestIds.put(project + "|" + id, op.key));
        return print(op.operation.build());
    }

    private String deleteInstance(String project, String zone, String name, RecordedRequest request) {
        String key = instanceKey(project, zone, name);
        VmRecord vm = vmOr404(project, zone, name);
        String previous = vm.instance.getStatus();
        vm.instance.setStatus("STOPPING");
        Op op = newOperation(project, "zones/" + zone, "delete", vm.instance.getSelfLink(), vm.instance.getId(),
                () -> instances.remove(key),
                () -> vm.instance.setStatus(previous));
        return print(op.operation.build());
    }

    private String guestAttributes(String project, String zone, String name, RecordedRequest request) {
        VmRecord vm = vmOr404(project, zone, name);
        String queryPath = request.param("queryPath").orElse("");
        String variableKey = request.param("variableKey").orElse("");
        String self = API + "projects/" + project + "/zones/" + zone + "/instances/" + name + "/guestAttributes/";
        if (!variableKey.isEmpty()) {
            int slash = variableKey.indexOf('/');
            String value = slash < 0 ? null : vm.guestAttributes
                    .getOrDefault(variableKey.substring(0, slash), Map.of()).get(variableKey.substring(slash + 1));
            if (value == null) {
                throw notFound("projects/" + project + "/zones/" + zone + "/instances/" + name
                        + "/guestAttributes/" + variableKey);
            }
            return print(GuestAttributes.newBuilder().setKind("compute#guestAttributes")
                    .setVariableKey(variableKey).setVariableValue(value).setSelfLink(self + variableKey).build());
        }
        String namespace = queryPath.endsWith("/") ? queryPath.substring(0, queryPath.length() - 1) : queryPath;
        String onlyKey = null;
        int slash = namespace.indexOf('/');
        if (slash >= 0) {
            onlyKey = namespace.substring(slash + 1);
            namespace = namespace.substring(0, slash);
        }
        GuestAttributesValue.Builder value = GuestAttributesValue.newBuilder();
        for (Map.Entry<String, Map<String, String>> ns : vm.guestAttributes.entrySet()) {
            if (!namespace.isEmpty() && !ns.getKey().equals(namespace)) {
                continue;
            }
            for (Map.Entry<String, String> entry : ns.getValue().entrySet()) {
                if (onlyKey == null || onlyKey.equals(entry.getKey())) {
                    value.addItems(GuestAttributesEntry.newBuilder()
                            .setNamespace(ns.getKey()).setKey(entry.getKey()).setValue(entry.getValue()));
                }
            }
        }
        if (value.getItemsCount() == 0) {
            // GCE: nothing published under the path (yet) is a 404.
            throw notFound("projects/" + project + "/zones/" + zone + "/instances/" + name
                    + "/guestAttributes/" + queryPath);
        }
        return print(GuestAttributes.newBuilder()
                .setKind("compute#guestAttributes")
                .setQueryPath(queryPath)
                .setQueryValue(value)
                .setSelfLink(self + queryPath)
                .build());
    }

    private String serialPort(String project, String zone, String name, RecordedRequest request) {
        VmRecord vm = vmOr404(project, zone, name);
        int port = Integer.parseInt(request.param("port").orElse("1"));
        if (port < 1 || port > 4) {
            throw invalid("port", Integer.toString(port), "Must be between 1 and 4");
        }
        String all = port == 1 ? vm.serial.toString() : "";
        long start = Math.min(Long.parseLong(request.param("start").orElse("0")), all.length());
        return print(SerialPortOutput.newBuilder()
                .setKind("compute#serialPortOutput")
                .setContents(all.substring((int) start))
                .setStart(start)
                .setNext(all.length())
                .setSelfLink(API + "projects/" + project + "/zones/" + zone + "/instances/" + name + "/serialPort")
                .build());
    }

    private void fillInstance(String project, String zone, Instance.Builder instance, long bootSizeGb,
            String status) {
        String self = API + "projects/" + project + "/zones/" + zone + "/instances/" + instance.getName();
        String machineType = instance.getMachineType();
        instance.setKind("compute#instance")
                .setId(newId())
                .setCreationTimestamp(now())
                .setZone(API + "projects/" + project + "/zones/" + zone)
                .setMachineType(machineType.startsWith("https://") ? machineType : API + "projects/" + project + "/"
                        + machineType)
                .setStatus(status)
                .setSelfLink(self)
                .setCpuPlatform("Intel Cascade Lake")
                .setLabelFingerprint(fingerprint(instance.getLabelsMap()));
        for (int i = 0; i < instance.getNetworkInterfacesCount(); i++) {
            NetworkInterface.Builder nic = instance.getNetworkInterfacesBuilder(i);
            nic.setKind("compute#networkInterface").setName("nic" + i)
                    .setNetworkIP("10.128.0." + (1 + addresses.incrementAndGet() % 250));
            if (!nic.hasNetwork() && !nic.hasSubnetwork()) {
                nic.setNetwork(API + "projects/" + project + "/global/networks/default");
            }
            if (nic.hasSubnetwork() && !nic.getSubnetwork().startsWith("https://")) {
                nic.setSubnetwork(API + "projects/" + project + "/" + nic.getSubnetwork());
            }
            for (AccessConfig.Builder access : nic.getAccessConfigsBuilderList()) {
                access.setKind("compute#accessConfig").setNetworkTier("PREMIUM");
                if ("ONE_TO_ONE_NAT".equals(access.getType()) && !access.hasNatIP()) {
                    int n = addresses.incrementAndGet();
                    access.setNatIP("34.118." + (n / 250 % 250) + "." + (1 + n % 250));
                }
            }
        }
        List<AttachedDisk> disks = new ArrayList<>();
        for (int i = 0; i < instance.getDisksCount(); i++) {
            AttachedDisk disk = instance.getDisks(i);
            String diskName = i == 0 ? instance.getName() : instance.getName() + "-" + i;
            // Like GCE, the answer describes the attached disk; initializeParams are not echoed back.
            disks.add(disk.toBuilder().clearInitializeParams()
                    .setKind("compute#attachedDisk").setIndex(i).setMode("READ_WRITE")
                    .setDeviceName(disk.hasDeviceName() ? disk.getDeviceName() : "persistent-disk-" + i)
                    .setSource(API + "projects/" + project + "/zones/" + zone + "/disks/" + diskName)
                    .setDiskSizeGb(disk.getBoot() ? bootSizeGb : disk.getInitializeParams().getDiskSizeGb())
                    .build());
        }
        instance.clearDisks().addAllDisks(disks);
        if (instance.hasMetadata()) {
            instance.getMetadataBuilder().setKind("compute#metadata")
                    .setFingerprint(fingerprint(Map.of("items", instance.getMetadata().getItemsList().toString())));
        }
        if (instance.hasTags()) {
            instance.getTagsBuilder().setFingerprint(fingerprint(Map.of("tags", instance.getTags().toString())));
        }
    }

    private long checkDisks(String project, Instance.Builder instance) {
        List<AttachedDisk> boots = instance.getDisksList().stream().filter(AttachedDisk::getBoot).toList();
        if (boots.size() != 1) {
            throw invalid("resource.disks", "", "Exactly one boot disk must be specified");
        }
        AttachedDisk boot = boots.get(0);
        if (!boot.hasInitializeParams() || !boot.getInitializeParams().hasSourceImage()) {
            throw invalid("resource.disks[0].initializeParams.sourceImage", "", "A source image is required");
        }
        checkLabels(boot.getInitializeParams().getLabelsMap());
        String source = boot.getInitializeParams().getSourceImage();
        Matcher m = Pattern.compile("(?:.*/)?projects/([^/]+)/global/images/([^/]+)$|^global/images/([^/]+)$")
                .matcher(source);
        if (!m.matches()) {
            throw invalid("resource.disks[0].initializeParams.sourceImage", source, "Not a valid image URL");
        }
        String imageProject = m.group(1) != null ? m.group(1) : project;
        String imageName = m.group(2) != null ? m.group(2) : m.group(3);
        Image.Builder image = images.get(imageProject + "/" + imageName);
        if (image == null) {
            throw notFound("projects/" + imageProject + "/global/images/" + imageName);
        }
        if (!"READY".equals(image.getStatus())) {
            throw new ApiError(400, "resourceNotReady", "The resource 'projects/" + imageProject
                    + "/global/images/" + imageName + "' is not ready");
        }
        long size = boot.getInitializeParams().hasDiskSizeGb() ? boot.getInitializeParams().getDiskSizeGb()
                : image.getDiskSizeGb();
        if (size < image.getDiskSizeGb()) {
            throw invalid("resource.disks[0].initializeParams.diskSizeGb", Long.toString(size),
                    "Requested disk size cannot be smaller than the image size (" + image.getDiskSizeGb() + " GB)");
        }
        return size;
    }

    private static void checkMachineType(String zone, String machineType) {
        Matcher m = Pattern.compile("(?:.*/)?zones/([^/]+)/machineTypes/([^/]+)$").matcher(machineType);
        if (!m.matches()) {
            throw invalid("resource.machineType", machineType, "Must be zones/ZONE/machineTypes/TYPE");
        }
        if (!m.group(1).equals(zone)) {
            throw invalid("resource.machineType", machineType, "Machine type must be in zone " + zone);
        }
    }

    private static void checkZone(String zone) {
        if (!ZONE.matcher(zone).matches()) {
            throw invalid("zone", zone, "Unknown zone.");
        }
    }

    private static void checkRequestId(String requestId) {
        try {
            UUID uuid = UUID.fromString(requestId);
            if (uuid.getMostSignificantBits() == 0 && uuid.getLeastSignificantBits() == 0) {
                throw new IllegalArgumentException("zero UUID");
            }
        } catch (IllegalArgumentException e) {
            throw invalid("requestId", requestId, "Must be a valid UUID other than the zero UUID");
        }
    }

    private VmRecord vm(String project, String zone, String name) {
        VmRecord vm = instances.get(instanceKey(project, zone, name));
        if (vm == null) {
            throw new IllegalStateException("no instance " + name + " in " + project + "/" + zone);
        }
        return vm;
    }

    private VmRecord vmOr404(String project, String zone, String name) {
        VmRecord vm = instances.get(instanceKey(project, zone, name));
        if (vm == null) {
            throw notFound("projects/" + project + "/zones/" + zone + "/instances/" + name);
        }
        return vm;
    }

    private static String instanceKey(String project, String zone, String name) {
        return project + "/" + zone + "/" + name;
    }

    // ---- operations -----------------------------------------------------------------------------------------------

    private Op newOperation(String project, String scope, String type, String targetLink, long targetId,
            Runnable onSuccess, Runnable onFailure) {
        String name = "operation-" + System.currentTimeMillis() + "-" + UUID.randomUUID().toString().substring(0, 13)
                + "-" + UUID.randomUUID().toString().substring(0, 8);
        String key = project + "/" + scope + "/" + name;
        Operation.Builder operation = Operation.newBuilder()
                .setKind("compute#operation")
                .setId(newId())
                .setName(name)
                .setOperationType(type)
                .setTargetLink(targetLink)
                .setTargetId(targetId)
                .setStatus(Operation.Status.RUNNING)
                .setProgress(0)
                .setUser("cib-test@" + project + ".iam.gserviceaccount.com")
                .setInsertTime(now())
                .setStartTime(now())
                .setSelfLink(API + "projects/" + project + "/" + scope + "/operations/" + name);
        if (scope.startsWith("zones/")) {
            operation.setZone(API + "projects/" + project + "/" + scope);
        }
        Op op = new Op(key, operation, System.nanoTime() + operationDelay.toNanos(), onSuccess, onFailure,
                operationFailures.poll());
        operations.put(key, op);
        settle();
        return op;
    }

    /** Finishes every operation whose time has come, applying (or undoing) its effect. */
    private void settle() {
        long now = System.nanoTime();
        for (Op op : operations.values()) {
            if (op.operation.getStatus() == Operation.Status.DONE || now - op.doneAtNanos < 0) {
                continue;
            }
            if (op.failure == null) {
                op.onSuccess.run();
            } else {
                op.onFailure.run();
                op.operation.setError(com.google.cloud.compute.v1.Error.newBuilder().addErrors(Errors.newBuilder()
                        .setCode(op.failure.code()).setMessage(op.failure.message())));
                if (op.failure.httpStatus() != 0) {
                    op.operation.setHttpErrorStatusCode(op.failure.httpStatus())
                            .setHttpErrorMessage(op.failure.httpMessage());
                }
            }
            op.operation.setStatus(Operation.Status.DONE).setProgress(100).setEndTime(now());
        }
    }

    private Op operation(String project, String scope, String name) {
        Op op = operations.get(project + "/" + scope + "/" + name);
        if (op == null) {
            throw notFound("projects/" + project + "/" + scope + "/operations/" + name);
        }
        return op;
    }

    /** POST .../wait: answers when the operation is DONE, or after at most 2 minutes with it still RUNNING. */
    private String waitFor(String project, String scope, String name) {
        long deadline = System.nanoTime() + WAIT_LIMIT.toNanos();
        while (true) {
            long remaining;
            synchronized (lock) {
                settle();
                Op op = operation(project, scope, name);
                if (op.operation.getStatus() == Operation.Status.DONE || System.nanoTime() - deadline >= 0) {
                    return print(op.operation.build());
                }
                remaining = Math.min(op.doneAtNanos, deadline) - System.nanoTime();
            }
            sleep(Duration.ofNanos(Math.max(remaining, 1_000_000)));
        }
    }

    // ---- paging, labels, JSON -------------------------------------------------------------------------------------

    private record Page<T>(List<T> items, Optional<String> next) {
    }

    private <T> Page<T> page(List<T> all, RecordedRequest request) {
        int size = pageSize;
        Optional<String> max = request.param("maxResults");
        if (max.isPresent()) {
            size = Math.max(1, Math.min(size, Integer.parseInt(max.get())));
        }
        int from;
        try {
            from = Integer.parseInt(request.param("pageToken").orElse("0"));
        } catch (NumberFormatException e) {
            throw invalid("pageToken", request.param("pageToken").orElse(""), "Invalid page token");
        }
        int to = Math.min(all.size(), from + size);
        List<T> items = from >= all.size() ? List.of() : all.subList(from, to);
        return new Page<>(items, to < all.size() ? Optional.of(Integer.toString(to)) : Optional.empty());
    }

    private static void checkLabels(Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            throw invalid("resource.labels", "", "A resource can have at most 64 labels");
        }
        labels.forEach((key, value) -> {
            if (!LABEL_KEY.matcher(key).matches()) {
                throw invalid("resource.labels", "", "Label key '" + key + "' violates format constraints. The key "
                        + "must start with a lowercase character, can only contain lowercase letters, numeric "
                        + "characters, underscores and dashes. The key can be at most 63 characters long.");
            }
            if (!LABEL_VALUE.matcher(value).matches()) {
                throw invalid("resource.labels", "", "Label value '" + value + "' violates format constraints. The "
                        + "value can only contain lowercase letters, numeric characters, underscores and dashes. "
                        + "The value can be at most 63 characters long.");
            }
        });
    }

    /** A stable fingerprint of label content (GCE's is opaque base64 too). */
    static String fingerprint(Map<String, String> labels) {
        if (labels.isEmpty()) {
            return EMPTY_FINGERPRINT;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(new TreeMap<>(labels).toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(Arrays.copyOf(digest, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void parse(String json, Message.Builder builder) {
        try {
            PARSER.merge(json.isBlank() ? "{}" : json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new ApiError(400, "invalid", "Invalid JSON payload received. " + e.getMessage());
        }
    }

    private static String print(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Google's JSON error body: {@code {"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}}. */
    private static String errorJson(int status, String reason, String message) {
        JsonObject detail = new JsonObject();
        detail.addProperty("message", message);
        detail.addProperty("domain", "global");
        detail.addProperty("reason", reason);
        JsonArray errors = new JsonArray();
        errors.add(detail);
        JsonObject error = new JsonObject();
        error.addProperty("code", status);
        error.addProperty("message", message);
        error.add("errors", errors);
        JsonObject root = new JsonObject();
        root.add("error", error);
        return root.toString();
    }

    private static ApiError notFound(String resource) {
        return new ApiError(404, "notFound", "The resource '" + resource + "' was not found");
    }

    private static ApiError invalid(String field, String value, String why) {
        return new ApiError(400, "invalid", "Invalid value for field '" + field + "': '" + value + "'. " + why);
    }

    private static String reasonFor(int status) {
        switch (status) {
            case 429:
                return "rateLimitExceeded";
            case 500:
                return "internalError";
            case 503:
                return "backendError";
            case 403:
                return "forbidden";
            case 404:
                return "notFound";
            case 409:
                return "alreadyExists";
            case 412:
                return "conditionNotMet";
            default:
                return status >= 500 ? "backendError" : "badRequest";
        }
    }

    private static String messageFor(int status) {
        switch (status) {
            case 429:
                return "Rate Limit Exceeded";
            case 503:
                return "Backend Error";
            case 500:
                return "Internal Error";
            default:
                return "Injected HTTP " + status;
        }
    }

    private static Pattern route(String rest) {
        return Pattern.compile("/compute/v1/projects/([^/]+)/" + rest);
    }

    /** Decodes each segment; collapses repeated slashes (an endpoint with a trailing slash gives {@code //}). */
    private static String decodePath(String raw) {
        StringBuilder path = new StringBuilder();
        for (String segment : raw.split("/")) {
            if (!segment.isEmpty()) {
                path.append('/').append(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return path.length() == 0 ? "/" : path.toString();
    }

    private static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return query;
    }

    private static long newId() {
        // GCE ids are unsigned 64-bit numbers, printed as strings in JSON.
        return ThreadLocalRandom.current().nextLong(1_000_000_000_000_000L, Long.MAX_VALUE);
    }

    private static String now() {
        return OffsetDateTime.now(ZoneOffset.ofHours(-8)).toString();
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(Math.max(1, duration.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One term of a Compute list filter: {@code field op value} with {@code =}/{@code !=} (literal), {@code eq}/
     * {@code ne} (RE2 full match) or {@code :} ({@code *} = has), optionally in parentheses, joined by spaces or
     * {@code AND}. {@code OR} and nested expressions are refused with 400 rather than misread.
     */
    record Filter(String field, String op, String value) {

        private static final Pattern TERM = Pattern.compile(
                "\\s*(?:AND\\s+)?\\(?\\s*([A-Za-z][\\w.\\-]*)\\s*(!=|=|\\beq\\b|\\bne\\b|:)\\s*"
                        + "(\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s()]+)\\s*\\)?\\s*");

        static List<Filter> parse(String filter) {
            List<Filter> terms = new ArrayList<>();
            Matcher m = TERM.matcher(filter);
            int at = 0;
            while (at < filter.length()) {
                if (!m.find(at) || m.start() != at || m.end() == at) {
                    throw new ApiError(400, "invalid", "Invalid value for field 'filter': '" + filter
                            + "'. LocalComputeServer supports (field = \"value\") terms joined by AND only");
                }
                String value = m.group(3);
                if (value.startsWith("\"")) {
                    value = value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
                }
                if (m.group(1).equals("OR") || value.equals("OR")) {
                    throw new ApiError(400, "invalid", "LocalComputeServer does not support OR in filters");
                }
                terms.add(new Filter(m.group(1), m.group(2), value));
                at = m.end();
            }
            return terms;
        }

        static boolean matches(List<Filter> terms, String name, String status, Map<String, String> labels) {
            for (Filter term : terms) {
                String actual;
                if (term.field.startsWith("labels.")) {
                    actual = labels.get(term.field.substring("labels.".length()));
                } else if (term.field.equals("name")) {
                    actual = name;
                } else if (term.field.equals("status")) {
                    actual = status;
                } else {
                    throw new ApiError(400, "invalid", "LocalComputeServer cannot filter on " + term.field);
                }
                if (!term.test(actual)) {
                    return false;
                }
            }
            return true;
        }

        private boolean test(String actual) {
            switch (op) {
                case "=":
                    return value.equals(actual);
                case "!=":
                    return !value.equals(actual);
                case "eq":
                    return actual != null && actual.matches(value);
                case "ne":
                    return actual == null || !actual.matches(value);
                default:
                    return actual != null && (value.equals("*") || actual.contains(value));
            }
        }
    }
}
