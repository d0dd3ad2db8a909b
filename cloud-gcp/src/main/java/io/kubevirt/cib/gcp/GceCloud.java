package io.kubevirt.cib.gcp;

import com.google.api.gax.longrunning.OperationFuture;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.AccessConfig;
import com.google.cloud.compute.v1.AdvancedMachineFeatures;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.AttachedDiskInitializeParams;
import com.google.cloud.compute.v1.DeleteInstanceRequest;
import com.google.cloud.compute.v1.GetGuestAttributesInstanceRequest;
import com.google.cloud.compute.v1.GetSerialPortOutputInstanceRequest;
import com.google.cloud.compute.v1.GlobalSetLabelsRequest;
import com.google.cloud.compute.v1.GuestAttributes;
import com.google.cloud.compute.v1.GuestAttributesEntry;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.ImagesClient;
import com.google.cloud.compute.v1.InsertInstanceRequest;
import com.google.cloud.compute.v1.Instance;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.Items;
import com.google.cloud.compute.v1.ListImagesRequest;
import com.google.cloud.compute.v1.ListInstancesRequest;
import com.google.cloud.compute.v1.Metadata;
import com.google.cloud.compute.v1.NetworkInterface;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.SetLabelsImageRequest;
import com.google.cloud.compute.v1.Tags;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.Sha256;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
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
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Compute Engine adapter for the cloud ports, on google-cloud-compute (REST). Plain Java on purpose: tests build it
 * directly against {@code LocalComputeServer}, {@link GcpCloudProducer} wires it.
 *
 * <p>Identities: an image is named by its <em>name</em> (unique in the project; images are global, so the location
 * argument of the image methods only echoes into {@link CloudImage#location()}); an instance by its name within its
 * zone (the location). Tags are labels, values encoded by {@link GceLabels}.
 *
 * <p>Every mutation waits for its operation and checks {@code Operation.hasError()}: an operation can come back DONE
 * with an error block, which the client library reports as success unless GCE also set {@code httpErrorStatusCode}.
 */
public final class GceCloud implements ImageCatalog, InstanceFleet, AutoCloseable {

    static final String GUEST_ATTRIBUTES_HOSTKEYS = "hostkeys/";
    private static final int SERIAL_CONSOLE_PORT = 1;
    /** setLabels re-reads and retries on a fingerprint mismatch (someone else changed the labels meanwhile). */
    static final WaitPolicy LABEL_RETRY = new WaitPolicy(Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofSeconds(15));
    private static final int MAX_TOKEN_PART = 40;

    private final GceClients clients;
    private final boolean externalIp;
    private final Waiter waiter;

    /** Instances get an ephemeral external IP (the pipeline SSHes into them from outside the VPC). */
    public GceCloud(GceClients clients) {
        this(clients, true);
    }

    /** {@code externalIp=false} for projects whose policy forbids external IPs (workers inside the VPC). */
    public GceCloud(GceClients clients, boolean externalIp) {
        this(clients, externalIp, new GuardedWaiter(Metrics.globalRegistry));
    }

    /** {@code waiter}: how label updates retry after a fingerprint mismatch. */
    public GceCloud(GceClients clients, boolean externalIp, Waiter waiter) {
        this.clients = Objects.requireNonNull(clients, "clients");
        this.externalIp = externalIp;
        this.waiter = Objects.requireNonNull(waiter, "waiter");
    }

    public String project() {
        return clients.project();
    }

    // ---- images -------------------------------------------------------------------------------------------------

    /** The project's images carrying every tag; images being deleted are left out. */
    @Override
    public List<CloudImage> findImages(String location, Map<String, String> tags) {
        ListImagesRequest.Builder request = ListImagesRequest.newBuilder().setProject(project());
        String filter = GceLabels.filter(tags);
        if (!filter.isEmpty()) {
            request.setFilter(filter);
        }
        return call("images.list", () -> {
            List<CloudImage> found = new ArrayList<>();
            for (Image image : images().list(request.build()).iterateAll()) {
                if (isDeleting(image)) {
                    continue;
                }
                CloudImage mapped = toCloudImage(location, image);
                // Exact match on top of the server-side filter, so correctness never rests on filter semantics.
                if (mapped.tags().entrySet().containsAll(tags.entrySet())) {
                    found.add(mapped);
                }
            }
            return List.copyOf(found);
        });
    }

    /** images.get: GCE image names are unique in a project, so this is at most one image. */
    @Override
    public List<CloudImage> findImagesByName(String location, String name) {
        Objects.requireNonNull(name, "name");
        // A name GCE cannot hold names no image (and images.get would refuse it with 400).
        if (!name.matches("[a-z]([-a-z0-9]{0,61}[a-z0-9])?")) {
            return List.of();
        }
        return getImage(location, name).stream().toList();
    }

    /** images.delete and wait; an image that is already gone (404, or the operation says so) is fine. */
    @Override
    public void deleteImage(String location, String imageId) {
        Objects.requireNonNull(imageId, "imageId");
        GceCalls.mutateIfExists(clients, "images.delete(" + imageId + ") in project " + project(),
                () -> images().deleteAsync(project(), imageId));
    }

    @Override
    public Optional<CloudImage> getImage(String location, String imageId) {
        Objects.requireNonNull(imageId, "imageId");
        return rawImage(imageId).filter(image -> !isDeleting(image)).map(image -> toCloudImage(location, image));
    }

    /** Merges: labels not named in {@code tags} stay. */
    @Override
    public void tagImage(String location, String imageId, Map<String, String> tags) {
        Map<String, String> wanted = GceLabels.toLabels(tags);
        updateLabels(imageId, labels -> labels.putAll(wanted));
    }

    @Override
    public void untagImage(String location, String imageId, Collection<String> keys) {
        updateLabels(imageId, labels -> labels.keySet().removeAll(keys));
    }

    /**
     * images.setLabels replaces all labels: read them with their fingerprint, change them, write them back (GCE
     * refuses the write with 412 if they changed since). On 412 it reads again and retries.
     */
    private void updateLabels(String imageId, java.util.function.Consumer<Map<String, String>> change) {
        Objects.requireNonNull(imageId, "imageId");
        String operation = "images.setLabels(" + imageId + ") in project " + project();
        try {
            waiter.retrying("gce-image-labels", LABEL_RETRY, Attempt.uncancellable(operation),
                    e -> e instanceof ApiException api && GceErrors.httpStatus(api) == 412,
                    () -> setLabelsOnce(imageId, change, operation));
        } catch (ApiException e) {
            throw GceErrors.translate(operation, e);
        }
    }

    /** One read-merge-write; a stale fingerprint leaves as the client's 412 ApiException. */
    private void setLabelsOnce(String imageId, java.util.function.Consumer<Map<String, String>> change,
            String operation) {
        Image image = rawImage(imageId).orElseThrow(() ->
                new CloudException("GCE " + operation + " failed: image not found", false, null));
        Map<String, String> merged = new LinkedHashMap<>(image.getLabelsMap());
        change.accept(merged);
        if (merged.equals(image.getLabelsMap())) {
            return;
        }
        SetLabelsImageRequest request = SetLabelsImageRequest.newBuilder()
                .setProject(project())
                .setResource(imageId)
                .setGlobalSetLabelsRequestResource(GlobalSetLabelsRequest.newBuilder()
                        .putAllLabels(merged)
                        .setLabelFingerprint(image.getLabelFingerprint()))
                .build();
        Operation op = await(operation, images().setLabelsAsync(request));
        if (op.hasError()) {
            throw GceErrors.operationFailed(operation, op);
        }
    }

    // ---- instances ----------------------------------------------------------------------------------------------

    /**
     * The zone's instances carrying every tag. Stopped instances are included: GCE calls them TERMINATED, but they
     * still exist, keep their disks (billed) and can be restarted, so they are {@link CloudInstance.State#STOPPED}.
     * A deleted instance is simply absent.
     */
    @Override
    public List<CloudInstance> findInstances(String location, Map<String, String> tags) {
        ListInstancesRequest.Builder request = ListInstancesRequest.newBuilder().setProject(project()).setZone(location);
        String filter = GceLabels.filter(tags);
        if (!filter.isEmpty()) {
            request.setFilter(filter);
        }
        return call("instances.list in " + location, () -> {
            List<CloudInstance> found = new ArrayList<>();
            for (Instance instance : instances().list(request.build()).iterateAll()) {
                CloudInstance mapped = toCloudInstance(location, instance);
                if (mapped.state().isAlive() && mapped.tags().entrySet().containsAll(tags.entrySet())) {
                    found.add(mapped);
                }
            }
            return List.copyOf(found);
        });
    }

    /** instances.delete for each (all started before any is waited for); 404 means already gone. */
    @Override
    public void terminate(String location, Collection<String> instanceIds) {
        Map<String, OperationFuture<Operation, Operation>> deletes = new LinkedHashMap<>();
        CloudException failure = null;
        for (String name : new LinkedHashSet<>(instanceIds)) {
            try {
                deletes.put(name, instances().deleteAsync(DeleteInstanceRequest.newBuilder()
                        .setProject(project()).setZone(location).setInstance(name).build()));
            } catch (ApiException e) {
                failure = failure != null ? failure : GceErrors.translate(deleteOperation(location, name), e);
            }
        }
        for (Map.Entry<String, OperationFuture<Operation, Operation>> delete : deletes.entrySet()) {
            String operation = deleteOperation(location, delete.getKey());
            try {
                Operation op = await(operation, delete.getValue());
                if (op.hasError() && !GceErrors.operationNotFound(op)) {
                    failure = failure != null ? failure : GceErrors.operationFailed(operation, op);
                }
            } catch (ApiException e) {
                if (!GceErrors.isNotFound(e)) {
                    failure = failure != null ? failure : GceErrors.translate(operation, e);
                }
            } catch (CloudException e) {
                // One slow or failed delete must not stop the others from being waited for.
                failure = failure != null ? failure : e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * instances.insert, then waits for the operation and returns the instance as GCE reports it.
     *
     * <p>Idempotency, twice over: the name is derived from the spec's token ({@link #instanceName}), so GCE cannot
     * hold two instances of one launch (a repeat gets 409 alreadyExists and this returns the existing instance); and
     * the requestId is a name-based UUID of the token, so GCE answers a repeated insert within its dedup window with
     * the first operation instead of failing.
     *
     * <p>SSH: {@code ssh-keys} metadata {@code <sshUser>:<key>}, which the guest agent installs for that user (OS
     * Login is switched off on the instance, or it would ignore the key). {@code enable-guest-attributes=TRUE} lets
     * the guest agent publish the host keys under {@code hostkeys/}, which {@link #hostKeys} reads.
     */
    @Override
    public CloudInstance launch(LaunchSpec spec) {
        String zone = spec.location();
        String name = instanceName(spec.idempotencyToken());
        String operation = "instances.insert(" + name + ") in " + zone;
        Map<String, String> labels = GceLabels.toLabels(spec.tags());
        InsertInstanceRequest request = InsertInstanceRequest.newBuilder()
                .setProject(project())
                .setZone(zone)
                .setRequestId(requestId(spec.idempotencyToken()))
                .setInstanceResource(instanceResource(spec, name, labels))
                .build();
        boolean existed = false;
        try {
            Operation op = await(operation, instances().insertAsync(request));
            if (op.hasError()) {
                if (!GceErrors.operationAlreadyExists(op)) {
                    throw GceErrors.operationFailed(operation, op);
                }
                existed = true;
            }
        } catch (ApiException e) {
            if (GceErrors.httpStatus(e) != 409 || !"alreadyExists".equals(GceErrors.reason(e))) {
                throw GceErrors.translate(operation, e);
            }
            existed = true;
        }
        Instance instance = rawInstance(zone, name).orElseThrow(() -> new CloudException("GCE " + operation
                + ": the instance of this launch no longer exists (token already used and deleted)", false, null));
        if (existed && !instance.getLabelsMap().entrySet().containsAll(labels.entrySet())) {
            throw new CloudException("GCE " + operation + ": an instance named " + name
                    + " exists but does not carry this launch's labels", false, null);
        }
        return toCloudInstance(zone, instance);
    }

    /** Empty if the zone holds no instance of that name. */
    @Override
    public Optional<CloudInstance> describe(String location, String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        return rawInstance(location, instanceId).map(instance -> toCloudInstance(location, instance));
    }

    /**
     * The host keys the guest agent published as guest attributes under {@code hostkeys/} (one entry per key type:
     * key = type, value = base64 blob), as {@code <type> <base64>} lines. Empty until the agent wrote them (GCE then
     * answers 404), and for an unknown instance.
     */
    @Override
    public List<String> hostKeys(String location, String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        GetGuestAttributesInstanceRequest request = GetGuestAttributesInstanceRequest.newBuilder()
                .setProject(project()).setZone(location).setInstance(instanceId)
                .setQueryPath(GUEST_ATTRIBUTES_HOSTKEYS)
                .build();
        return call("instances.getGuestAttributes(" + instanceId + ", hostkeys/) in " + location, () -> {
            GuestAttributes attributes;
            try {
                attributes = instances().getGuestAttributes(request);
            } catch (ApiException e) {
                if (GceErrors.isNotFound(e)) {
                    return List.of();
                }
                throw e;
            }
            List<String> keys = new ArrayList<>();
            for (GuestAttributesEntry entry : attributes.getQueryValue().getItemsList()) {
                hostKeyLine(entry).ifPresent(keys::add);
            }
            return List.copyOf(keys);
        });
    }

    /**
     * The guest agent writes key = key type, value = base64 blob; a value that is a whole public key line
     * ({@code type blob [comment]}) of the same type is accepted too. Anything else is not a key and is skipped.
     */
    static Optional<String> hostKeyLine(GuestAttributesEntry entry) {
        String type = entry.getKey().strip();
        String[] value = entry.getValue().strip().split("\\s+");
        if (type.isEmpty() || type.contains(" ") || value[0].isEmpty()) {
            return Optional.empty();
        }
        if (value.length == 1) {
            return Optional.of(type + " " + value[0]);
        }
        return value[0].equals(type) ? Optional.of(type + " " + value[1]) : Optional.empty();
    }

    /** Serial port 1 as GCE buffers it (the last 1 MB); empty for an unknown instance. */
    @Override
    public String consoleOutput(String location, String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        GetSerialPortOutputInstanceRequest request = GetSerialPortOutputInstanceRequest.newBuilder()
                .setProject(project()).setZone(location).setInstance(instanceId)
                .setPort(SERIAL_CONSOLE_PORT)
                .build();
        return call("instances.getSerialPortOutput(" + instanceId + ") in " + location, () -> {
            try {
                return instances().getSerialPortOutput(request).getContents();
            } catch (ApiException e) {
                if (GceErrors.isNotFound(e)) {
                    return "";
                }
                throw e;
            }
        });
    }

    @Override
    public void close() {
        clients.close();
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * The instance name for a launch token: {@code cib-<token, name-safe, at most 40>-<10 hex of its SHA-256>}.
     * Valid as a GCE name (lowercase letter first, {@code [-a-z0-9]}, at most 63, no trailing dash); the hash keeps
     * tokens that differ only in characters the name cannot hold apart.
     */
    public static String instanceName(String token) {
        String safe = token.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("-{2,}", "-");
        safe = safe.replaceAll("^-+", "");
        if (safe.length() > MAX_TOKEN_PART) {
            safe = safe.substring(0, MAX_TOKEN_PART);
        }
        safe = safe.replaceAll("-+$", "");
        String hash = HexFormat.of().formatHex(Sha256.of(token), 0, 5);
        return safe.isEmpty() ? "cib-" + hash : "cib-" + safe + "-" + hash;
    }

    /** A name-based (v3) UUID of the token: GCE requires requestId to be a UUID, and the same token gives the same. */
    public static String requestId(String token) {
        return UUID.nameUUIDFromBytes(("cib-launch:" + token).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private Instance instanceResource(LaunchSpec spec, String name, Map<String, String> labels) {
        String zone = spec.location();
        AttachedDiskInitializeParams.Builder disk = AttachedDiskInitializeParams.newBuilder()
                .setSourceImage(imageUrl(spec.imageId()))
                // The boot disk carries the labels too, so a disk left behind is found like the instance.
                .putAllLabels(labels);
        if (spec.diskSizeGb() > 0) {
            disk.setDiskSizeGb(spec.diskSizeGb());
        }
        NetworkInterface.Builder nic = NetworkInterface.newBuilder();
        spec.subnet().ifPresent(subnet -> nic.setSubnetwork(subnetUrl(zone, subnet)));
        if (externalIp) {
            nic.addAccessConfigs(AccessConfig.newBuilder().setName("External NAT").setType("ONE_TO_ONE_NAT"));
        }
        Instance.Builder instance = Instance.newBuilder()
                .setName(name)
                .setMachineType(spec.machineType().contains("/")
                        ? spec.machineType()
                        : "zones/" + zone + "/machineTypes/" + spec.machineType())
                .putAllLabels(labels)
                .addDisks(AttachedDisk.newBuilder()
                        .setBoot(true)
                        .setAutoDelete(true)
                        .setType("PERSISTENT")
                        .setInitializeParams(disk))
                .addNetworkInterfaces(nic)
                .setMetadata(Metadata.newBuilder()
                        .addItems(item("ssh-keys", spec.sshUser() + ":" + spec.sshPublicKey().strip()))
                        .addItems(item("enable-guest-attributes", "TRUE"))
                        .addItems(item("enable-oslogin", "FALSE")));
        if (!spec.firewallGroups().isEmpty()) {
            instance.setTags(Tags.newBuilder().addAllItems(spec.firewallGroups()));
        }
        if (spec.nestedVirtualization()) {
            instance.setAdvancedMachineFeatures(AdvancedMachineFeatures.newBuilder()
                    .setEnableNestedVirtualization(true));
        }
        return instance.build();
    }

    private String imageUrl(String imageId) {
        // A bare name is one of the project's images; anything with a slash (another project's image, a family)
        // is passed as given.
        return imageId.contains("/") ? imageId : "projects/" + project() + "/global/images/" + imageId;
    }

    private static String subnetUrl(String zone, String subnet) {
        if (subnet.contains("/")) {
            return subnet;
        }
        int dash = zone.lastIndexOf('-');
        String region = dash > 0 ? zone.substring(0, dash) : zone;
        return "regions/" + region + "/subnetworks/" + subnet;
    }

    private static Items item(String key, String value) {
        return Items.newBuilder().setKey(key).setValue(value).build();
    }

    private Optional<Image> rawImage(String imageId) {
        return call("images.get(" + imageId + ") in project " + project(), () -> {
            try {
                return Optional.of(images().get(project(), imageId));
            } catch (ApiException e) {
                if (GceErrors.isNotFound(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    private Optional<Instance> rawInstance(String zone, String name) {
        return call("instances.get(" + name + ") in " + zone, () -> {
            try {
                return Optional.of(instances().get(project(), zone, name));
            } catch (ApiException e) {
                if (GceErrors.isNotFound(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    private Operation await(String operation, OperationFuture<Operation, Operation> future) {
        return GceCalls.await(clients, operation, future);
    }

    private <T> T call(String operation, Supplier<T> action) {
        return GceCalls.call(operation, action);
    }

    private String deleteOperation(String zone, String name) {
        return "instances.delete(" + name + ") in " + zone;
    }

    private ImagesClient images() {
        return clients.images();
    }

    private InstancesClient instances() {
        return clients.instances();
    }

    private static boolean isDeleting(Image image) {
        return "DELETING".equals(image.getStatus());
    }

    static CloudImage toCloudImage(String location, Image image) {
        return new CloudImage(image.getName(), image.getName(), location, imageState(image.getStatus()),
                GceLabels.fromLabels(image.getLabelsMap()), List.of());
    }

    static CloudImage.State imageState(String status) {
        switch (status == null ? "" : status) {
            case "READY":
                return CloudImage.State.AVAILABLE;
            case "PENDING":
            case "":
                return CloudImage.State.PENDING;
            default:
                // FAILED, DELETING, and states newer than this code: not usable.
                return CloudImage.State.FAILED;
        }
    }

    static CloudInstance toCloudInstance(String zone, Instance instance) {
        return new CloudInstance(instance.getName(), zone, instanceState(instance.getStatus()),
                GceLabels.fromLabels(instance.getLabelsMap()), address(instance));
    }

    static CloudInstance.State instanceState(String status) {
        switch (status == null ? "" : status) {
            case "RUNNING":
                return CloudInstance.State.RUNNING;
            case "STOPPING":
            case "SUSPENDING":
            case "PENDING_STOP":
                return CloudInstance.State.STOPPING;
            case "TERMINATED":
            case "SUSPENDED":
                // GCE's TERMINATED is "stopped": the instance and its disks still exist.
                return CloudInstance.State.STOPPED;
            default:
                // PROVISIONING, STAGING, REPAIRING, and states newer than this code: alive, so never overlooked.
                return CloudInstance.State.PENDING;
        }
    }

    /** The external (NAT) address of the first interface if it has one, else its internal address. */
    static Optional<String> address(Instance instance) {
        if (instance.getNetworkInterfacesCount() == 0) {
            return Optional.empty();
        }
        NetworkInterface nic = instance.getNetworkInterfaces(0);
        for (AccessConfig access : nic.getAccessConfigsList()) {
            if (!access.getNatIP().isEmpty()) {
                return Optional.of(access.getNatIP());
            }
        }
        return nic.getNetworkIP().isEmpty() ? Optional.empty() : Optional.of(nic.getNetworkIP());
    }

}
