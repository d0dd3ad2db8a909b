package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.DescribeImagesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSnapshotsRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * EC2 adapter for the cloud ports: AMIs (with their EBS snapshots) and instances, by region. Every SDK failure leaves
 * as a {@link CloudException}. Plain Java on purpose: tests build it directly, {@link AwsCloudProducer} wires it.
 */
public final class Ec2Cloud implements ImageCatalog, InstanceFleet, AutoCloseable {

    /** Every instance state except terminated: all of them still cost money or may still come up. */
    static final List<String> LIVE_INSTANCE_STATES = List.of("pending", "running", "stopping", "stopped",
            "shutting-down");

    private static final Set<String> IMAGE_GONE = Set.of("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable");
    private static final Set<String> SNAPSHOT_GONE = Set.of("InvalidSnapshot.NotFound");
    private static final Set<String> SNAPSHOT_IN_USE = Set.of("InvalidSnapshot.InUse");
    private static final Set<String> INSTANCE_GONE = Set.of("InvalidInstanceID.NotFound");
    /** TerminateInstances accepts at most this many ids per call. */
    private static final int TERMINATE_BATCH = 1000;

    private final Ec2Clients clients;
    private final SnapshotRelease snapshotRelease;

    public Ec2Cloud(Ec2Clients clients) {
        this(clients, SnapshotRelease.DEFAULT);
    }

    Ec2Cloud(Ec2Clients clients, SnapshotRelease snapshotRelease) {
        this.clients = Objects.requireNonNull(clients, "clients");
        this.snapshotRelease = Objects.requireNonNull(snapshotRelease, "snapshotRelease");
    }

    /**
     * How long {@link #deleteImage} keeps retrying DeleteSnapshot on {@code InvalidSnapshot.InUse}: AWS releases an
     * AMI's snapshots asynchronously after DeregisterImage, usually within seconds.
     */
    record SnapshotRelease(Duration firstDelay, Duration maxDelay, Duration budget) {
        static final SnapshotRelease DEFAULT =
                new SnapshotRelease(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofSeconds(30));
    }

    @Override
    public List<CloudImage> findImages(String location, Map<String, String> tags) {
        DescribeImagesRequest request = DescribeImagesRequest.builder()
                .owners("self")
                .filters(tagFilters(tags))
                .build();
        return call("DescribeImages", location, ec2 -> {
            List<CloudImage> found = new ArrayList<>();
            for (Image image : ec2.describeImagesPaginator(request).images()) {
                // A deregistered AMI is gone for every purpose; AWS may still list it for a while.
                if (image.state() == ImageState.DEREGISTERED) {
                    continue;
                }
                CloudImage mapped = toCloudImage(location, image);
                // Exact match on top of the server-side filter: filter values are wildcard patterns.
                if (mapped.tags().entrySet().containsAll(tags.entrySet())) {
                    found.add(mapped);
                }
            }
            return List.copyOf(found);
        });
    }

    @Override
    public void deleteImage(String location, String imageId) {
        Objects.requireNonNull(imageId, "imageId");
        Optional<Image> image = call("DescribeImages(" + imageId + ")", location, ec2 -> describeOwnImage(ec2, imageId));
        List<String> snapshots;
        if (image.isPresent()) {
            snapshots = snapshotIds(image.get());
            if (image.get().state() != ImageState.DEREGISTERED) {
                call("DeregisterImage(" + imageId + ")", location, ec2 -> {
                    try {
                        ec2.deregisterImage(r -> r.imageId(imageId));
                    } catch (SdkException e) {
                        if (!AwsErrors.hasCode(e, IMAGE_GONE)) {
                            throw e;
                        }
                    }
                    return null;
                });
            }
        } else {
            // An earlier attempt may have deregistered the image and then failed on its snapshots: without this the
            // retry would see "image gone" and leak them, as nothing else points at untagged CreateImage snapshots.
            snapshots = call("DescribeSnapshots(" + imageId + ")", location, ec2 -> snapshotsCreatedFor(ec2, imageId));
        }
        for (String snapshotId : snapshots) {
            deleteSnapshot(location, snapshotId);
        }
    }

    @Override
    public List<CloudInstance> findInstances(String location, Map<String, String> tags) {
        List<Filter> filters = new ArrayList<>(tagFilters(tags));
        filters.add(Filter.builder().name("instance-state-name").values(LIVE_INSTANCE_STATES).build());
        DescribeInstancesRequest request = DescribeInstancesRequest.builder().filters(filters).build();
        return call("DescribeInstances", location, ec2 -> {
            List<CloudInstance> found = new ArrayList<>();
            for (Reservation reservation : ec2.describeInstancesPaginator(request).reservations()) {
                for (Instance instance : reservation.instances()) {
                    CloudInstance mapped = toCloudInstance(location, instance);
                    if (mapped.state().isAlive() && mapped.tags().entrySet().containsAll(tags.entrySet())) {
                        found.add(mapped);
                    }
                }
            }
            return List.copyOf(found);
        });
    }

