package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.CloudFixture;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/** Seeds EC2 (moto) through the raw SDK, the way the pipeline's build phase would create the resources. */
final class Ec2Fixture implements CloudFixture {

    private final Ec2Clients clients;
    private final String baseAmiId;

    Ec2Fixture(Ec2Clients clients, String baseAmiId) {
        this.clients = clients;
        this.baseAmiId = baseAmiId;
    }

    @Override
    public String seedInstance(String location, Map<String, String> tags) {
        RunInstancesRequest.Builder request = RunInstancesRequest.builder()
                .imageId(baseAmiId)
                .instanceType(InstanceType.T3_MICRO)
                .minCount(1)
                .maxCount(1);
        if (!tags.isEmpty()) {
            request.tagSpecifications(TagSpecification.builder()
                    .resourceType(ResourceType.INSTANCE)
                    .tags(tags(tags))
                    .build());
        }
        return clients.forRegion(location).runInstances(request.build()).instances().get(0).instanceId();
    }

    @Override
    public String seedImage(String location, String name, Map<String, String> tags) {
        var ec2 = clients.forRegion(location);
        String builder = seedInstance(location, Map.of());
        // No TagSpecifications here: moto answers CreateImage with snapshot tag specifications with HTTP 500.
        String imageId = ec2.createImage(r -> r.instanceId(builder).name(name)).imageId();
        ec2.createTags(r -> r.resources(imageId).tags(tags(tags)));
        ec2.terminateInstances(r -> r.instanceIds(builder));
        return imageId;
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }
}
