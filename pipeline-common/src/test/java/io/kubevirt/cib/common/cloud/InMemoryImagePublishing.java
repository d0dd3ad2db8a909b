package io.kubevirt.cib.common.cloud;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-memory fake of GCP's publishing ports ({@link LaunchPermissions}, {@link ImageExports}, {@link ImageFamilies})
 * over an {@link InMemoryCloud}'s images. {@link #calls()} records every mutating call in order
 * ({@code addHeld NAME}, {@code makePublic ID}, {@code export ID URI}, {@code release ID}), so a publish-worker test
 * can assert the order; {@link #resolve} behaves as GCP's family resolution. Passes the same contracts as the GCE
 * adapters on the LocalComputeServer.
 */
public class InMemoryImagePublishing implements LaunchPermissions, ImageExports, ImageFamilies {

    private final InMemoryCloud cloud;
    private final String bucket;
    private final Set<String> publicImages = ConcurrentHashMap.newKeySet();
    private final Map<String, String> families = new ConcurrentHashMap<>();
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /** Family members in creation order (newest last), as GCP orders them by creation. */
    private final List<String> members = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Run> exports = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger ids = new AtomicInteger();
    private volatile Duration exportTime = Duration.ZERO;
    private volatile String failExportsWith;

    private record Run(String id, String imageId, String uri, Instant doneAt, String failure) {
        Export view(Instant now) {
            Export.State state = now.isBefore(doneAt) ? Export.State.RUNNING
                    : failure == null ? Export.State.SUCCEEDED : Export.State.FAILED;
            return new Export(id, imageId, uri, state);
        }
    }

    public InMemoryImagePublishing(InMemoryCloud cloud, String bucket) {
        this.cloud = cloud;
        this.bucket = bucket;
    }

    /** Exports take this long from start to end. */
    public InMemoryImagePublishing exportTime(Duration time) {
        this.exportTime = time;
        return this;
    }

    /** Exports started from now on fail with this reason (null: they succeed again). */
    public InMemoryImagePublishing failExports(String reason) {
        this.failExportsWith = reason;
        return this;
    }

    /** Mutating calls in order: {@code addHeld NAME}, {@code makePublic ID}, {@code export ID URI}, {@code release ID}. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** How many exports were started (joins and reuses not counted). */
    public int exportsStarted() {
        return exports.size();
    }

    @Override
    public void makePublic(String region, String imageId) {
        requireImage(imageId, "makePublic");
        calls.add("makePublic " + imageId);
        publicImages.add(imageId);
    }

    @Override
    public boolean isPublic(String region, String imageId) {
        return publicImages.contains(imageId);
    }

    @Override
    public String destinationFor(String imageName) {
        return "gs://" + bucket + "/" + imageName + ".tar.gz";
    }

    @Override
    public Optional<Export> find(String imageId, String destinationUri) {
        Instant now = Instant.now();
        synchronized (exports) {
            List<Export> runs = exports.values().stream()
                    .filter(r -> r.imageId().equals(imageId) && r.uri().equals(destinationUri))
                    .map(r -> r.view(now))
                    .filter(e -> e.state() != Export.State.FAILED)
                    .toList();
            return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(runs.size() - 1));
        }
    }

    @Override
    public Export export(String imageId, String destinationUri) {
        Run run;
        synchronized (exports) {
            Optional<Export> earlier = find(imageId, destinationUri);
            if (earlier.isPresent()) {
                run = exports.get(earlier.get().id());
            } else {
                calls.add("export " + imageId + " " + destinationUri);
                String failure = failExportsWith != null ? failExportsWith
                        : cloud.allImages().stream().anyMatch(i -> i.id().equals(imageId)) ? null
                        : "source image " + imageId + " not found";
                run = new Run("export-" + ids.incrementAndGet(), imageId, destinationUri,
                        Instant.now().plus(exportTime), failure);
                exports.put(run.id(), run);
            }
        }
        Duration left = Duration.between(Instant.now(), run.doneAt());
        if (!left.isNegative()) {
            try {
                Thread.sleep(left.toMillis() + 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CloudException("export of " + imageId + " interrupted", true, e);
            }
        }
        Export done = run.view(Instant.now());
        if (done.state() == Export.State.FAILED) {
            throw new CloudException("export " + run.id() + " of " + imageId + " failed: " + run.failure(), false,
                    null);
        }
        return done;
    }

    @Override
    public CloudImage addHeld(String family, String sourceImageId, String name, Map<String, String> tags) {
        calls.add("addHeld " + name);
        CloudImage source = requireImage(sourceImageId, "addHeld");
        Optional<CloudImage> existing = cloud.allImages().stream().filter(i -> i.id().equals(name)).findFirst();
        CloudImage image = existing.orElseGet(() -> {
            cloud.putImage(new CloudImage(name, name, source.location(), CloudImage.State.AVAILABLE, tags, List.of()));
            members.add(name);
            families.put(name, family);
            return cloud.allImages().stream().filter(i -> i.id().equals(name)).findFirst().orElseThrow();
        });
        held.add(name);
        return image;
    }

    @Override
    public void release(String imageId) {
        requireImage(imageId, "release");
        calls.add("release " + imageId);
        held.remove(imageId);
    }

    @Override
    public Optional<String> resolve(String family) {
        synchronized (members) {
            for (int i = members.size() - 1; i >= 0; i--) {
                String name = members.get(i);
                if (family.equals(families.get(name)) && !held.contains(name)
                        && cloud.allImages().stream().anyMatch(img -> img.id().equals(name))) {
                    return Optional.of(name);
                }
            }
        }
        return Optional.empty();
    }

    private CloudImage requireImage(String imageId, String call) {
        return cloud.allImages().stream().filter(i -> i.id().equals(imageId)).findFirst()
                .orElseThrow(() -> new CloudException(call + ": image " + imageId + " not found", false, null));
    }
}
