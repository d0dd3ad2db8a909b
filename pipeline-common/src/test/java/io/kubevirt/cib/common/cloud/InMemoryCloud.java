package io.kubevirt.cib.common.cloud;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-memory fake of the cloud ports for fast unit tests of decision logic. It passes the same contract tests as the
 * real adapters ({@link ImageCatalogContract}, {@link InstanceFleetContract}), so behaviour proven against it holds.
 */
public class InMemoryCloud implements ImageCatalog, InstanceFleet, CloudFixture {

    private final Map<String, CloudImage> images = new ConcurrentHashMap<>();
    private final Map<String, CloudInstance> instances = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, CloudInstance> launchesByToken = new ConcurrentHashMap<>();
    private final Map<String, LaunchSpec> launchSpecs = new ConcurrentHashMap<>();
    private final Map<String, List<String>> hostKeys = new ConcurrentHashMap<>();
    private final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public List<CloudImage> findImages(String location, Map<String, String> tags) {
        calls.add("findImages " + location);
        return images.values().stream()
                .filter(i -> i.location().equals(location))
                .filter(i -> i.tags().entrySet().containsAll(tags.entrySet()))
                .toList();
    }

    @Override
    public List<CloudImage> findImagesByName(String location, String name) {
        calls.add("findImagesByName " + name);
        return images.values().stream()
                .filter(i -> i.location().equals(location))
                .filter(i -> name.equals(i.name()))
                .toList();
    }

    @Override
    public void deleteImage(String location, String imageId) {
        calls.add("deleteImage " + imageId);
        images.remove(imageId);
    }

    @Override
    public List<CloudInstance> findInstances(String location, Map<String, String> tags) {
        calls.add("findInstances " + location);
        return instances.values().stream()
                .filter(i -> i.location().equals(location))
                .filter(i -> i.state().isAlive())
                .filter(i -> i.tags().entrySet().containsAll(tags.entrySet()))
                .toList();
    }

    @Override
    public void terminate(String location, Collection<String> instanceIds) {
        calls.add("terminate " + instanceIds);
        for (String id : instanceIds) {
            instances.computeIfPresent(id, (k, i) ->
                    new CloudInstance(i.id(), i.location(), CloudInstance.State.TERMINATED, i.tags()));
        }
    }

    @Override
    public Optional<CloudImage> getImage(String location, String imageId) {
        calls.add("getImage " + imageId);
        return Optional.ofNullable(images.get(imageId)).filter(i -> i.location().equals(location));
    }

    @Override
    public void tagImage(String location, String imageId, Map<String, String> tags) {
        calls.add("tagImage " + imageId);
        images.computeIfPresent(imageId, (k, i) -> {
            Map<String, String> merged = new java.util.HashMap<>(i.tags());
            merged.putAll(tags);
            return new CloudImage(i.id(), i.name(), i.location(), i.state(), merged, i.snapshotIds());
        });
    }

    @Override
    public void untagImage(String location, String imageId, java.util.Collection<String> keys) {
        calls.add("untagImage " + imageId);
        images.computeIfPresent(imageId, (k, i) -> {
            Map<String, String> kept = new java.util.HashMap<>(i.tags());
            kept.keySet().removeAll(keys);
            return new CloudImage(i.id(), i.name(), i.location(), i.state(), kept, i.snapshotIds());
        });
    }

    @Override
    public CloudInstance launch(LaunchSpec spec) {
        calls.add("launch " + spec.imageId());
        CloudInstance existing = launchesByToken.get(spec.idempotencyToken());
        if (existing != null) {
            return existing;
        }
        String id = String.format("i-%017x", ids.incrementAndGet());
        CloudInstance instance = new CloudInstance(id, spec.location(), CloudInstance.State.RUNNING, spec.tags(),
                Optional.of("127.0.0.1"));
        instances.put(id, instance);
        launchesByToken.put(spec.idempotencyToken(), instance);
        launchSpecs.put(id, spec);
        return instance;
    }

    @Override
    public Optional<CloudInstance> describe(String location, String instanceId) {
        return Optional.ofNullable(instances.get(instanceId)).filter(i -> i.location().equals(location));
    }

    @Override
    public List<String> hostKeys(String location, String instanceId) {
        return hostKeys.getOrDefault(instanceId, List.of());
    }

    @Override
    public String consoleOutput(String location, String instanceId) {
        return "";
    }

    /** What a booted instance would report as its host keys. */
    public void reportHostKeys(String instanceId, List<String> keys) {
        hostKeys.put(instanceId, List.copyOf(keys));
    }

    /** The spec an instance was launched with. */
    public LaunchSpec launchSpec(String instanceId) {
        return launchSpecs.get(instanceId);
    }

    @Override
    public String seedImage(String location, String name, Map<String, String> tags) {
        String id = String.format("ami-%017x", ids.incrementAndGet());
        String snapshot = String.format("snap-%017x", ids.incrementAndGet());
        images.put(id, new CloudImage(id, name, location, CloudImage.State.AVAILABLE, tags, List.of(snapshot)));
        return id;
    }

    /** An image in any state, e.g. what a creator left when it died between CreateImage and CreateTags. */
    public String seedImage(String location, String name, Map<String, String> tags, CloudImage.State state) {
        String id = seedImage(location, name, tags);
        images.computeIfPresent(id, (k, i) -> new CloudImage(i.id(), i.name(), i.location(), state, i.tags(),
                i.snapshotIds()));
        return id;
    }

    @Override
    public String seedInstance(String location, Map<String, String> tags) {
        String id = String.format("i-%017x", ids.incrementAndGet());
        instances.put(id, new CloudInstance(id, location, CloudInstance.State.RUNNING, tags));
        return id;
    }

    /** An image exactly as given (its id chosen by the caller), e.g. a GCP image whose id is its name. */
    public void putImage(CloudImage image) {
        images.put(image.id(), image);
    }

    /** Every port call in order, for tests that assert what was (not) called. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    public List<CloudImage> allImages() {
        return List.copyOf(images.values());
    }

    public List<CloudInstance> allInstances() {
        return List.copyOf(instances.values());
    }
}
