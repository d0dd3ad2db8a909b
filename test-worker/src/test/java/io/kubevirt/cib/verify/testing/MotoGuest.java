package io.kubevirt.cib.verify.testing;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.devstack.guest.CloudInit;
import java.net.URI;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * What a booted guest does on AWS that moto cannot: cloud-init installing the launch's key from user data, and
 * printing the SSH host keys to the console. Tests combine these with a
 * {@link io.kubevirt.cib.devstack.guest.StandInGuest}; the SDK-free parts live in {@link CloudInit}.
 */
public final class MotoGuest {

    private MotoGuest() {
    }

    public static Ec2Client sdk(String endpoint, String region) {
        return Ec2Client.builder().region(Region.of(region)).endpointOverride(URI.create(endpoint))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    /** An AMI owned by this account, as the build phase would have made it. */
    public static String seedAmi(Ec2Client sdk, String buildId) {
        String instanceId = sdk.runInstances(r -> r.imageId(MotoServer.BASE_AMI_ID).minCount(1).maxCount(1)
                .instanceType("t3.micro")).instances().get(0).instanceId();
        String ami = sdk.createImage(r -> r.instanceId(instanceId).name("kubevirt-v1-8-2-" + buildId)).imageId();
        sdk.createTags(r -> r.resources(ami).tags(t -> t.key(ResourceTags.BUILD_ID).value(buildId)));
        sdk.terminateInstances(r -> r.instanceIds(instanceId));
        return ami;
    }

    /** What cloud-init would install: the ssh_authorized_keys of the running verification instances' user data. */
    public static List<String> userDataKeys(Ec2Client sdk) {
        return sdk.describeInstances(r -> r.filters(Filter.builder().name("tag:" + ResourceTags.PHASE)
                .values("verify").build())).reservations().stream()
                .flatMap(res -> res.instances().stream())
                .filter(i -> i.state().name() == InstanceStateName.RUNNING)
                .map(i -> sdk.describeInstanceAttribute(r -> r.instanceId(i.instanceId())
                        .attribute(InstanceAttributeName.USER_DATA)).userData().value())
                .flatMap(v -> CloudInit.authorizedKeysFromBase64(v).stream())
                .toList();
    }

    /** A GetConsoleOutput answer whose console holds cloud-init's host key block (for SlowCloudProxy.answer). */
    public static String consoleOutputXml(String hostKeyLine) {
        return CloudInit.consoleOutputXml(hostKeyLine);
    }
}
