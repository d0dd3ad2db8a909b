package io.kubevirt.cib.build.packer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubevirt.cib.build.domain.packer.BuiltImage;
import io.kubevirt.cib.build.domain.packer.PackerRun;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Validates packer/ with the installed packer (Debian 1.6.6 in CI), source by source, with
 * the variables the build worker passes, and without any cloud credentials.
 */
class PackerTemplateTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** Credentials and endpoints must not leak in from the developer's shell. */
    private static final Set<String> SCRUBBED = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
            "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CREDENTIALS", "CLOUDSDK_CONFIG", "PKR_VAR_build_id");

    @BeforeAll
    static void packerIsInstalled() {
        Exec.requireTool("packer", "version");
    }

    private static List<String> workerVars() {
        return List.of(
                "-var", "build_id=bld-7f3a9c2e",
                "-var", "request_id=req-20261124-0001",
                "-var", "image_name=cib-kubevirt-v1-8-2-bld-7f3a9c2e",
                "-var", "kubevirt_version=v1.8.2",
                "-var", "cdi_version=v1.64.0",
                "-var", "kubernetes_version=v1.35.0",
                "-var", "expires_at=1795562592");
    }

    private static Exec.Result packer(Path home, String subcommand, String only, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of("packer", subcommand));
        if (subcommand.equals("build")) {
            cmd.add("-machine-readable");
        }
        cmd.add("-only=" + only);
        cmd.addAll(workerVars());
        cmd.addAll(extra);
        cmd.add(Exec.packerDir().toString());
        return Exec.run(cmd, Map.of("CHECKPOINT_DISABLE", "1", "HOME", home.toString(),
                        "AWS_EC2_METADATA_DISABLED", "true"), null, TIMEOUT,
                env -> env.keySet().removeIf(k -> SCRUBBED.contains(k) || k.startsWith("PKR_VAR_")));
    }

    @Test
    void realAwsSourceValidatesWithFilterForUbuntu(@TempDir Path home) {
        Exec.Result r = packer(home, "validate", "amazon-ebs.aws", List.of("-var", "aws_region=eu-west-1"));
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    @Test
    void realAwsSourceValidatesWithExplicitAmiSubnetAndCopies(@TempDir Path home) {
        Exec.Result r = packer(home, "validate", "amazon-ebs.aws", List.of(
                "-var", "aws_region=us-east-1",
                "-var", "aws_source_ami=ami-0123456789abcdef0",
                "-var", "aws_subnet_id=subnet-0123456789abcdef0",
                "-var", "aws_instance_type=m6i.large",
                "-var", "aws_ami_regions=[\"eu-west-1\",\"us-west-2\"]",
                "-var", "disk_size_gb=40"));
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    @Test
    void emulatedAwsSourceValidates(@TempDir Path home) {
        Exec.Result r = packer(home, "validate", "amazon-ebs.aws-emulated", List.of(
                "-var", "ec2_endpoint=http://127.0.0.1:5000",
                "-var", "aws_source_ami=ami-785db401"));
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    @Test
    void gcpSourceValidatesWithoutCredentials(@TempDir Path home) {
        Exec.Result r = packer(home, "validate", "googlecompute.gcp", List.of(
                "-var", "gcp_project_id=example-project",
                "-var", "gcp_zone=us-central1-b"));
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    @Test
    void gcpSourceNeedsAProject(@TempDir Path home) {
        Exec.Result r = packer(home, "validate", "googlecompute.gcp", List.of());
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("project_id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"kubevirt_version=latest", "cdi_version=", "kubernetes_version=v1.35", "expires_at=tomorrow"})
    void unpinnedOrMalformedValuesAreRejected(String var, @TempDir Path home) {
        Exec.Result r = packer(home, "validate", "amazon-ebs.aws", List.of("-var", var));
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(r.output()).contains(var.substring(0, var.indexOf('=')));
    }

    @Test
    void requiredVariablesMustBeGiven(@TempDir Path home) {
        List<String> cmd = List.of("packer", "validate", "-only=amazon-ebs.aws", Exec.packerDir().toString());
        Exec.Result r = Exec.run(cmd, Map.of("CHECKPOINT_DISABLE", "1", "HOME", home.toString()), null, TIMEOUT,
                env -> env.keySet().removeIf(k -> k.startsWith("PKR_VAR_")));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("build_id");
    }

    @Test
    void noCredentialVariables() throws IOException {
        String vars = Files.readString(Exec.packerDir().resolve("variables.pkr.hcl")).toLowerCase();
        assertThat(vars).doesNotContain("secret", "access_key", "account_file", "credentials_json", "token");
    }

    /**
     * A real emulated build when moto is available (python3 -m moto.server); skipped
     * otherwise. Checks that the worker's parser finds the AMIs and that they are tagged.
     */
    @Test
    void emulatedBuildAgainstMoto(@TempDir Path home) throws Exception {
        Exec.Result probe = Exec.run(List.of("python3", "-c", "import moto.server, boto3"), Map.of(), null,
                Duration.ofSeconds(30));
        assumeTrue(probe.ok(), "moto is not installed");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process moto = new ProcessBuilder("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(home.resolve("moto.log").toFile()).start();
        try {
            String endpoint = "http://127.0.0.1:" + port;
            waitForHttp(endpoint + "/moto-api/", Duration.ofSeconds(30));
            Exec.Result r = Exec.run(withBuildArgs(endpoint), Map.of("CHECKPOINT_DISABLE", "1", "HOME", home.toString(),
                            "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test", "AWS_EC2_METADATA_DISABLED", "true"),
                    null, TIMEOUT, env -> env.keySet().removeIf(k -> k.startsWith("PKR_VAR_") || k.equals("AWS_PROFILE")));
            assertThat(r.exitCode()).as(r.output()).isZero();

            PackerRun run = new PackerRun();
            r.output().lines().forEach(run::accept);
            assertThat(run.builtImages()).extracting(BuiltImage::location).containsExactlyInAnyOrder("us-east-1", "eu-west-1");
            assertThat(run.builtImages()).allSatisfy(i -> assertThat(i.imageId()).startsWith("ami-"));
            assertThat(run.errors()).isEmpty();

            // Tags on the AMI copies and their snapshots, read back with the boto3 that ships with moto.
            String check = """
                    import boto3, sys
                    for region in ("us-east-1", "eu-west-1"):
                        ec2 = boto3.client("ec2", region_name=region, endpoint_url=sys.argv[1],
                                           aws_access_key_id="test", aws_secret_access_key="test")
                        f = [{"Name": "tag:cib-build-id", "Values": ["bld-7f3a9c2e"]}]
                        for i in ec2.describe_images(Filters=f)["Images"]:
                            t = {x["Key"]: x["Value"] for x in i["Tags"]}
                            print("image", region, i["ImageId"], t["cib-phase"], t["cib-kubevirt-version"], t["Name"])
                        for s in ec2.describe_snapshots(Filters=f)["Snapshots"]:
                            print("snapshot", region, s["SnapshotId"])
                    """;
            Exec.Result tags = Exec.run(List.of("python3", "-c", check, endpoint), Map.of(), null, Duration.ofSeconds(60));
            assertThat(tags.exitCode()).as(tags.output()).isZero();
            for (BuiltImage image : run.builtImages()) {
                assertThat(tags.output()).contains("image " + image.location() + " " + image.imageId()
                        + " build v1.8.2 cib-kubevirt-v1-8-2-bld-7f3a9c2e");
                assertThat(tags.output()).contains("snapshot " + image.location() + " snap-");
            }
        } finally {
            moto.destroy();
            moto.waitFor();
        }
    }

    private static List<String> withBuildArgs(String endpoint) {
        List<String> cmd = new ArrayList<>(List.of("packer", "build", "-machine-readable", "-only=amazon-ebs.aws-emulated"));
        cmd.addAll(workerVars());
        // ami-785db401: an Ubuntu AMI (owner 099720109477) in moto's built-in catalogue.
        cmd.addAll(List.of("-var", "ec2_endpoint=" + endpoint, "-var", "aws_region=us-east-1",
                "-var", "aws_source_ami=ami-785db401", "-var", "aws_ami_regions=[\"eu-west-1\"]"));
        cmd.add(Exec.packerDir().toString());
        return cmd;
    }

    private static void waitForHttp(String url, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Server still starting.
            }
            Thread.sleep(200);
        }
        throw new AssertionError("moto did not answer at " + url + " within " + timeout);
    }
}
