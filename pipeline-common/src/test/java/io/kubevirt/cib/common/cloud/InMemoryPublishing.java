package io.kubevirt.cib.common.cloud;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * In-memory fake of the publishing ports, over an {@link InMemoryCloud}'s images (copies are images there, so
 * {@link ImageCatalog#tagImage} tags them). Passes {@link PublishingContract}, like the AWS adapters on moto.
 */
public class InMemoryPublishing implements RegionDirectory, ImageCopies, LaunchPermissions, AccountSettings {

    private final InMemoryCloud cloud;
    private final List<RegionDirectory.RegionInfo> regions;
    private final Set<String> publicImages = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> deprecations = new ConcurrentHashMap<>();
    private final Map<String, String> failingRegions = new ConcurrentHashMap<>();
    private final Map<String, Duration> latency = new ConcurrentHashMap<>();
    private final List<String> copies = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
    private volatile CountDownLatch rendezvous;
    private volatile boolean blockPublic;

    public InMemoryPublishing(InMemoryCloud cloud, List<RegionDirectory.RegionInfo> regions) {
        this.cloud = cloud;
        this.regions = List.copyOf(regions);
    }

    /** Copies to {@code region} fail with this reason (e.g. a quota), as CopyImage would. */
    public InMemoryPublishing failCopiesTo(String region, String reason) {
        failingRegions.put(region, reason);
        return this;
    }

    public void healRegion(String region) {
        failingRegions.remove(region);
    }

    /** A copy to {@code region} becomes available only after this long. */
    public InMemoryPublishing copyLatency(String region, Duration d) {
        latency.put(region, d);
        return this;
    }

    /** A copy to {@code region} becomes available only once {@code until} opens (or its wait budget ends). */
    public InMemoryPublishing holdCopies(String region, CountDownLatch until) {
        holds.put(region, until);
        return this;
    }

    /**
     * Every copy waits until {@code copies} copies wait at once: copies made one after another never get there and
     * run out of their budget, so this tells concurrency from sequence without measuring time.
     */
    public InMemoryPublishing rendezvous(int copies) {
        this.rendezvous = new CountDownLatch(copies);
        return this;
    }

    public InMemoryPublishing blockPublicImages(boolean block) {
        this.blockPublic = block;
        return this;
    }

    /** "region imageId" of every copy started. */
    public List<String> copies() {
        return List.copyOf(copies);
    }

    public Optional<Instant> deprecation(String imageId) {
        return Optional.ofNullable(deprecations.get(imageId));
    }

    @Override
    public List<RegionDirectory.RegionInfo> regions(String sourceRegion) {
        String partition = partition(sourceRegion);
        return regions.stream().filter(r -> partition(r.name()).equals(partition)).toList();
    }

    static String partition(String region) {
        return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    }

    @Override
    public Optional<CloudImage> findCopy(String region, Map<String, String> tags, String name) {
        List<CloudImage> tagged = cloud.findImages(region, tags);
        if (!tagged.isEmpty()) {
            return Optional.of(tagged.get(0));
        }
        return cloud.findImagesByName(region, name).stream().findFirst();
    }

    @Override
    public String copy(CopyRequest request) {
        String reason = failingRegions.get(request.region());
        if (reason != null) {
            throw new CloudException("CopyImage in " + request.region() + " failed: " + reason, false, null);
        }
        if (cloud.getImage(request.sourceRegion(), request.sourceImageId()).isEmpty()) {
            throw new CloudException("CopyImage: InvalidAMIID.NotFound " + request.sourceImageId(), false, null);
        }
        String id = cloud.seedImage(request.region(), request.name(), Map.of());
        copies.add(request.region() + " " + id);
        return id;
    }

    @Override
    public CloudImage awaitAvailable(String region, String imageId, Duration budget) {
        Duration d = latency.getOrDefault(region, Duration.ZERO);
        if (d.compareTo(budget) > 0) {
            throw new CloudException("image " + imageId + " in " + region + " not available within " + budget, true,
                    null);
        }
        try {
            Thread.sleep(d.toMillis());
            CountDownLatch meet = rendezvous;
            if (meet != null) {
                meet.countDown();
            }
            for (CountDownLatch gate : new CountDownLatch[] {meet, holds.get(region)}) {
                if (gate != null && !gate.await(budget.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new CloudException("image " + imageId + " in " + region + " not available within "
                            + budget, true, null);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException("waiting for " + imageId + " interrupted", true, e);
        }
        return cloud.getImage(region, imageId)
                .orElseThrow(() -> new CloudException("image " + imageId + " vanished in " + region, false, null));
    }

    @Override
    public void deprecate(String region, String imageId, Instant at) {
        deprecations.put(imageId, at);
    }

    @Override
    public void makePublic(String region, String imageId) {
        if (blockPublic) {
            throw new CloudException("ModifyImageAttribute: image block public access is on", false, null);
        }
        if (cloud.getImage(region, imageId).isEmpty()) {
            throw new CloudException("ModifyImageAttribute: InvalidAMIID.NotFound " + imageId, false, null);
        }
        publicImages.add(imageId);
    }

    @Override
    public boolean isPublic(String region, String imageId) {
        return publicImages.contains(imageId);
    }

    @Override
    public boolean blocksPublicImages(String region) {
        return blockPublic;
    }

    @Override
    public OptionalInt publicImagesLeft(String region) {
        return OptionalInt.empty();
    }
}
