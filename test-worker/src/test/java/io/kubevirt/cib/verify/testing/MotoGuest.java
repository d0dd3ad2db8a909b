package io.kubevirt.cib.verify.testing;

import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * What a booted guest does on AWS that moto cannot: cloud-init installing the launch's key from user data, and
 * printing the SSH host keys to the console. Tests combine these with a {@link StandInInstance}.
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
                .filter(v -> v != null)
                .map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8))
                .flatMap(String::lines)
                .map(line -> line.replaceAll("^[\\s-]*\"?", "").replaceAll("\"?\\s*$", ""))
                .filter(line -> line.startsWith("ecdsa-") || line.startsWith("ssh-"))
                .toList();
    }

    /** A GetConsoleOutput answer whose console holds cloud-init's host key block (for SlowCloudProxy.answer). */
    public static String consoleOutputXml(String hostKeyLine) {
        String console = "[   12.0] cloud-init[800]: Cloud-init v. 24.4 finished\n"
                + "[   13.1] cloud-init[812]: -----BEGIN SSH HOST KEY KEYS-----\n"
                + "[   13.1] cloud-init[812]: " + hostKeyLine + "\n"
                + "[   13.1] cloud-init[812]: -----END SSH HOST KEY KEYS-----\n";
        return "<GetConsoleOutputResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>" + UUID.randomUUID() + "</requestId><instanceId>i-0</instanceId>"
                + "<timestamp>2026-11-24T10:00:00.000Z</timestamp><output>"
                + Base64.getEncoder().encodeToString(console.getBytes(StandardCharsets.UTF_8))
                + "</output></GetConsoleOutputResponse>";
    }
}