    @Override
    public void terminate(String location, Collection<String> instanceIds) {
        List<String> ids = List.copyOf(new LinkedHashSet<>(instanceIds));
        for (int from = 0; from < ids.size(); from += TERMINATE_BATCH) {
            List<String> batch = ids.subList(from, Math.min(ids.size(), from + TERMINATE_BATCH));
            // Name a few ids in errors; a thousand would drown the error code.
            String operation = "TerminateInstances" + (batch.size() <= 5 ? batch : "[" + batch.size() + " ids]");
            call(operation, location, ec2 -> {
                try {
                    ec2.terminateInstances(r -> r.instanceIds(batch));
                } catch (SdkException e) {
                    if (!AwsErrors.hasCode(e, INSTANCE_GONE)) {
                        throw e;
                    }
                    // One unknown id fails the whole call and terminates nothing, so go one by one.
                    if (batch.size() > 1) {
                        batch.forEach(id -> terminateOne(ec2, id));
                    }
                }
                return null;
            });
        }
    }

    @Override
    public void close() {
        clients.close();
    }

    private static void terminateOne(Ec2Client ec2, String id) {
        try {
            ec2.terminateInstances(r -> r.instanceIds(id));
        } catch (SdkException e) {
            if (!AwsErrors.hasCode(e, INSTANCE_GONE)) {
                throw e;
            }
        }
    }

    private Optional<Image> describeOwnImage(Ec2Client ec2, String imageId) {
        try {
            return ec2.describeImages(r -> r.owners("self").imageIds(imageId)).images().stream().findFirst();
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, IMAGE_GONE)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Snapshots whose description AWS wrote when CreateImage or CopyImage made them for this AMI. */
    private static List<String> snapshotsCreatedFor(Ec2Client ec2, String imageId) {
        DescribeSnapshotsRequest request = DescribeSnapshotsRequest.builder()
                .ownerIds("self")
                .filters(Filter.builder().name("description").values(
                        "Created by CreateImage(*) for " + imageId,
                        "Created by CreateImage(*) for " + imageId + " *",
                        "Copied for DestinationAmi " + imageId + " *").build())
                .build();
        List<String> ids = new ArrayList<>();
        for (Snapshot snapshot : ec2.describeSnapshotsPaginator(request).snapshots()) {
            ids.add(snapshot.snapshotId());
        }
        return ids;
    }

    private void deleteSnapshot(String location, String snapshotId) {
        String operation = "DeleteSnapshot(" + snapshotId + ")";
        long deadline = System.nanoTime() + snapshotRelease.budget().toNanos();
        Duration delay = snapshotRelease.firstDelay();
        while (true) {
            try {
                clients.forRegion(location).deleteSnapshot(r -> r.snapshotId(snapshotId));
                return;
            } catch (SdkException e) {
                if (AwsErrors.hasCode(e, SNAPSHOT_GONE)) {
                    return;
                }
                if (!AwsErrors.hasCode(e, SNAPSHOT_IN_USE) || System.nanoTime() + delay.toNanos() > deadline) {
                    throw AwsErrors.translate(operation, location, e);
                }
            }
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw AwsErrors.interrupted(operation, location, e);
            }
            Duration doubled = delay.multipliedBy(2);
            delay = doubled.compareTo(snapshotRelease.maxDelay()) > 0 ? snapshotRelease.maxDelay() : doubled;
        }
    }

    private <T> T call(String operation, String location, Function<Ec2Client, T> action) {
        try {
            return action.apply(clients.forRegion(location));
        } catch (SdkException e) {
            throw AwsErrors.translate(operation, location, e);
        }
    }

    private static List<Filter> tagFilters(Map<String, String> tags) {
        return tags.entrySet().stream()
                .map(tag -> Filter.builder().name("tag:" + tag.getKey()).values(literal(tag.getValue())).build())
                .toList();
    }

    /** EC2 filter values treat {@code *} and {@code ?} as wildcards; a backslash makes them literal. */
    static String literal(String value) {
        return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?");
    }

    static CloudImage toCloudImage(String location, Image image) {
        return new CloudImage(image.imageId(), image.name(), location, imageState(image.state()),
                tagMap(image.tags()), snapshotIds(image));
    }

    static CloudInstance toCloudInstance(String location, Instance instance) {
        return new CloudInstance(instance.instanceId(), location, instanceState(instance),
                tagMap(instance.tags()));
    }

    static CloudImage.State imageState(ImageState state) {
        if (state == null) {
            return CloudImage.State.PENDING;
        }
        return switch (state) {
            case AVAILABLE -> CloudImage.State.AVAILABLE;
            case PENDING, TRANSIENT -> CloudImage.State.PENDING;
            // failed, error, invalid, deregistered, disabled, and states newer than this SDK: not usable.
            default -> CloudImage.State.FAILED;
        };
    }

    static CloudInstance.State instanceState(Instance instance) {
        if (instance.state() == null || instance.state().name() == null) {
            return CloudInstance.State.PENDING;
        }
        return switch (instance.state().name()) {
            case RUNNING -> CloudInstance.State.RUNNING;
            case STOPPING -> CloudInstance.State.STOPPING;
            case STOPPED -> CloudInstance.State.STOPPED;
            case SHUTTING_DOWN -> CloudInstance.State.SHUTTING_DOWN;
            case TERMINATED -> CloudInstance.State.TERMINATED;
            // pending, and states newer than this SDK: count as alive so nothing is overlooked.
            default -> CloudInstance.State.PENDING;
        };
    }

    private static List<String> snapshotIds(Image image) {
        return image.blockDeviceMappings().stream()
                .map(BlockDeviceMapping::ebs)
                .filter(Objects::nonNull)
                .map(ebs -> ebs.snapshotId())
                .filter(Objects::nonNull)
                .distinct()
                .toList();
    }

    private static Map<String, String> tagMap(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, t -> t.value() == null ? "" : t.value(), (a, b) -> b));
    }
}
