package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseOutcome.Abandon;
import io.kubevirt.cib.common.phase.PhaseOutcome.Emit;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.verify.domain.run.VerificationReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Verifies one built image and never leaks the instance it boots:
 * <ol>
 * <li>an instance an interrupted earlier attempt left behind (found by tags) is terminated first;</li>
 * <li>a fresh key pair is made and its public half injected at launch; the cloud's idempotency token and the
 * find-by-tag step keep a redelivery from starting a second instance;</li>
 * <li>the instance's host keys come from the cloud and are the only ones SSH accepts;</li>
 * <li>the verification runs over SSH; on a pass the image gets the verified marker;</li>
 * <li>the instance is terminated whatever happened, and the outcome is one image.verified event.</li>
 * </ol>
 * If even the final terminate never runs (kill -9), the next delivery terminates the instance by its tags, and its
 * expiry tag lets a sweep find it should the event never come back.
 */
public final class VerificationCoordinator implements Phase<ImageBuilt> {

    private final Map<Cloud, CloudPorts> clouds;
    private final GuestVerifier guest;
    private final Supplier<SshIdentity> identities;
    private final VerificationSettings settings;
    private final Clock clock;
    private final Sleeper sleeper;
    private final BiConsumer<String, String> log;
    private volatile boolean stopping;

    public VerificationCoordinator(Map<Cloud, CloudPorts> clouds, GuestVerifier guest, Supplier<SshIdentity> identities,
            VerificationSettings settings, Clock clock, Sleeper sleeper, BiConsumer<String, String> log) {
        this.clouds = Map.copyOf(clouds);
        this.guest = guest;
        this.identities = identities;
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
        this.log = log;
    }

    /** Pauses between polls; tests pass one that does not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** The worker is stopping: waits end early, the instance is still terminated, the event is redelivered. */
    public void stop() {
        stopping = true;
    }

    @Override
    public PipelineEvent failure(Envelope<ImageBuilt> event, Phase.Failure failure) {
        ImageBuilt data = event.data();
        return new ImageVerified(EventType.CURRENT_VERSION, data.buildId(), data.cloud(), data.region(),
                data.project(), data.imageId(), null, ImageVerified.Outcome.FAILED, failure.reason(), List.of(),
                data.kubevirtVersion(), data.kubernetesVersion(), null, event.id(), data.replayOf());
    }

    @Override
    public PhaseOutcome run(Envelope<ImageBuilt> event, Attempt attempt) {
        VerificationPlan plan = VerificationPlan.of(event, settings, clock.instant());
        CloudPorts cloud = clouds.get(plan.cloud());
        if (cloud == null) {
            return failed(plan, null, "cloud " + plan.cloud().wireName() + " is not enabled on this worker",
                    List.of(), null);
        }
        try {
            Optional<CloudImage> image = cloud.images().getImage(plan.location(), plan.imageId());
            if (image.isEmpty()) {
                return failed(plan, null, "image " + plan.imageId() + " does not exist in " + plan.location(),
                        List.of(), null);
            }
            Optional<PhaseOutcome> recorded = recordedOutcome(plan, image.get());
            if (recorded.isPresent()) {
                return recorded.get();
            }
            terminateLeftovers(plan, cloud.instances());
            return launchAndVerify(plan, cloud);
        } catch (CloudException e) {
            if (e.retryable() && stopping) {
                return new Abandon("worker is stopping");
            }
            return failed(plan, null, "cloud call failed: " + e.getMessage(), List.of(), null);
        }
    }

    /**
     * This exact event was verified before and only its acknowledgement got lost: report the recorded outcome again
     * rather than boot a second instance. (The first report carried the per-check evidence.)
     */
    private Optional<PhaseOutcome> recordedOutcome(VerificationPlan plan, CloudImage image) {
        if (!ResourceTags.labelValue(plan.requestId()).equals(image.tags().get(ResourceTags.LAST_VERIFICATION))) {
            return Optional.empty();
        }
        boolean passed = "passed".equals(image.tags().get(ResourceTags.LAST_VERIFICATION_OUTCOME));
        log.accept(plan.buildId(), "image " + plan.imageId() + " was already verified for this event ("
                + (passed ? "passed" : "failed") + "); reporting that instead of verifying again");
        return Optional.of(Emit.of(event(plan, null, passed ? ImageVerified.Outcome.PASSED : ImageVerified.Outcome.FAILED,
                passed ? null : "recorded outcome of an earlier delivery of this event: failed", List.of(), null)));
    }

    private PhaseOutcome launchAndVerify(VerificationPlan plan, CloudPorts cloud) {
        VerificationSettings.Launch launch = plan.cloud() == Cloud.AWS ? settings.aws() : settings.gcp();
        SshIdentity identity = identities.get();
        CloudInstance instance = cloud.instances().launch(plan.launchSpec(launch, identity));
        log.accept(plan.buildId(), "launched " + instance.id() + " from " + plan.imageId() + " in " + plan.location());
        try {
            Optional<List<String>> hostKeys = awaitHostKeys(plan, cloud.instances(), instance.id());
            if (stopping) {
                return new Abandon("worker is stopping during verification of " + plan.imageId());
            }
            if (hostKeys.isEmpty()) {
                return failed(plan, instance.id(), "instance did not report SSH host keys within "
                        + settings.hostKeyWait() + "; console tail: " + tail(cloud.instances().consoleOutput(
                                plan.location(), instance.id())), List.of(), null);
            }
            Optional<String[]> address = address(plan, cloud.instances(), instance);
            if (address.isEmpty()) {
                return failed(plan, instance.id(), "instance has no address to connect to", List.of(), null);
            }
            SshTarget target = new SshTarget(address.get()[0], Integer.parseInt(address.get()[1]), launch.sshUser(),
                    identity, hostKeys.get());
            GuestVerifier.Result result = guest.verify(target, plan.runId(), line -> log.accept(plan.buildId(), line));
            if (stopping) {
                return new Abandon("worker is stopping during verification of " + plan.imageId());
            }
            return outcome(plan, cloud, instance.id(), result);
        } finally {
            cloud.instances().terminate(plan.location(), List.of(instance.id()));
            log.accept(plan.buildId(), "terminated " + instance.id());
        }
    }

