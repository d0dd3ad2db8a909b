package io.kubevirt.cib.gcp.testing;

import com.google.cloudbuild.v1.Build;
import com.google.cloudbuild.v1.BuildOperationMetadata;
import com.google.cloudbuild.v1.BuildStep;
import com.google.cloudbuild.v1.ListBuildsResponse;
import com.google.longrunning.Operation;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Cloud Build v1 REST paths the image export calls, served by {@link LocalComputeServer} on the same port (the
 * adapter's Cloud Build endpoint override points there too): {@code POST /v1/projects/{p}/builds} answers a
 * long-running operation ({@code operations/build/{p}/{id}}, metadata {@code BuildOperationMetadata}),
 * {@code GET /v1/operations/build/{p}/{id}} polls it (done: {@code response} = the Build; a failed build: an
 * {@code error}, as Cloud Build reports one), {@code GET /v1/projects/{p}/builds} lists newest first with a
 * {@code filter} of {@code field="value"} terms joined by AND ({@code tags}, {@code status}, {@code id}), and
 * {@code GET /v1/projects/{p}/builds/{id}}.
 *
 * <p>A build is QUEUED, WORKING after a tenth of {@link #setBuildDuration}, and SUCCESS when it has passed. A step
 * named {@code .../gce_vm_image_export[:tag]} succeeds only if its {@code -source_image} is a READY image on the Compute side;
 * then its {@code -destination_uri} is recorded as written ({@link #exportedObjects}). {@link #failNextBuild} makes
 * the next build end FAILURE.
 */
public final class LocalCloudBuild {

    static final String PREFIX = "/v1/";
    private static final Pattern BUILDS = Pattern.compile("/v1/projects/([^/]+)/builds");
    private static final Pattern BUILD = Pattern.compile("/v1/projects/([^/]+)/builds/([^/:]+)");
    private static final Pattern OPERATION = Pattern.compile("/v1/operations/build/([^/]+)/([^/]+)");
    private static final Pattern TERM = Pattern.compile("\\s*(?:AND\\s+)?([a-z_]+)\\s*=\\s*\"([^\"]*)\"\\s*");
    private static final Pattern IMAGE_URL = Pattern.compile("(?:.*/)?projects/([^/]+)/global/images/([^/]+)");
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().usingTypeRegistry(
            JsonFormat.TypeRegistry.newBuilder().add(Build.getDescriptor())
                    .add(BuildOperationMetadata.getDescriptor()).build());
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final Object lock;
    private final BiPredicate<String, String> imageReady;
    private final Map<String, Tracked> builds = new LinkedHashMap<>();
    private final Map<String, String> objects = new LinkedHashMap<>();
    private final Deque<String> failures = new ArrayDeque<>();
    private Duration buildDuration = Duration.ZERO;
    private int creates;

    private static final class Tracked {
        private final Build.Builder build;
        private final long startedNanos;
        private final Duration duration;
        private final String failure;

        Tracked(Build.Builder build, long startedNanos, Duration duration, String failure) {
            this.build = build;
            this.startedNanos = startedNanos;
            this.duration = duration;
            this.failure = failure;
        }
    }

    /** One HTTP error answer. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    LocalCloudBuild(Object lock, BiPredicate<String, String> imageReady) {
        this.lock = lock;
        this.imageReady = imageReady;
    }

    /** Builds from now on take this long from QUEUED to their end (zero: done when created). */
    public void setBuildDuration(Duration duration) {
        synchronized (lock) {
            buildDuration = duration;
        }
    }

    /** The next build created ends FAILURE with this status detail. */
    public void failNextBuild(String detail) {
        synchronized (lock) {
            failures.add(detail);
        }
    }

    /** Every build, oldest first, as Cloud Build would report it now. */
    public List<Build> builds() {
        synchronized (lock) {
            settle();
            return builds.values().stream().map(t -> t.build.build()).toList();
        }
    }

    /** CreateBuild requests received. */
    public int createRequests() {
        synchronized (lock) {
            return creates;
        }
    }

    /** Objects a successful export step wrote: destination URI -> source image URL. */
    public Map<String, String> exportedObjects() {
        synchronized (lock) {
            settle();
            return Map.copyOf(objects);
        }
    }

    void reset() {
        builds.clear();
        objects.clear();
        failures.clear();
        buildDuration = Duration.ZERO;
        creates = 0;
    }

    /** Called by the server under its lock. */
    String dispatch(String method, String path, Map<String, List<String>> query, String body) {
        settle();
        Matcher m;
        if ((m = BUILDS.matcher(path)).matches() && method.equals("POST")) {
            return create(m.group(1), body);
        }
        if (m.matches() && method.equals("GET")) {
            return list(m.group(1), first(query, "filter").orElse(""), first(query, "pageSize"),
                    first(query, "pageToken"));
        }
        if ((m = BUILD.matcher(path)).matches() && method.equals("GET")) {
            return print(tracked(m.group(1), m.group(2)).build.build());
        }
        if ((m = OPERATION.matcher(path)).matches() && method.equals("GET")) {
            return print(operation(tracked(m.group(1), m.group(2))));
        }
        throw new Refused(400, "LocalCloudBuild does not implement " + method + " " + path);
    }

    private String create(String project, String body) {
        creates++;
        Build.Builder build = Build.newBuilder();
        try {
            PARSER.merge(body.isBlank() ? "{}" : body, build);
        } catch (InvalidProtocolBufferException e) {
            throw new Refused(400, "Invalid JSON payload received. " + e.getMessage());
        }
        if (build.getStepsCount() == 0) {
            throw new Refused(400, "invalid build: at least one step is required");
        }
        for (String tag : build.getTagsList()) {
            if (!tag.matches("[\\w][\\w.-]{0,127}")) {
                throw new Refused(400, "invalid build tag \"" + tag + "\"");
            }
        }
        String id = UUID.randomUUID().toString();
        build.setId(id).setProjectId(project).setStatus(Build.Status.QUEUED).setCreateTime(now())
                .setLogUrl("https://console.cloud.google.com/cloud-build/builds/" + id + "?project=" + project);
        builds.put(project + "/" + id, new Tracked(build, System.nanoTime(), buildDuration, failures.poll()));
        settle();
        return print(operation(builds.get(project + "/" + id)));
    }

    private String list(String project, String filter, Optional<String> pageSize, Optional<String> pageToken) {
        Map<String, String> terms = new LinkedHashMap<>();
        Matcher m = TERM.matcher(filter);
        int at = 0;
        while (at < filter.length()) {
            if (!m.find(at) || m.start() != at || m.end() == at) {
                throw new Refused(400, "invalid filter (LocalCloudBuild: field=\"value\" AND ...): " + filter);
            }
            terms.put(m.group(1), m.group(2));
            at = m.end();
        }
        List<Build> matching = new ArrayList<>();
        for (Tracked t : builds.values()) {
            Build b = t.build.build();
            if (b.getProjectId().equals(project) && terms.entrySet().stream().allMatch(term -> switch (term.getKey()) {
                case "tags" -> b.getTagsList().contains(term.getValue());
                case "status" -> b.getStatus().name().equals(term.getValue());
                case "id" -> b.getId().equals(term.getValue());
                default -> throw new Refused(400, "LocalCloudBuild cannot filter on " + term.getKey());
            })) {
                matching.add(0, b); // newest first, as Cloud Build lists
            }
        }
        int size = pageSize.map(Integer::parseInt).filter(n -> n > 0).orElse(50);
        int from = pageToken.filter(t -> !t.isEmpty()).map(Integer::parseInt).orElse(0);
        int to = Math.min(matching.size(), from + size);
        ListBuildsResponse.Builder answer = ListBuildsResponse.newBuilder()
                .addAllBuilds(from >= matching.size() ? List.of() : matching.subList(from, to));
        if (to < matching.size()) {
            answer.setNextPageToken(Integer.toString(to));
        }
        return print(answer.build());
    }

    private Tracked tracked(String project, String id) {
        Tracked t = builds.get(project + "/" + id);
        if (t == null) {
            throw new Refused(404, "Requested entity was not found.");
        }
        return t;
    }

    private Operation operation(Tracked t) {
        Build build = t.build.build();
        Operation.Builder op = Operation.newBuilder()
                .setName("operations/build/" + build.getProjectId() + "/" + build.getId())
                .setMetadata(Any.pack(BuildOperationMetadata.newBuilder().setBuild(build).build()));
        switch (build.getStatus()) {
            case SUCCESS -> op.setDone(true).setResponse(Any.pack(build));
            case FAILURE, TIMEOUT, CANCELLED, INTERNAL_ERROR, EXPIRED -> op.setDone(true).setError(Status.newBuilder()
                    .setCode(2).setMessage("Build failed; check build logs for details"));
            default -> op.setDone(false);
        }
        return op.build();
    }

    private void settle() {
        long now = System.nanoTime();
        for (Tracked t : builds.values()) {
            Build.Status status = t.build.getStatus();
            if (status != Build.Status.QUEUED && status != Build.Status.WORKING) {
                continue;
            }
            long elapsed = now - t.startedNanos;
            if (elapsed >= t.duration.toNanos()) {
                finish(t);
            } else if (status == Build.Status.QUEUED && elapsed >= t.duration.toNanos() / 10) {
                t.build.setStatus(Build.Status.WORKING).setStartTime(now());
            }
        }
    }

    private void finish(Tracked t) {
        t.build.setFinishTime(now());
        if (!t.build.hasStartTime()) {
            t.build.setStartTime(now());
        }
        if (t.failure != null) {
            t.build.setStatus(Build.Status.FAILURE).setStatusDetail(t.failure);
            return;
        }
        Map<String, String> written = new LinkedHashMap<>();
        for (BuildStep step : t.build.getStepsList()) {
            if (!step.getName().contains("/gce_vm_image_export")) {
                continue;
            }
            String source = arg(step, "-source_image");
            String destination = arg(step, "-destination_uri");
            Matcher image = IMAGE_URL.matcher(source == null ? "" : source);
            if (destination == null || !destination.startsWith("gs://") || !image.matches()
                    || !imageReady.test(image.group(1), image.group(2))) {
                t.build.setStatus(Build.Status.FAILURE).setStatusDetail("step " + step.getName()
                        + " failed: source image " + source + " not found or destination " + destination + " invalid");
                return;
            }
            written.put(destination, source);
        }
        objects.putAll(written);
        t.build.setStatus(Build.Status.SUCCESS);
    }

    /** {@code -name=value} (as gcloud passes them) or {@code -name value}. */
    private static String arg(BuildStep step, String name) {
        List<String> args = step.getArgsList();
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).startsWith(name + "=")) {
                return args.get(i).substring(name.length() + 1);
            }
            if (args.get(i).equals(name) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
        }
        return null;
    }

    private static Optional<String> first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    private static Timestamp now() {
        Instant now = Instant.now();
        return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    }

    private static String print(com.google.protobuf.MessageOrBuilder message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
