package io.kubevirt.cib.cleanup.crash;

import io.kubevirt.cib.devstack.MotoServer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.Tag;

/** Resources made directly in moto (not through the proxy, so the proxy counts only the workers' calls). */
final class Seeding {

    private Seeding() {
    }

    static String instance(Ec2Client ec2, Map<String, String> tags) {
        String id = ec2.runInstances(b -> b.imageId(MotoServer.BASE_AMI_ID).instanceType(InstanceType.T3_MICRO)
                .minCount(1).maxCount(1)).instances().get(0).instanceId();
        if (!tags.isEmpty()) {
            ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        }
        return id;
    }

    /** An image made from a throw-away untagged instance; tagged after creation (moto refuses snapshot tags). */
    static String image(Ec2Client ec2, String name, Map<String, String> tags) {
        String builder = instance(ec2, Map.of());
        String id = ec2.createImage(b -> b.instanceId(builder).name(name)).imageId();
        ec2.terminateInstances(b -> b.instanceIds(builder));
        if (!tags.isEmpty()) {
            ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        }
        return id;
    }

    static void tag(Ec2Client ec2, String id, Map<String, String> tags) {
        ec2.createTags(b -> b.resources(id).tags(tags(tags)));
    }

    static List<String> snapshotsOf(Ec2Client ec2, String imageId) {
        return ec2.describeImages(b -> b.imageIds(imageId)).images().stream()
                .flatMap(i -> i.blockDeviceMappings().stream())
                .map(m -> m.ebs() == null ? null : m.ebs().snapshotId())
                .filter(Objects::nonNull)
                .toList();
    }

    static String snapshot(Ec2Client ec2, String zone, Map<String, String> tags) {
        String volume = ec2.createVolume(b -> b.availabilityZone(zone).size(1)).volumeId();
        String id = ec2.createSnapshot(b -> b.volumeId(volume)).snapshotId();
        ec2.deleteVolume(b -> b.volumeId(volume));
        ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        return id;
    }

    /** Whether the resource is still there (an instance: not terminated or terminating). */
    static boolean exists(Ec2Client ec2, String kind, String id) {
        return switch (kind) {
            case "instance" -> ec2.describeInstances(b -> b.filters(filter("instance-id", id))).reservations()
                    .stream().flatMap(r -> r.instances().stream())
                    .anyMatch(i -> i.state().name() != InstanceStateName.TERMINATED
                            && i.state().name() != InstanceStateName.SHUTTING_DOWN);
            case "image" -> !ec2.describeImages(b -> b.owners("self").filters(filter("image-id", id))).images()
                    .isEmpty();
            case "snapshot" -> !ec2.describeSnapshots(b -> b.ownerIds("self").filters(filter("snapshot-id", id)))
                    .snapshots().isEmpty();
            case "group" -> !ec2.describeSecurityGroups(b -> b.filters(filter("group-id", id))).securityGroups()
                    .isEmpty();
            case "key" -> !ec2.describeKeyPairs(b -> b.filters(filter("key-name", id))).keyPairs().isEmpty();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static Filter filter(String name, String value) {
        return Filter.builder().name(name).values(value).build();
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }
}
