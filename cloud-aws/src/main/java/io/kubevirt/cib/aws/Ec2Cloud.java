package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.HostKeys;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.LaunchSpec;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.common.wait.GuardedWaiter;
import io.micrometer.core.instrument.Metrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
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
import software.amazon.awssdk.services.ec2.model.CpuOptionsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeImagesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSnapshotsRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.GetConsoleOutputResponse;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.NestedVirtualizationSpecification;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VolumeType;

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
    /**
     * What EC2 may answer GetConsoleOutput with Latest=true on a non-Nitro (Xen) instance type. AWS documents that
     * Latest is "supported on instance types that use the Nitro hypervisor" but not the error code otherwise, so
     * any of these makes us ask again for the buffered output.
     */
    private static final Set<String> LATEST_UNSUPPORTED = Set.of("UnsupportedOperation", "InvalidParameter",
            "InvalidParameterValue", "InvalidParameterCombination");
    /** TerminateInstances accepts at most this many ids per call. */
    private static final int TERMINATE_BATCH = 1000;

    private final Ec2Clients clients;
    private final Waiter waiter;
    private final WaitPolicy snapshotRelease;

    public Ec2Cloud(Ec2Clients clients) {
        this(clients, new GuardedWaiter(Metrics.globalRegistry), SNAPSHOT_RELEASE);
    }

    /** {@code waiter} and {@code snapshotRelease}: how {@link #deleteImage} waits for EC2 to release snapshots. */
    public Ec2Cloud(Ec2Clients clients, Waiter waiter, WaitPolicy snapshotRelease) {
        this.clients = Objects.requireNonNull(clients, "clients");
        this.waiter = Objects.requireNonNull(waiter, "waiter");
        this.snapshotRelease = Objects.requireNonNull(snapshotRelease, "snapshotRelease");
    }

    /**
     * How long {@link #deleteImage} keeps retrying DeleteSnapshot on {@code InvalidSnapshot.InUse}: AWS releases an
     * AMI's snapshots asynchronously after DeregisterImage, usually within seconds. The SDK has no waiter for that.
     */
    static final WaitPolicy SNAPSHOT_RELEASE =
            new WaitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofSeconds(30));

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
    public List<CloudImage> findImagesByName(String location, String name) {
        Objects.requireNonNull(name, "name");
        DescribeImagesRequest request = DescribeImagesRequest.builder()
                .owners("self")
                .filters(Filter.builder().name("name").values(literal(name)).build())
                .build();
        return call("DescribeImages(name)", location, ec2 -> {
            List<CloudImage> found = new ArrayList<>();
            for (Image image : ec2.describeImagesPaginator(request).images()) {
                if (image.state() != ImageState.DEREGISTERED && name.equals(image.name())) {
                    found.add(toCloudImage(location, image));
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
    public Optional<CloudImage> getImage(String location, String imageId) {
        Objects.requireNonNull(imageId, "imageId");
        // An image-id filter rather than ImageIds: moto ignores Owners when ImageIds is given (AWS applies both),
        // and a filter answers an unknown id with an empty list instead of InvalidAMIID.NotFound.
        DescribeImagesRequest request = DescribeImagesRequest.builder()
                .owners("self")
                .filters(Filter.builder().name("image-id").values(literal(imageId)).build())
                .build();
        return call("DescribeImages(" + imageId + ")", location, ec2 -> ec2.describeImages(request).images().stream()
                .filter(image -> imageId.equals(image.imageId()))
                // A deregistered AMI is gone for every purpose; AWS may still list it for a while.
                .filter(image -> image.state() != ImageState.DEREGISTERED)
                .findFirst()
                .map(image -> toCloudImage(location, image)));
    }

    @Override
    public void tagImage(String location, String imageId, Map<String, String> tags) {
        Objects.requireNonNull(imageId, "imageId");
        if (tags.isEmpty()) {
            return; // CreateTags refuses an empty tag list
        }
        // The AMI's snapshots get the tags too (as Packer's snapshot_tags do), so that no part of an image that
        // was tagged after the fact (an adopted one) is invisible to lookups and the sweep.
        List<String> resources = new ArrayList<>(List.of(imageId));
        call("DescribeImages(" + imageId + ")", location, ec2 -> describeOwnImage(ec2, imageId))
                .ifPresent(image -> resources.addAll(snapshotIds(image)));
        // CreateTags adds to the tags already there and overwrites only the keys given: a merge, not a replace.
        call("CreateTags(" + imageId + ")", location,
                ec2 -> ec2.createTags(r -> r.resources(resources).tags(tags(tags))));
    }

    @Override
    public void untagImage(String location, String imageId, Collection<String> keys) {
        Objects.requireNonNull(imageId, "imageId");
        if (keys.isEmpty()) {
            return;
        }
        // A tag given by key only is removed whatever its value; keys the image lacks are ignored by EC2.
        List<Tag> tags = keys.stream().distinct().map(k -> Tag.builder().key(k).build()).toList();
        call("DeleteTags(" + imageId + ")", location, ec2 -> ec2.deleteTags(r -> r.resources(imageId).tags(tags)));
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

    /**
     * RunInstances for one instance; returns at once (pending), the caller polls {@link #describe}.
     *
     * <p>Idempotency: the spec's token goes out as ClientToken, so AWS answers a repeated call with the first launch
     * instead of starting a second instance (the same token with other parameters fails with
     * IdempotentParameterMismatch). moto ignores ClientToken (two calls, two instances), so callers look for an
     * earlier launch by its tags first ({@link #findInstances}) and only then call this.
     *
     * <p>SSH: the public key goes in as cloud-init user data ({@code ssh_authorized_keys}), which cloud-init installs
     * for the image's <em>default user</em> ({@code ubuntu} on Ubuntu AMIs, {@code ec2-user} on Amazon Linux,
     * {@code admin} on Debian). On AWS {@link LaunchSpec#sshUser()} is therefore not applied: it must name that
     * default user. No EC2 key pair is used.
     *
     * <p>Disk: with {@code diskSizeGb > 0} the image's root device (looked up with DescribeImages) becomes a gp3
     * volume of that size, deleted with the instance; it must not be smaller than the image's root snapshot.
     */
    @Override
    public CloudInstance launch(LaunchSpec spec) {
        String location = spec.location();
        RunInstancesRequest.Builder request = RunInstancesRequest.builder()
                .minCount(1)
                .maxCount(1)
                .imageId(spec.imageId())
                .instanceType(spec.machineType())
                .clientToken(spec.idempotencyToken())
                .userData(userData(spec.sshPublicKey()));
        spec.subnet().ifPresent(request::subnetId);
        if (!spec.firewallGroups().isEmpty()) {
            request.securityGroupIds(spec.firewallGroups());
        }
        if (!spec.tags().isEmpty()) {
            // Tagged in the same call as the launch, so no instance or volume ever exists untagged.
            request.tagSpecifications(
                    TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags(spec.tags())).build(),
                    TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags(spec.tags())).build());
        }
        if (spec.diskSizeGb() > 0) {
            String rootDevice = call("DescribeImages(" + spec.imageId() + ")", location,
                    ec2 -> rootDeviceName(ec2, spec.imageId()));
            request.blockDeviceMappings(BlockDeviceMapping.builder()
                    .deviceName(rootDevice)
                    .ebs(ebs -> ebs.volumeSize(spec.diskSizeGb()).volumeType(VolumeType.GP3).deleteOnTermination(true))
                    .build());
        }
        if (spec.nestedVirtualization()) {
            // SDK 2.57.8 has CpuOptions.NestedVirtualization (the Feb 2026 EC2 feature behind the CLI's
            // --cpu-options NestedVirtualization=enabled). AWS accepts it only on instance types that support it
            // (C8i/M8i/R8i at launch) and refuses the launch otherwise; moto ignores CpuOptions.
            request.cpuOptions(CpuOptionsRequest.builder()
                    .nestedVirtualization(NestedVirtualizationSpecification.ENABLED)
                    .build());
        }
        RunInstancesRequest built = request.build();
        Instance instance = call("RunInstances(" + spec.imageId() + ")", location,
                ec2 -> ec2.runInstances(built).instances().get(0));
        CloudInstance launched = toCloudInstance(location, instance);
        // The tags were applied atomically with the launch, whether or not this response lists them.
        Map<String, String> tags = new LinkedHashMap<>(launched.tags());
        tags.putAll(spec.tags());
        return new CloudInstance(launched.id(), location, launched.state(), tags, launched.address());
    }

    /**
     * Empty for an instance EC2 does not know. Note that right after RunInstances EC2 itself may answer
     * InvalidInstanceID.NotFound for a few seconds (eventual consistency), so a poller should not take "empty" just
     * after a launch as "gone".
     */
    @Override
    public Optional<CloudInstance> describe(String location, String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        return call("DescribeInstances(" + instanceId + ")", location, ec2 -> {
            try {
                return ec2.describeInstances(r -> r.instanceIds(instanceId)).reservations().stream()
                        .flatMap(reservation -> reservation.instances().stream())
                        .filter(instance -> instanceId.equals(instance.instanceId()))
                        .findFirst()
                        .map(instance -> toCloudInstance(location, instance));
            } catch (SdkException e) {
                if (AwsErrors.hasCode(e, INSTANCE_GONE)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** From the {@code SSH HOST KEY KEYS} block cloud-init prints to the console at first boot. */
    @Override
    public List<String> hostKeys(String location, String instanceId) {
        return HostKeys.fromCloudInitConsole(consoleOutput(location, instanceId));
    }

    /**
     * GetConsoleOutput, decoded. Asks for the latest output (Nitro instance types); where EC2 refuses that, the
     * buffered output, which AWS posts shortly after boot, reboot, stop and termination. At most the last 64 KB.
     */
    @Override
    public String consoleOutput(String location, String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        GetConsoleOutputResponse response = call("GetConsoleOutput(" + instanceId + ")", location, ec2 -> {
            try {
                return ec2.getConsoleOutput(r -> r.instanceId(instanceId).latest(true));
            } catch (SdkException e) {
                if (!AwsErrors.hasCode(e, LATEST_UNSUPPORTED)) {
                    throw e;
                }
                return ec2.getConsoleOutput(r -> r.instanceId(instanceId));
            }
        });
        return decodeConsole(response.output());
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
        try {
            waiter.retrying("ec2-snapshot-release", snapshotRelease, Attempt.uncancellable(operation),
                    e -> e instanceof SdkException sdk && AwsErrors.hasCode(sdk, SNAPSHOT_IN_USE), () -> {
                        try {
                            clients.forRegion(location).deleteSnapshot(r -> r.snapshotId(snapshotId));
                        } catch (SdkException e) {
                            if (!AwsErrors.hasCode(e, SNAPSHOT_GONE)) {
                                throw e;
                            }
                        }
                    });
        } catch (SdkException e) {
            throw AwsErrors.translate(operation, location, e);
        }
    }

    /** The root device name of an image (any owner: base images are usually public ones). */
    private static String rootDeviceName(Ec2Client ec2, String imageId) {
        // An unknown id fails with InvalidAMIID.NotFound/Malformed, which leaves as a non-retryable CloudException.
        Image image = ec2.describeImages(r -> r.imageIds(imageId)).images().stream()
                .filter(i -> imageId.equals(i.imageId()))
                .findFirst()
                .orElseThrow(() -> new CloudException("EC2 DescribeImages(" + imageId + ") found no such image",
                        false, null));
        // Every EBS-backed AMI has one; /dev/xvda (Amazon Linux) or /dev/sda1 (Ubuntu, Debian) in practice.
        return image.rootDeviceName() == null ? "/dev/sda1" : image.rootDeviceName();
    }

    /**
     * Base64 cloud-config that authorizes {@code sshPublicKey} for the image's default user. The key is written as a
     * YAML double-quoted scalar, so no character of it can change the document's structure.
     */
    static String userData(String sshPublicKey) {
        String key = sshPublicKey.strip();
        if (key.isEmpty() || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("sshPublicKey must be one OpenSSH public key line");
        }
        String cloudConfig = "#cloud-config\n"
                + "ssh_authorized_keys:\n"
                + "  - \"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n";
        return Base64.getEncoder().encodeToString(cloudConfig.getBytes(StandardCharsets.UTF_8));
    }

    /** GetConsoleOutput's base64 text as a string; "" when EC2 has none (yet). */
    static String decodeConsole(String base64) {
        if (base64 == null || base64.isBlank()) {
            return "";
        }
        // MIME decoder: tolerates line breaks in the encoding. Console bytes are not always valid UTF-8; bad
        // sequences become U+FFFD rather than failing the call.
        return new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
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
                tagMap(instance.tags()), address(instance));
    }

    /** The public IPv4 address if the instance has one, else its private one; empty before EC2 assigned either. */
    static Optional<String> address(Instance instance) {
        if (instance.publicIpAddress() != null && !instance.publicIpAddress().isBlank()) {
            return Optional.of(instance.publicIpAddress());
        }
        if (instance.privateIpAddress() != null && !instance.privateIpAddress().isBlank()) {
            return Optional.of(instance.privateIpAddress());
        }
        return Optional.empty();
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

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    private static Map<String, String> tagMap(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, t -> t.value() == null ? "" : t.value(), (a, b) -> b));
    }
}
