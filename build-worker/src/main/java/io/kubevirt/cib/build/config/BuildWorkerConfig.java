package io.kubevirt.cib.build.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Typed configuration of the build-worker ({@code cib.build.*}); see application.properties for the defaults. */
@ConfigMapping(prefix = "cib.build")
public interface BuildWorkerConfig {

    /** Clouds this worker builds for; a request for another cloud becomes a non-retryable build.failed. */
    Set<String> clouds();

    /** The longest one Packer run may take; then it is interrupted and the build fails as retryable. */
    Duration timeout();

    /** Lifetime of a built image unless a release keeps it (its expiry tag). */
    Duration imageLifetime();

    /**
     * How long terminating a build instance (and other cleanup) is retried while the cloud answers with retryable
     * errors, before the build ends as a retryable build.failed saying what is left.
     */
    @WithDefault("2m")
    Duration cleanupBudget();

    Defaults defaults();

    Aws aws();

    Gcp gcp();

    Packer packer();

    interface Defaults {
        /** Used when a request names no CDI version. Pinned: never "latest". */
        String cdiVersion();

        /** Used when a request names no Kubernetes version. */
        String kubernetesVersion();
    }

    interface Aws {
        /** Region builds run in unless the request names one. */
        String region();
    }

    interface Gcp {
        /** Zone builds run in unless the request names one. The project is the adapter's cib.gcp.project. */
        String zone();
    }

    interface Packer {
        /** The packer executable. */
        @WithDefault("packer")
        String binary();

        /** Directory holding the HCL2 templates and the installer (the repository's packer/ folder). */
        Path templateDir();

        /** Scratch space for Packer (its TMPDIR and plugin cache). */
        Path workDir();

        /** {@code -only} source for AWS builds: amazon-ebs.aws for real AWS, amazon-ebs.aws-emulated for moto. */
        String awsSource();

        String gcpSource();

        /** How long Packer may take to clean up after SIGTERM before it is killed. */
        Duration interruptGrace();

        /** Extra {@code -var name=value} for the templates (e.g. aws_source_ami, aws_subnet_id). Not for secrets. */
        Map<String, String> vars();

        /** Extra environment for Packer. Credentials come from the pod's identity, not from here. */
        Map<String, String> env();
    }
}
