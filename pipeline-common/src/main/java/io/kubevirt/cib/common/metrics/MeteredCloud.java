package io.kubevirt.cib.common.metrics;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.CloudPorts;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import io.kubevirt.cib.events.Cloud;
import java.util.EnumMap;

/**
 * Wraps a cloud's ports so every call is timed as {@code cib.cloud.calls} with tags cloud, operation and outcome
 * (ok, retryable, failed). Adapters keep their own retries (the SDKs'); this is what an operator graphs to see a
 * cloud slowing down or throttling.
 */
public final class MeteredCloud implements ImageCatalog, InstanceFleet {

    private final ImageCatalog images;
    private final InstanceFleet instances;
    private final MeterRegistry meters;
    private final String cloud;

    /**
     * The ports of the clouds a worker is configured for ({@code cib.<worker>.clouds}), each metered; a request for
     * a cloud not in the map is refused by the phase as not enabled. Every worker wires its clouds through this.
     */
    public static Map<Cloud, CloudPorts> enabled(Collection<String> names,
            CloudPorts aws, CloudPorts gcp, MeterRegistry meters) {
        Map<Cloud, CloudPorts> clouds =
                new EnumMap<>(Cloud.class);
        for (String name : names) {
            Cloud cloud = Cloud.fromWireName(name);
            CloudPorts ports = cloud == Cloud.AWS ? aws : gcp;
            MeteredCloud metered = new MeteredCloud(name, ports.images(), ports.instances(), meters);
            clouds.put(cloud, new CloudPorts(metered, metered));
        }
        return clouds;
    }

    public MeteredCloud(String cloud, ImageCatalog images, InstanceFleet instances, MeterRegistry meters) {
        this.cloud = cloud;
        this.images = images;
        this.instances = instances;
        this.meters = meters;
    }

    @Override
    public List<CloudImage> findImages(String location, Map<String, String> tags) {
        return timed("findImages", () -> images.findImages(location, tags));
    }

    @Override
    public List<CloudImage> findImagesByName(String location, String name) {
        return timed("findImagesByName", () -> images.findImagesByName(location, name));
    }

    @Override
    public void deleteImage(String location, String imageId) {
        timed("deleteImage", () -> {
            images.deleteImage(location, imageId);
            return null;
        });
    }

    @Override
    public Optional<CloudImage> getImage(String location, String imageId) {
        return timed("getImage", () -> images.getImage(location, imageId));
    }

    @Override
    public void tagImage(String location, String imageId, Map<String, String> tags) {
        timed("tagImage", () -> {
            images.tagImage(location, imageId, tags);
            return null;
        });
    }

    @Override
    public void untagImage(String location, String imageId, Collection<String> keys) {
        timed("untagImage", () -> {
            images.untagImage(location, imageId, keys);
            return null;
        });
    }

    @Override
    public List<CloudInstance> findInstances(String location, Map<String, String> tags) {
        return timed("findInstances", () -> instances.findInstances(location, tags));
    }

    @Override
    public void terminate(String location, Collection<String> instanceIds) {
        timed("terminate", () -> {
            instances.terminate(location, instanceIds);
            return null;
        });
    }

    @Override
    public CloudInstance launch(LaunchSpec spec) {
        return timed("launch", () -> instances.launch(spec));
    }

    @Override
    public Optional<CloudInstance> describe(String location, String instanceId) {
        return timed("describe", () -> instances.describe(location, instanceId));
    }

    @Override
    public List<String> hostKeys(String location, String instanceId) {
        return timed("hostKeys", () -> instances.hostKeys(location, instanceId));
    }

    @Override
    public String consoleOutput(String location, String instanceId) {
        return timed("consoleOutput", () -> instances.consoleOutput(location, instanceId));
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        String outcome = "failed";
        try {
            T result = call.get();
            outcome = "ok";
            return result;
        } catch (CloudException e) {
            outcome = e.retryable() ? "retryable" : "failed";
            throw e;
        } finally {
            Timer.builder("cib.cloud.calls")
                    .description("Calls to a cloud through the pipeline's ports")
                    .tag("cloud", cloud)
                    .tag("operation", operation)
                    .tag("outcome", outcome)
                    .register(meters)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}