    private PhaseOutcome outcome(VerificationPlan plan, CloudPorts cloud, String instanceId, GuestVerifier.Result result) {
        if (result instanceof GuestVerifier.Unreachable u) {
            return recordFailure(plan, cloud, failed(plan, instanceId, "ssh: " + u.reason(), List.of(), null));
        }
        if (result instanceof GuestVerifier.HostKeyRejected r) {
            return recordFailure(plan, cloud,
                    failed(plan, instanceId, "ssh host key rejected: " + r.reason(), List.of(), null));
        }
        VerificationReport report = ((GuestVerifier.Verified) result).report();
        if (!report.passed()) {
            return recordFailure(plan, cloud,
                    failed(plan, instanceId, report.failureReason(), report.checks(), report.found()));
        }
        // Marked only after a pass of this exact image: the publish phase trusts this marker.
        Map<String, String> marker = new java.util.LinkedHashMap<>(plan.verifiedMarker(clock.instant()));
        marker.putAll(lastVerification(plan, "passed"));
        cloud.images().tagImage(plan.location(), plan.imageId(), marker);
        return Emit.of(event(plan, instanceId, ImageVerified.Outcome.PASSED, null, report.checks(), report.found()));
    }

    private Emit recordFailure(VerificationPlan plan, CloudPorts cloud, Emit failure) {
        cloud.images().tagImage(plan.location(), plan.imageId(), lastVerification(plan, "failed"));
        return failure;
    }

    private static Map<String, String> lastVerification(VerificationPlan plan, String outcome) {
        return Map.of(ResourceTags.LAST_VERIFICATION, ResourceTags.labelValue(plan.requestId()),
                ResourceTags.LAST_VERIFICATION_OUTCOME, outcome);
    }

    private Optional<List<String>> awaitHostKeys(VerificationPlan plan, InstanceFleet fleet, String instanceId) {
        Instant giveUp = clock.instant().plus(settings.hostKeyWait());
        Duration pause = Duration.ofSeconds(2);
        while (!stopping) {
            List<String> keys = fleet.hostKeys(plan.location(), instanceId);
            if (!keys.isEmpty()) {
                log.accept(plan.buildId(), "instance reported " + keys.size() + " host key(s)");
                return Optional.of(keys);
            }
            if (!clock.instant().isBefore(giveUp)) {
                return Optional.empty();
            }
            try {
                sleeper.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30)
                    : pause.multipliedBy(2);
        }
        return Optional.empty();
    }

    private Optional<String[]> address(VerificationPlan plan, InstanceFleet fleet, CloudInstance launched) {
        if (settings.addressOverride().isPresent()) {
            return Optional.of(hostAndPort(settings.addressOverride().get()));
        }
        Optional<String> address = launched.address();
        if (address.isEmpty()) {
            address = fleet.describe(plan.location(), launched.id()).flatMap(CloudInstance::address);
        }
        return address.map(a -> new String[] {a, "22"});
    }

    private static String[] hostAndPort(String value) {
        int colon = value.lastIndexOf(':');
        return colon < 0 ? new String[] {value, "22"}
                : new String[] {value.substring(0, colon), value.substring(colon + 1)};
    }

    private void terminateLeftovers(VerificationPlan plan, InstanceFleet fleet) {
        List<String> alive = fleet.findInstances(plan.location(), plan.requestTags()).stream()
                .map(CloudInstance::id).toList();
        if (!alive.isEmpty()) {
            log.accept(plan.buildId(), "terminating instances of an interrupted earlier attempt: " + alive);
            fleet.terminate(plan.location(), alive);
        }
    }

    private Emit failed(VerificationPlan plan, String instanceId, String reason, List<ImageVerified.Check> checks,
            ImageVerified.FoundVersions found) {
        String safe = Redactor.redact(reason == null || reason.isBlank() ? "verification failed" : reason);
        log.accept(plan.buildId(), "verification failed: " + safe);
        return Emit.of(event(plan, instanceId, ImageVerified.Outcome.FAILED,
                safe.length() > 3000 ? safe.substring(0, 3000) : safe, checks, found));
    }

    private ImageVerified event(VerificationPlan plan, String instanceId, ImageVerified.Outcome outcome, String reason,
            List<ImageVerified.Check> checks, ImageVerified.FoundVersions found) {
        return new ImageVerified(EventType.CURRENT_VERSION, plan.buildId(), plan.cloud(), plan.location(),
                plan.project(), plan.imageId(), instanceId, outcome, reason, checks, plan.kubevirtVersion(),
                plan.kubernetesVersion(), found, plan.requestId(), null);
    }

    private static String tail(String console) {
        String redacted = Redactor.redact(console == null ? "" : console.strip());
        return redacted.length() <= 400 ? redacted : redacted.substring(redacted.length() - 400);
    }

    /** The two ports of one cloud this phase uses. */
    public record CloudPorts(io.kubevirt.cib.common.cloud.ImageCatalog images, InstanceFleet instances) {
    }
}
