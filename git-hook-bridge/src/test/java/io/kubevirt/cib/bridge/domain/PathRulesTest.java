package io.kubevirt.cib.bridge.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.events.Cloud;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PathRulesTest {

    private final PathRules rules = PathRules.defaults();

    @Test
    void awsOnly() {
        assertThat(rules.cloudsFor(List.of("packer/sources-aws.pkr.hcl", "cloud-aws/src/main/java/X.java",
                "README.md"))).containsExactly(Cloud.AWS);
        assertThat(rules.cloudsFor(List.of("ansible/ec2-test-centos.yml"))).containsExactly(Cloud.AWS);
        assertThat(rules.cloudsFor(List.of("kubevirt-ami-centos.json"))).containsExactly(Cloud.AWS);
    }

    @Test
    void gcpOnly() {
        assertThat(rules.cloudsFor(List.of("packer/sources-gcp.pkr.hcl", "docs/intro.md")))
                .containsExactly(Cloud.GCP);
        assertThat(rules.cloudsFor(List.of("gce/startup.sh"))).containsExactly(Cloud.GCP);
    }

    @Test
    void sharedFilesConcernEveryCloud() {
        assertThat(rules.cloudsFor(List.of("packer/installer/first-boot.sh")))
                .containsExactlyInAnyOrder(Cloud.AWS, Cloud.GCP);
        assertThat(rules.cloudsFor(List.of("packer/variables.pkr.hcl")))
                .containsExactlyInAnyOrder(Cloud.AWS, Cloud.GCP);
    }

    @Test
    void aCloudSpecificFileUnderASharedGlobConcernsOnlyItsCloud() {
        // packer/*.pkr.hcl is shared, but packer/sources-aws.pkr.hcl names AWS.
        assertThat(rules.cloudsFor(List.of("packer/sources-aws.pkr.hcl"))).containsExactly(Cloud.AWS);
    }

    @Test
    void neither() {
        assertThat(rules.cloudsFor(List.of("README.md", "docs/laws.md", "src/dynamic.txt", ".ci/run"))).isEmpty();
        assertThat(rules.cloudsFor(List.of())).isEmpty();
    }

    @Test
    void globsAreGlobsNotRegularExpressions() {
        // As a regex "aws.*" would match "awsXjson" and "." would match any character; as a glob it is literal.
        var custom = new PathRules(Map.of(Cloud.AWS, List.of("aws.*"), Cloud.GCP, List.of("gcp/**")), List.of());
        assertThat(custom.cloudsFor(List.of("aws.json"))).containsExactly(Cloud.AWS);
        assertThat(custom.cloudsFor(List.of("awsXjson", "aws/x.json"))).isEmpty();
        assertThat(custom.cloudsFor(List.of("gcp/a/b/c.sh"))).containsExactly(Cloud.GCP);
    }
}
