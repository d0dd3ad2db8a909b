package io.kubevirt.cib.verify.config;

import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.metrics.MeteredCloud;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.gcp.GceCloud;
import io.kubevirt.cib.gcp.GcpCloudProducer;
import io.kubevirt.cib.verify.domain.VerificationCoordinator;
import io.kubevirt.cib.verify.domain.VerificationSettings;
import io.kubevirt.cib.verify.domain.run.SshWait;
import io.kubevirt.cib.verify.domain.run.VerificationScriptRun;
import io.kubevirt.cib.verify.ssh.SshGuestVerifier;
import io.kubevirt.cib.verify.ssh.SshKeyPairs;
import io.kubevirt.cib.verify.ssh.SshjConnector;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** Assembles the plain-Java verification logic from configuration, the cloud adapters and sshj. */
@ApplicationScoped
public class VerificationWiring {

    private static final Logger LOG = Logger.getLogger(VerificationCoordinator.class);

    private VerificationCoordinator coordinator;

    @Produces
    @ApplicationScoped
    VerificationCoordinator coordinator(TestWorkerConfig config, ImageCatalog awsImages, InstanceFleet awsInstances,
            @Identifier(GcpCloudProducer.GCP) GceCloud gcp, MeterRegistry meters) {
        Map<Cloud, VerificationCoordinator.CloudPorts> clouds = new EnumMap<>(Cloud.class);
        for (String name : config.clouds()) {
            Cloud cloud = Cloud.fromWireName(name);
            MeteredCloud metered = cloud == Cloud.AWS ? new MeteredCloud(name, awsImages, awsInstances, meters)
                    : new MeteredCloud(name, gcp, gcp, meters);
            clouds.put(cloud, new VerificationCoordinator.CloudPorts(metered, metered));
        }
        VerificationSettings settings = new VerificationSettings(launch(config.aws()), launch(config.gcp()),
                config.hostKeyWait(), config.instanceLifetime(), config.addressOverride());
        SshGuestVerifier guest = new SshGuestVerifier(new SshjConnector(config.ssh().connectTimeout(), Duration.ofSeconds(10)),
                new SshWait.Backoff(config.ssh().initialInterval(), config.ssh().maxInterval(), config.ssh().budget()),
                runId -> VerificationScriptRun.shipped(scriptSettings(config.script(), runId)));
        coordinator = new VerificationCoordinator(clouds, guest, () -> SshKeyPairs.generate("cib-verify"), settings,
                Clock.systemUTC(), duration -> Thread.sleep(duration.toMillis()),
                (buildId, message) -> LOG.infof("build %s: %s", buildId, message));
        return coordinator;
    }

    /** Waits end early and instances are terminated; the unacknowledged image.built comes back after restart. */
    void onStop(@Observes ShutdownEvent event) {
        if (coordinator != null) {
            coordinator.stop();
        }
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
