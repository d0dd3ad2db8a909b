package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the proxy is for: a real Packer amazon-ebs build against moto, held back at CreateImage. */
class PackerThroughProxyTest {

    @TempDir
    Path dir;

    @Test
    void packerBuildWaitsForTheDelayedCreateImage() throws Exception {
        assumeTrue(ExternalVersions.installedPackerVersion().isPresent(), "packer is not installed");
        Duration delay = Duration.ofSeconds(3);
        try (MotoServer moto = MotoServer.start();
                SlowCloudProxy proxy = SlowCloudProxy.start(moto.endpoint())) {
            proxy.delay("CreateImage", delay);
            Path template = dir.resolve("build.json");
            Files.writeString(template, """
                    {"builders": [{
                      "type": "amazon-ebs",
                      "region": "us-east-1",
                      "source_ami": "%s",
                      "instance_type": "t3.micro",
                      "ami_name": "cib-proxy-probe-{{timestamp}}",
                      "communicator": "none",
                      "custom_endpoint_ec2": "%s",
                      "skip_region_validation": true,
                      "skip_metadata_api_check": true,
                      "skip_credential_validation": true,
                      "access_key": "%s",
                      "secret_key": "%s"
                    }]}
                    """.formatted(MotoServer.BASE_AMI_ID, proxy.endpoint(), MotoServer.ACCESS_KEY_ID,
                    MotoServer.SECRET_ACCESS_KEY));
            ProcessBuilder pb = new ProcessBuilder("packer", "build", "-machine-readable", template.toString())
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
            pb.environment().put("CHECKPOINT_DISABLE", "1");
            pb.environment().put("PACKER_CONFIG_DIR", dir.toString());
            long t0 = System.nanoTime();
            Process packer = pb.start();
            byte[] out = packer.getInputStream().readAllBytes();
            assertThat(packer.waitFor(120, TimeUnit.SECONDS)).isTrue();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            String log = new String(out, StandardCharsets.UTF_8);
            System.out.println("packer build through the proxy took " + took.toMillis() + " ms");

            assertThat(packer.exitValue()).as(log).isZero();
            assertThat(log).containsPattern(",artifact,0,id,us-east-1:ami-[0-9a-f]+");
            assertThat(proxy.requests("CreateImage")).isEqualTo(1);
            assertThat(proxy.requests("RunInstances")).isEqualTo(1);
            assertThat(took).isGreaterThanOrEqualTo(delay);
        }
    }
}
