package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.CloudResource.Kind;
import io.kubevirt.cib.common.cloud.TaggedResources;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.ImageState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;

/**
 * Tagged instances, AMIs, snapshots and volumes of this account, found with server-side {@code tag-key} filters and
 * paginated Describe calls (throttling is the clients' adaptive retry strategy). Images are removed through
 * {@link Ec2Cloud#deleteImage}, which also deletes the snapshots made for them.
 */
public final class Ec2TaggedResources implements TaggedResources {

    private static final List<String> LIVE = List.of("pending", "running", "stopping", "stopped", "shutting-down");
    private static final Set<String> INSTANCE_GONE = Set.of("InvalidInstanceID.NotFound");
    private static final Set<String> SNAPSHOT_GONE = Set.of("InvalidSnapshot.NotFound");
    private static final Set<String> VOLUME_GONE = Set.of("InvalidVolume.NotFound");

    private final Ec2Clients clients;
    private final Ec2Cloud images;

    public Ec2TaggedResources(Ec2Clients clients, Ec2Cloud images) {
        this.clients = clients;
        this.images = images;
    }

    @Override
    public List<CloudResource> findTagged(String location, Kind kind, String tagKey) {
        Filter tagged = Filter.builder().name("tag-key").values(Ec2Cloud.literal(tagKey)).build();
        return call("Describe " + kind, location, ec2 -> switch (kind) {
            case INSTANCE -> {
                List<CloudResource> found = new ArrayList<>();
                for (Reservation r : ec2.describeInstancesPaginator(b -> b.filters(tagged,
                        Filter.builder().name("instance-state-name").values(LIVE).build())).reservations()) {
                    for (Instance i : r.instances()) {
                        found.add(new CloudResource(kind, i.instanceId(), null, location, tags(i.tags()),
                                i.launchTime(), null));
                    }
                }
                yield found;
            }
            case IMAGE -> {
                List<CloudResource> found = new ArrayList<>();
                for (Image i : ec2.describeImagesPaginator(b -> b.owners("self").filters(tagged)).images()) {
                    if (i.state() != ImageState.DEREGISTERED) {
                        found.add(new CloudResource(kind, i.imageId(), i.name(), location, tags(i.tags()),
                                instant(i.creationDate()), instant(i.deprecationTime())));
                    }
                }
                yield found;
            }
            case SNAPSHOT -> {
                // A snapshot that backs a registered image is part of that image and goes with it: its own tags may
                // still carry the build's earlier expiry after the image's was moved (a retained pull-request image).
                Set<String> backing = new HashSet<>();
                for (Image i : ec2.describeImagesPaginator(b -> b.owners("self")).images()) {
                    if (i.state() != ImageState.DEREGISTERED) {
                        i.blockDeviceMappings().stream().filter(m -> m.ebs() != null && m.ebs().snapshotId() != null)
                                .forEach(m -> backing.add(m.ebs().snapshotId()));
                    }
                }
                List<CloudResource> found = new ArrayList<>();
                for (Snapshot s : ec2.describeSnapshotsPaginator(b -> b.ownerIds("self").filters(tagged))
                        .snapshots()) {
                    if (backing.contains(s.snapshotId())) {
                        continue;
                    }
                    found.add(new CloudResource(kind, s.snapshotId(), null, location, tags(s.tags()),
                            s.startTime(), null));
                }
                yield found;
            }
            case DISK -> {
                List<CloudResource> found = new ArrayList<>();
                for (Volume v : ec2.describeVolumesPaginator(b -> b.filters(tagged)).volumes()) {
                    found.add(new CloudResource(kind, v.volumeId(), null, location, tags(v.tags()),
                            v.createTime(), null));
                }
                yield found;
            }
            default -> List.of();
        });
    }

    @Override
    public boolean remove(CloudResource resource) {
        String location = resource.location();
        String id = resource.id();
        switch (resource.kind()) {
            case INSTANCE -> {
                // Terminating a terminated instance succeeds on EC2: ask first, so "already gone" is reported.
                boolean alive = call("DescribeInstances(" + id + ")", location, ec2 -> ec2.describeInstancesPaginator(
                        b -> b.filters(Filter.builder().name("instance-id").values(id).build(),
                                Filter.builder().name("instance-state-name").values(LIVE).build()))
                        .reservations().stream().anyMatch(r -> !r.instances().isEmpty()));
                return alive && ignoring(INSTANCE_GONE, "TerminateInstances(" + id + ")", location,
                        ec2 -> ec2.terminateInstances(b -> b.instanceIds(id)));
            }
            case IMAGE -> {
                if (images.getImage(location, id).isEmpty()) {
                    images.deleteImage(location, id); // snapshots of an image deregistered by a killed sweep
                    return false;
                }
                images.deleteImage(location, id);
                return true;
            }
            case SNAPSHOT -> {
                return ignoring(SNAPSHOT_GONE, "DeleteSnapshot(" + id + ")", location,
                        ec2 -> ec2.deleteSnapshot(b -> b.snapshotId(id)));
            }
            case DISK -> {
                return ignoring(VOLUME_GONE, "DeleteVolume(" + id + ")", location,
                        ec2 -> ec2.deleteVolume(b -> b.volumeId(id)));
            }
            default -> throw new IllegalArgumentException("not a tagged kind: " + resource.kind());
        }
    }

    /** True when the call succeeded, false when EC2 said the resource is gone. */
    private boolean ignoring(Set<String> goneCodes, String operation, String location,
            Function<Ec2Client, ?> action) {
        try {
            action.apply(clients.forRegion(location));
            return true;
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, goneCodes)) {
                return false;
            }
            throw AwsErrors.translate(operation, location, e);
        }
    }

    private <T> T call(String operation, String location, Function<Ec2Client, T> action) {
        try {
            return action.apply(clients.forRegion(location));
        } catch (SdkException e) {
            throw AwsErrors.translate(operation, location, e);
        }
    }

    static Instant instant(String iso) {
        if (iso == null || iso.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(iso);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    static Map<String, String> tags(List<Tag> tags) {
        return tags.stream().collect(Collectors.toMap(Tag::key, t -> t.value() == null ? "" : t.value(),
                (a, b) -> b));
    }
}
