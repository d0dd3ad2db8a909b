package io.kubevirt.cib.build.domain.packer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link PackerRun} over real {@code packer build -machine-readable} stdout captured
 * from Packer 1.6.6 against moto (src/test/resources/packer-output/aws-emulated-*), and one
 * hand-written googlecompute sample.
 */
class PackerRunTest {

    private static PackerRun feed(String resource) {
        PackerRun run = new PackerRun();
        try (InputStream in = PackerRunTest.class.getResourceAsStream("/packer-output/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().forEach(run::accept);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run;
    }

    @Test
    void singleRegionBuild() {
        PackerRun run = feed("aws-emulated-single-region.txt");

        assertThat(run.builtImages()).containsExactly(new BuiltImage("us-east-1", "ami-3d0493ada4248e857"));
        assertThat(run.artifacts()).singleElement().satisfies(a -> {
            assertThat(a.target()).isEqualTo("amazon-ebs.aws-emulated");
            assertThat(a.index()).isZero();
            assertThat(a.builderId()).isEqualTo("mitchellh.amazonebs");
            assertThat(a.description()).isEqualTo("AMIs were created:\nus-east-1: ami-3d0493ada4248e857\n");
            assertThat(a.complete()).isTrue();
        });
        assertThat(run.errors()).isEmpty();
        assertThat(run.failureReason()).isEmpty();
        assertThat(run.errorCount()).isEmpty();
        assertThat(run.cancelled()).isFalse();
        assertThat(run.otherLineCount()).isZero();
        assertThat(run.uiMessages()).extracting(PackerUiMessage::text)
                .contains("==> amazon-ebs.aws-emulated: No volumes to clean up, skipping")
                .anyMatch(t -> t.contains("Adding tag: \"cib-build-id\": \"bld-7f3a9c2e\""));
    }

    @Test
    void multiRegionBuildGivesOneImagePerRegion() {
        PackerRun run = feed("aws-emulated-multi-region.txt");

        assertThat(run.artifacts()).singleElement()
                .extracting(PackerArtifact::id)
                .isEqualTo("eu-west-1:ami-f53832f07493ec85d,us-east-1:ami-2c6ecf492c7db3448,"
                        + "us-west-2:ami-71c4bf75fa756010d");
        assertThat(run.builtImages()).containsExactly(
                new BuiltImage("eu-west-1", "ami-f53832f07493ec85d"),
                new BuiltImage("us-east-1", "ami-2c6ecf492c7db3448"),
                new BuiltImage("us-west-2", "ami-71c4bf75fa756010d"));
        assertThat(run.errors()).isEmpty();
    }

    @Test
    void failedBuildHasNoImagesAndAReason() {
        PackerRun run = feed("aws-emulated-failed-source-ami.txt");

        assertThat(run.builtImages()).isEmpty();
        assertThat(run.artifacts()).isEmpty();
        assertThat(run.errorCount()).hasValue(1);
        assertThat(run.cancelled()).isFalse();
        assertThat(run.failureReason()).hasValue(
                "Error querying AMI: InvalidAMIID.NotFound: The image id '[ami-0000000000deadbee]' does not exist\n"
                        + "\tstatus code: 400, request id: request-id");
        assertThat(run.errors()).first().isEqualTo(run.failureReason().orElseThrow());
        assertThat(run.errors()).hasSize(5)
                .anyMatch(e -> e.startsWith("Build 'amazon-ebs.aws-emulated' errored after"));
    }

    @Test
    void interruptedBySigintToTheProcessGroup() {
        PackerRun run = feed("aws-emulated-interrupted-sigint.txt");

        assertThat(run.cancelled()).isTrue();
        assertThat(run.builtImages()).isEmpty();
        assertThat(run.failureReason()).hasValue("Cancelling build after receiving interrupt");
        assertThat(run.uiMessages()).last().extracting(PackerUiMessage::text)
                .isEqualTo("Cleanly cancelled builds after being interrupted.");
    }

    @Test
    void terminatedBySigterm() {
        PackerRun run = feed("aws-emulated-terminated-sigterm.txt");

        assertThat(run.cancelled()).isTrue();
        assertThat(run.builtImages()).isEmpty();
        assertThat(run.failureReason()).hasValue("Cancelling build after receiving terminated");
        assertThat(run.errors()).anyMatch(e -> e.contains("waiter context canceled\ncaused by: context canceled"));
    }

    @Test
    void templateErrorIsMachineReadableToo() {
        PackerRun run = feed("aws-emulated-invalid-variable.txt");

        assertThat(run.builtImages()).isEmpty();
        assertThat(run.failureReason()).get().asString()
                .startsWith("Error: Invalid value for cmd variable\n")
                .contains("The expires_at variable must be epoch seconds, e.g. 1767225600.")
                .contains("packer/variables.pkr.hcl:47,3-13");
    }

    @Test
    void googlecomputeArtifactIdIsTheImageName() {
        PackerRun run = feed("gcp-HANDWRITTEN-single-image.txt");

        assertThat(run.builtImages()).containsExactly(new BuiltImage("", "cib-kubevirt-v1-8-2-bld-7f3a9c2e"));
        assertThat(run.artifacts()).singleElement()
                .extracting(PackerArtifact::builderId).isEqualTo(PackerArtifact.GOOGLECOMPUTE_BUILDER_ID);
        // The comment header is not machine-readable: counted and kept, not parsed.
        assertThat(run.otherLineCount()).isOne();
        assertThat(run.otherLines()).singleElement().asString().startsWith("# HAND-WRITTEN");
        assertThat(run.uiMessages()).extracting(PackerUiMessage::text)
                .anyMatch(t -> t.endsWith("bake: Kubernetes v1.35.0, KubeVirt v1.8.2, CDI v1.64.0, "
                        + "flannel v0.27.4, local-path v0.0.33"));
        assertThat(run.failureReason()).isEmpty();
    }

    @Test
    void ignoresNoiseBetweenMachineReadableLines() {
        PackerRun run = new PackerRun();
        List.of(
                "2026/11/24 19:19:38 [INFO] Packer version: 1.6.6",
                "",
                "1795548378,amazon-ebs.aws,artifact-count,1",
                "==> amazon-ebs.aws: something a plugin printed directly",
                "1795548378,amazon-ebs.aws,artifact,0,builder-id,mitchellh.amazonebs",
                "1795548378,amazon-ebs.aws,artifact,0,id,eu-west-1:ami-1%!(PACKER_COMMA)us-east-1:ami-2",
                "1795548378,amazon-ebs.aws,artifact,0,end").forEach(run::accept);

        assertThat(run.builtImages()).containsExactly(
                new BuiltImage("eu-west-1", "ami-1"), new BuiltImage("us-east-1", "ami-2"));
        assertThat(run.otherLineCount()).isEqualTo(2);
        assertThat(run.otherLines()).containsExactly("2026/11/24 19:19:38 [INFO] Packer version: 1.6.6",
                "==> amazon-ebs.aws: something a plugin printed directly");
        assertThat(run.failureReason()).isEmpty();
    }

    @Test
    void manifestPostProcessorDuplicateIsDroppedAndIncompleteArtifactsStillCount() {
        PackerRun run = new PackerRun();
        List.of(
                "1,amazon-ebs.aws,artifact,0,builder-id,mitchellh.amazonebs",
                "1,amazon-ebs.aws,artifact,0,id,us-east-1:ami-1",
                "1,amazon-ebs.aws,artifact,0,end",
                "1,amazon-ebs.aws,artifact,1,builder-id,packer.post-processor.manifest",
                "1,amazon-ebs.aws,artifact,1,id,us-east-1:ami-1",
                // Output cut off before the end row (e.g. the worker was killed).
                "1,googlecompute.gcp,artifact,0,builder-id,packer.googlecompute",
                "1,googlecompute.gcp,artifact,0,id,cib-image-1",
                // Malformed artifact rows are ignored.
                "1,amazon-ebs.aws,artifact,x,id,us-east-1:ami-9",
                "1,amazon-ebs.aws,artifact,2").forEach(run::accept);

        assertThat(run.builtImages()).containsExactly(
                new BuiltImage("us-east-1", "ami-1"), new BuiltImage("", "cib-image-1"));
        assertThat(run.artifacts()).extracting(PackerArtifact::complete).containsExactly(true, false, false);
    }

    @Test
    void keepsOnlyTheFirstNonMachineReadableLines() {
        PackerRun run = new PackerRun();
        for (int i = 0; i < PackerRun.MAX_OTHER_LINES + 10; i++) {
            run.accept("noise " + i);
        }
        run.accept((String) null);
        run.accept("");

        assertThat(run.otherLines()).hasSize(PackerRun.MAX_OTHER_LINES).startsWith("noise 0");
        assertThat(run.otherLineCount()).isEqualTo(PackerRun.MAX_OTHER_LINES + 10);
    }

    @Test
    void unknownIdShapeIsKeptWhole() {
        PackerArtifact artifact = new PackerArtifact("null.x", 0, "", "some-id", "", true);
        assertThat(artifact.images()).containsExactly(new BuiltImage("", "some-id"));
        assertThat(new PackerArtifact("a", 0, "mitchellh.amazonebs", "", "", true).images()).isEmpty();
    }
}
