package io.kubevirt.cib.build.crash;

import io.kubevirt.cib.aws.Ec2Cloud;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.devstack.MotoServer;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the process-level tests share: the packaged build-worker set up for moto and Packer's emulated source. */
final class EmulatedBuildWorker {

    static final String REGION = "us-west-1";

    private EmulatedBuildWorker() {
    }

    /** The %test profile's build settings as -D properties for the packaged (prod-profile) jar; add to the map. */
    static Map<String, String> properties(String bootstrap, String cloudEndpoint, String workDir) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", bootstrap);
        props.put("cib.aws.endpoint-override", cloudEndpoint);
        props.put("cib.build.packer.template-dir", Path.of("../packer").toAbsolutePath().normalize().toString());
        props.put("cib.build.packer.aws-source", "amazon-ebs.aws-emulated");
        props.put("cib.build.packer.vars.aws_source_ami", MotoServer.BASE_AMI_ID);
        props.put("cib.build.packer.env.AWS_ACCESS_KEY_ID", "test");
        props.put("cib.build.packer.env.AWS_SECRET_ACCESS_KEY", "test");
        props.put("cib.build.packer.work-dir", Path.of(workDir).toAbsolutePath().toString());
        props.put("quarkus.http.port", "0");
        props.put("quarkus.http.host", "127.0.0.1");
        return props;
    }

    static BuildRequested request(String buildId, String requestedBy) {
        return new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS, "v1.8.2", null, null, REGION, null,
                requestedBy, null, null);
    }

    /** Waits until Packer has a build instance up for one of the builds. */
    static void awaitAnyBuildInstance(Ec2Cloud ec2, Collection<String> buildIds, Duration timeout)
            throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        while (Instant.now().isBefore(giveUp)) {
            for (String buildId : buildIds) {
                if (!ec2.findInstances(REGION, Map.of(ResourceTags.BUILD_ID, buildId)).isEmpty()) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no build instance started for " + buildIds);
    }
}
