package io.kubevirt.cib.common.cloud;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-memory fake of the sweep ports ({@link Locations}, {@link TaggedResources}, {@link PackerTemporaries},
 * {@link ImageDeprecation}); passes {@link SweepPortsContract} like the real adapters.
 */
public class InMemoryLeftovers implements Locations, TaggedResources, PackerTemporaries, ImageDeprecation,
        SweepFixture {

    private final List<String> locations;
    private final Clock clock;
    private final Map<String, CloudResource> resources = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final List<String> removals = Collections.synchronizedList(new ArrayList<>());

    public InMemoryLeftovers(List<String> locations, Clock clock) {
        this.locations = List.copyOf(locations);
        this.clock = clock;
    }

    @Override
    public List<String> locations() {
        return locations;
    }

    @Override
    public List<CloudResource> findTagged(String location, CloudResource.Kind kind, String tagKey) {
        return resources.values().stream()
                .filter(r -> r.kind() == kind && java.util.Objects.equals(r.location(), location))
                .filter(r -> r.tags().containsKey(tagKey))
                .toList();
    }

    @Override
    public boolean remove(CloudResource resource) {
        boolean removed = resources.remove(resource.id()) != null;
        if (removed) {
            removals.add(resource.id());
        }
        return removed;
    }

    @Override
    public List<CloudResource> findByPrefix(String location, String namePrefix) {
        return resources.values().stream()
                .filter(r -> r.kind() == CloudResource.Kind.SECURITY_GROUP || r.kind() == CloudResource.Kind.KEY_PAIR)
                .filter(r -> location.equals(r.location()) && r.name() != null && r.name().startsWith(namePrefix))
                .toList();
    }

    @Override
    public boolean deprecate(CloudResource image, Instant at) {
        return resources.computeIfPresent(image.id(), (k, r) -> new CloudResource(r.kind(), r.id(), r.name(),
                r.location(), r.tags(), r.createdAt(), at)) != null;
    }

    @Override
    public String seed(String location, CloudResource.Kind kind, String name, Map<String, String> tags) {
        return put(kind, name, location, tags, clock.instant());
    }

    @Override
    public String seedNamed(String location, CloudResource.Kind kind, String name) {
        return put(kind, name, location, Map.of(), PackerNames.createdAt(name).orElse(clock.instant()));
    }

    /** A resource made at {@code createdAt}, e.g. an old Packer group or an older release. */
    public String seedAt(String location, CloudResource.Kind kind, String name, Map<String, String> tags,
            Instant createdAt) {
        return put(kind, name, location, tags, createdAt);
    }

    private String put(CloudResource.Kind kind, String name, String location, Map<String, String> tags,
            Instant createdAt) {
        String id = kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + ids.incrementAndGet();
        resources.put(id, new CloudResource(kind, id, name, location, tags, createdAt, null));
        return id;
    }

    public List<CloudResource> all() {
        return List.copyOf(resources.values());
    }

    public boolean exists(String id) {
        return resources.containsKey(id);
    }

    public CloudResource get(String id) {
        return resources.get(id);
    }

    /** Ids removed, in order, each once. */
    public List<String> removals() {
        return List.copyOf(removals);
    }
}
