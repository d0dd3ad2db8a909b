package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MotoServerTest {

    private static MotoServer moto;

    @BeforeAll
    static void start() {
        moto = MotoServer.start();
        System.out.println("moto ready (incl. EC2 warm-up) in " + moto.startupTime().toMillis() + " ms at "
                + moto.endpoint());
    }

    @AfterAll
    static void stop() {
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void endpointIsLoopback() {
        assertThat(moto.endpoint()).isEqualTo("http://127.0.0.1:" + moto.port());
    }

    @Test
    void baseAmiExistsInEveryRegion() {
        for (String region : List.of("us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2")) {
            String xml = moto.ec2(region, "DescribeImages", Map.of(
                    "Owner.1", MotoServer.CANONICAL_OWNER_ID,
                    "Filter.1.Name", "name",
                    "Filter.1.Value.1", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"));
            assertThat(xml).as(region).contains(MotoServer.BASE_AMI_ID)
                    .contains(MotoServer.BASE_AMI_NAME)
                    .contains("<imageOwnerId>" + MotoServer.CANONICAL_OWNER_ID + "</imageOwnerId>")
                    .doesNotContain(MotoServer.BASE_AMI_ID_ARM64);
        }
        assertThat(moto.ec2("eu-west-1", "DescribeImages", Map.of("ImageId.1", MotoServer.BASE_AMI_ID_ARM64)))
                .contains("<architecture>arm64</architecture>");
    }

    @Test
    void catalogueReplacesMotosBuiltInImages() {
        String xml = moto.ec2("us-east-1", "DescribeImages", Map.of("Owner.1", "amazon"));
        // Only our two images (moto tags every catalogue entry with the alias "amazon").
        assertThat(xml.split("<imageId>", -1)).hasSize(3);
    }

    @Test
    void unknownAmiIsRejectedLikeAws() {
        assertThatThrownBy(() -> moto.ec2("us-east-1", "RunInstances", Map.of(
                "ImageId", "ami-00000000000000000", "MinCount", "1", "MaxCount", "1")))
                .hasMessageContaining("InvalidAMIID");
    }

    @Test
    void resetWipesStateButKeepsTheCatalogue() {
        moto.ec2("eu-west-1", "CreateKeyPair", Map.of("KeyName", "reset-probe"));
        assertThat(moto.ec2("eu-west-1", "DescribeKeyPairs", Map.of())).contains("reset-probe");
        // The region of a call comes from the credential scope: other regions stay empty.
        assertThat(moto.ec2("us-east-1", "DescribeKeyPairs", Map.of())).doesNotContain("reset-probe");
        String run = moto.ec2("eu-west-1", "RunInstances", Map.of(
                "ImageId", MotoServer.BASE_AMI_ID, "MinCount", "1", "MaxCount", "1"));
        assertThat(run).contains("<instanceId>");

        moto.reset();

        assertThat(moto.ec2("eu-west-1", "DescribeKeyPairs", Map.of())).doesNotContain("reset-probe");
        assertThat(moto.ec2("eu-west-1", "DescribeInstances", Map.of())).doesNotContain("<instanceId>");
        assertThat(moto.ec2("eu-west-1", "DescribeImages", Map.of("ImageId.1", MotoServer.BASE_AMI_ID)))
                .contains(MotoServer.BASE_AMI_ID);
    }

    @Test
    void closeKillsTheProcessAndFreesThePort() throws Exception {
        MotoServer other = MotoServer.start();
        long pid = other.pid();
        int port = other.port();
        assertThat(ProcessHandle.of(pid)).map(ProcessHandle::isAlive).contains(true);

        long t0 = System.nanoTime();
        other.close();
        System.out.println("moto closed in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        other.close(); // idempotent

        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        assertThat(h.isEmpty() || !h.get().isAlive()).as("moto pid %d gone", pid).isTrue();
        assertThat(other.isAlive()).isFalse();
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            }
        }).isInstanceOf(IOException.class);
    }
}
