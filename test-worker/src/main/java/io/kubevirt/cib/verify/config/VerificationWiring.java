package io.kubevirt.cib.verify.config;

import io.kubevirt.cib.common.cloud.CloudPorts;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.metrics.MeteredCloud;
import io.kubevirt.cib.common.phase.WaitPolicy;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.gcp.GceCloud;
import io.kubevirt.cib.gcp.GcpCloudProducer;
import io.kubevirt.cib.verify.domain.VerificationCoordinator;
import io.kubevirt.cib.verify.domain.VerificationSettings;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun;
import io.kubevirt.cib.verify.ssh.SshGuestVerifier;
import io.kubevirt.cib.verify.ssh.SshKeyPairs;
import io.kubevirt.cib.verify.ssh.SshjConnector;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** Assembles the plain-Java verification logic from configuration, the cloud adapters and sshj. */
@ApplicationScoped
public class VerificationWiring {

    private static final Logger LOG = Logger.getLogger(VerificationCoordinator.class);

    @Produces
    @ApplicationScoped
    VerificationCoordinator coordinator(TestWorkerConfig config, ImageCatalog awsImages, InstanceFleet awsInstances,
            @Identifier(GcpCloudProducer.GCP) GceCloud gcp, MeterRegistry meters, Waiter waiter) {
        Map<Cloud, CloudPorts> clouds = MeteredCloud.enabled(config.clouds(), new CloudPorts(awsImages, awsInstances),
                new CloudPorts(gcp, gcp), meters);
        VerificationSettings settings = new VerificationSettings(launch(config.aws()), launch(config.gcp()),
                VerificationSettings.hostKeyPolicy(config.hostKeyWait()),
                VerificationSettings.retryPolicy(config.cloudRetryBudget()),
                VerificationSettings.retryPolicy(config.cleanupBudget()), config.instanceLifetime(),
                config.addressOverride());
        SshGuestVerifier guest = new SshGuestVerifier(
                new SshjConnector(config.ssh().connectTimeout(), Duration.ofSeconds(10)), waiter,
                new WaitPolicy(config.ssh().initialInterval(), config.ssh().maxInterval(), config.ssh().budget()),
                runId -> VerificationScriptRun.shipped(scriptSettings(config.script(), runId)));
        // Stopping needs no hook here: PhaseClaims cancels every attempt on shutdown, which ends the waits.
        return new VerificationCoordinator(clouds, guest, () -> SshKeyPairs.generate("cib-verify"), settings,
                Clock.systemUTC(), waiter, (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
    }

    private static VerificationSettings.Launch launch(TestWorkerConfig.Launch launch) {
        return new VerificationSettings.Launch(launch.machineType(), launch.diskSizeGb(), launch.subnet(),
                launch.firewallGroups().orElse(List.of()), launch.sshUser(), launch.nestedVirtualization());
    }

    private static VerificationScriptRun.Settings scriptSettings(TestWorkerConfig.Script script, String runId) {
        VerificationScriptRun.Settings settings = VerificationScriptRun.Settings.forRun(runId).withSudo(script.sudo());
        if (script.stepTimeout().isPresent()) {
            settings = settings.withStepTimeouts(VerificationScriptRun.StepTimeouts.all(script.stepTimeout().get()));
        }
        if (script.pollInterval().isPresent()) {
            settings = settings.withPollInterval(script.pollInterval().get());
        }
        if (script.imageUrl().isPresent()) {
            settings = settings.withImageUrl(script.imageUrl().get());
        }
        return settings;
    }
}
