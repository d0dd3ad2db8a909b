package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.SweepFixture;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** Seeds EC2 (moto) with what a sweep looks for, through the raw SDK. */
public final class Ec2SweepFixture implements SweepFixture {

    private final Ec2Clients clients;
    private final String baseAmiId;

    public Ec2SweepFixture(Ec2Clients clients, String baseAmiId) {
        this.clients = clients;
        this.baseAmiId = baseAmiId;
    }

    @Override
    public String seed(String location, CloudResource.Kind kind, String name, Map<String, String> tags) {
        var ec2 = clients.forRegion(location);
        String id = switch (kind) {
            case INSTANCE -> ec2.runInstances(b -> b.imageId(baseAmiId).instanceType(InstanceType.T3_MICRO)
                    .minCount(1).maxCount(1)).instances().get(0).instanceId();
            case IMAGE -> {
                String builder = ec2.runInstances(b -> b.imageId(baseAmiId).instanceType(InstanceType.T3_MICRO)
                        .minCount(1).maxCount(1)).instances().get(0).instanceId();
                String image = ec2.createImage(b -> b.instanceId(builder).name(name)).imageId();
                ec2.terminateInstances(b -> b.instanceIds(builder));
                yield image;
            }
            case SNAPSHOT -> {
                String volume = ec2.createVolume(b -> b.availabilityZone(location + "a").size(1)).volumeId();
                String snapshot = ec2.createSnapshot(b -> b.volumeId(volume)).snapshotId();
                ec2.deleteVolume(b -> b.volumeId(volume));
                yield snapshot;
            }
            case DISK -> ec2.createVolume(b -> b.availabilityZone(location + "a").size(1)).volumeId();
            default -> throw new IllegalArgumentException(kind.name());
        };
        if (!tags.isEmpty()) {
            ec2.createTags(b -> b.resources(id).tags(tags(tags)));
        }
        return id;
    }

    @Override
    public String seedNamed(String location, CloudResource.Kind kind, String name) {
        var ec2 = clients.forRegion(location);
        return switch (kind) {
            case SECURITY_GROUP -> ec2.createSecurityGroup(b -> b.groupName(name).description("packer temporary"))
                    .groupId();
            case KEY_PAIR -> {
                ec2.createKeyPair(b -> b.keyName(name));
                yield name;
            }
            default -> throw new IllegalArgumentException(kind.name());
        };
    }

    /** An instance tagged at launch, as the pipeline launches them. */
    public String seedTaggedInstance(String location, Map<String, String> tags) {
        return clients.forRegion(location).runInstances(b -> b.imageId(baseAmiId).instanceType(InstanceType.T3_MICRO)
                .minCount(1).maxCount(1).tagSpecifications(TagSpecification.builder()
                        .resourceType(ResourceType.INSTANCE).tags(tags(tags)).build()))
                .instances().get(0).instanceId();
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }
}
