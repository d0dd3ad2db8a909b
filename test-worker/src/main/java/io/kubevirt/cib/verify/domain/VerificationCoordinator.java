package io.kubevirt.cib.verify.domain;

import io.kubevirt.cib.common.cloud.CloudPorts;
import io.kubevirt.cib.common.cloud.InstanceCleanup;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.CloudInstance;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.InstanceFleet;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.PhaseOutcome.Abandon;
import io.kubevirt.cib.common.phase.PhaseOutcome.Emit;
import io.kubevirt.cib.common.phase.Reasons;
import io.kubevirt.cib.common.phase.Waiter;
import io.kubevirt.cib.common.redact.Redactor;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.ImageVerified.FailureKind;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.verify.domain.run.VerificationReport;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Verifies one built image and never leaks the instance it boots:
 * <ol>
 * <li>an instance an interrupted earlier attempt left behind (found by tags) is terminated first;</li>
 * <li>a fresh key pair is made and its public half injected at launch; a launch that failed retryably (e.g. timed
 * out) is retried, adopting an instance the lost call may have started instead of starting a second one;</li>
 * <li>the instance's host keys come from the cloud and are the only ones SSH accepts;</li>
 * <li>the verification runs over SSH;</li>
 * <li>the instance is terminated whatever happened, retried within its budget, before any outcome: if it cannot be
 * terminated the outcome is a retryable failure saying so, never a pass;</li>
 * <li>then the image is marked: a pass writes the verified marker, a failure of the image removes it.</li>
 * </ol>
 * Every wait and retry goes through the {@link Waiter} and ends when the {@link Attempt} is cancelled (partition
 * revoked, worker stopping): the instance is still terminated and the outcome is {@link Abandon}, so the input is
 * redelivered. If even the final terminate never runs (kill -9), the next delivery terminates the instance by its
 * tags, and its expiry tag lets a sweep find it should the event never come back.
 */
public final class VerificationCoordinator implements Phase<ImageBuilt> {

    /** Throttling, capacity, timeouts: what the adapters mark retryable. */
    private static final Predicate<Throwable> RETRYABLE = e -> e instanceof CloudException c && c.retryable();

    private final Map<Cloud, CloudPorts> clouds;
    private final GuestVerifier guest;
    private final Supplier<SshIdentity> identities;
    private final VerificationSettings settings;
    private final Clock clock;
    private final Waiter waiter;
    private final BiConsumer<String, String> log;

    public VerificationCoordinator(Map<Cloud, CloudPorts> clouds, GuestVerifier guest, Supplier<SshIdentity> identities,
            VerificationSettings settings, Clock clock, Waiter waiter, BiConsumer<String, String> log) {
        this.clouds = Map.copyOf(clouds);
        this.guest = guest;
        this.identities = identities;
        this.settings = settings;
        this.clock = clock;
        this.waiter = waiter;
        this.log = log;
    }

    /** The worker itself failed on this input (see {@link Phase.Kind}): not the image's fault. */
    @Override
    public PipelineEvent failure(Envelope<ImageBuilt> event, Phase.Failure failure) {
        ImageBuilt data = event.data();
        return new ImageVerified(EventType.CURRENT_VERSION, data.buildId(), data.cloud(), data.region(),
                data.project(), data.imageId(), null, ImageVerified.Outcome.FAILED, failure.reason(), List.of(),
                data.kubevirtVersion(), data.kubernetesVersion(), null, failure.retryable(), FailureKind.WORKER,
                data.releaseTag(), event.id(), data.replayOf());
    }

    @Override
    public PhaseOutcome run(Envelope<ImageBuilt> event, Attempt attempt) {
        VerificationPlan plan = VerificationPlan.of(event, settings, clock.instant());
        CloudPorts cloud = clouds.get(plan.cloud());
        if (cloud == null) {
            return emit(plan, Verdict.failed(null, FailureKind.WORKER,
                    "cloud " + plan.cloud().wireName() + " is not enabled on this worker"));
        }
        try {
            Optional<CloudImage> image = retrying("get-image", attempt,
                    () -> cloud.images().getImage(plan.location(), plan.imageId()));
            if (image.isEmpty()) {
                return emit(plan, Verdict.failed(null, FailureKind.IMAGE,
                        "image " + plan.imageId() + " does not exist in " + plan.location()));
            }
            Optional<PhaseOutcome> recorded = recordedOutcome(plan, image.get());
            if (recorded.isPresent()) {
                return recorded.get();
            }
            Set<String> leftovers = terminateLeftovers(plan, cloud.instances(), attempt);
            return launchVerifyAndClean(plan, cloud, attempt, leftovers);
        } catch (CloudException e) {
            if (attempt.cancelled()) {
                return abandon(plan, attempt);
            }
            return emit(plan, Verdict.failed(null, e.retryable() ? FailureKind.TRANSIENT : FailureKind.WORKER,
                    "cloud call failed: " + e.getMessage()));
        } catch (RuntimeException e) {
            if (attempt.cancelled()) {
                // The waiter's way of ending a wait early; whatever else was thrown, the attempt is over.
                return abandon(plan, attempt);
            }
            throw e;
        }
    }

    /**
     * This exact event was verified before and only its acknowledgement got lost: report the recorded outcome again
     * rather than boot a second instance. (The first report carried the per-check evidence.) Only verdicts on the
     * image are recorded; a transient failure is verified again.
     */
    private Optional<PhaseOutcome> recordedOutcome(VerificationPlan plan, CloudImage image) {
        if (!ResourceTags.idValue(plan.requestId()).equals(image.tags().get(ResourceTags.LAST_VERIFICATION))) {
            return Optional.empty();
        }
        boolean passed = "passed".equals(image.tags().get(ResourceTags.LAST_VERIFICATION_OUTCOME));
        log.accept(plan.buildId(), "image " + plan.imageId() + " was already verified for this event ("
                + (passed ? "passed" : "failed") + "); reporting that instead of verifying again");
        return Optional.of(Emit.of(passed ? event(plan, Verdict.passed(null, null))
                : event(plan, Verdict.failed(null, FailureKind.IMAGE,
                        "recorded outcome of an earlier delivery of this event: failed"))));
    }

    private PhaseOutcome launchVerifyAndClean(VerificationPlan plan, CloudPorts cloud, Attempt attempt,
            Set<String> leftovers) {
        Set<String> launched = new LinkedHashSet<>();
        Verdict verdict = null;
        RuntimeException thrown = null;
        try {
            verdict = launchAndVerify(plan, cloud, attempt, leftovers, launched);
        } catch (RuntimeException e) {
            thrown = e;
        }
        // Before any outcome: an outcome announced with the instance still up would be a leak nobody retries.
        Optional<String> notTerminated = terminate(plan, cloud.instances(), launched, attempt.inputId());
        if (attempt.cancelled()) {
            return abandon(plan, attempt);
        }
        if (notTerminated.isPresent()) {
            String what = verdict != null ? verdict.summary()
                    : "verification ended with " + thrown.getClass().getSimpleName();
            return emit(plan, Verdict.failed(verdict != null ? verdict.instanceId() : null, FailureKind.TRANSIENT,
                    notTerminated.get() + " (" + what + "); not reporting a result for an instance still up"));
        }
        if (thrown != null) {
            throw thrown;
        }
        mark(plan, cloud.images(), verdict, attempt);
        return emit(plan, verdict);
    }

    private Verdict launchAndVerify(VerificationPlan plan, CloudPorts cloud, Attempt attempt, Set<String> leftovers,
            Set<String> launched) {
        VerificationSettings.Launch launch = plan.cloud() == Cloud.AWS ? settings.aws() : settings.gcp();
        SshIdentity identity = identities.get();
        CloudInstance instance = launch(plan, cloud.instances(), plan.launchSpec(launch, identity), attempt,
                leftovers, launched);
        log.accept(plan.buildId(), "launched " + instance.id() + " from " + plan.imageId() + " in " + plan.location());

        Optional<List<String>> hostKeys = waiter.until("verify-host-keys", settings.hostKeys(), attempt, RETRYABLE,
                () -> {
                    List<String> keys = cloud.instances().hostKeys(plan.location(), instance.id());
                    return keys.isEmpty() ? Optional.empty() : Optional.of(keys);
                });
        if (attempt.cancelled()) {
            return null;
        }
        if (hostKeys.isEmpty()) {
            return Verdict.failed(instance.id(), FailureKind.IMAGE, "instance did not report SSH host keys within "
                    + settings.hostKeys().budget() + "; console tail: " + consoleTail(plan, cloud.instances(),
                            instance.id()));
        }
        log.accept(plan.buildId(), "instance reported " + hostKeys.get().size() + " host key(s)");
        Optional<String[]> address = address(plan, cloud.instances(), instance, attempt);
        if (address.isEmpty()) {
            return Verdict.failed(instance.id(), FailureKind.WORKER, "instance has no address to connect to");
        }
        SshTarget target = new SshTarget(address.get()[0], Integer.parseInt(address.get()[1]), launch.sshUser(),
                identity, hostKeys.get());
        GuestVerifier.Result result = guest.verify(target, plan.runId(instance.id()), line -> log.accept(plan.buildId(), line),
                attempt);
        if (attempt.cancelled()) {
            return null;
        }
        return verdict(instance.id(), result);
    }

    /**
     * Launches, retrying retryable failures. A launch that timed out may have started an instance after all: a retry
     * first looks for one with this request's tags (not a leftover it just terminated) and adopts it, so that no
     * second instance starts (moto, for one, ignores the idempotency token).
     */
    private CloudInstance launch(VerificationPlan plan, InstanceFleet fleet,
            io.kubevirt.cib.common.cloud.LaunchSpec spec, Attempt attempt, Set<String> leftovers,
            Set<String> launched) {
        AtomicInteger tries = new AtomicInteger();
        return waiter.retrying("verify-launch", settings.cloudCalls(), attempt, RETRYABLE, () -> {
            if (tries.incrementAndGet() > 1) {
                Optional<CloudInstance> started = fleet.findInstances(plan.location(), plan.requestTags()).stream()
                        .filter(i -> !leftovers.contains(i.id())).findFirst();
                if (started.isPresent()) {
                    log.accept(plan.buildId(), "adopting " + started.get().id() + ", started by a launch call that "
                            + "failed");
                    launched.add(started.get().id());
                    return started.get();
                }
            }
            CloudInstance instance = fleet.launch(spec);
            launched.add(instance.id());
            return instance;
        });
    }

    private static Verdict verdict(String instanceId, GuestVerifier.Result result) {
        if (result instanceof GuestVerifier.Unreachable u) {
            // The SSH budget ran out: as likely a slow boot or a network hiccup as a broken image.
            return Verdict.failed(instanceId, FailureKind.TRANSIENT, "ssh: " + u.reason());
        }
        if (result instanceof GuestVerifier.HostKeyRejected r) {
            return Verdict.failed(instanceId, FailureKind.IMAGE, "ssh host key rejected: " + r.reason());
        }
        VerificationReport report = ((GuestVerifier.Verified) result).report();
        if (!report.passed()) {
            return new Verdict(ImageVerified.Outcome.FAILED, instanceId, report.failureReason(), FailureKind.IMAGE,
                    report.checks(), report.found());
        }
        return Verdict.passed(instanceId, report);
    }

    /**
     * The marker the publish phase trusts, written only after a pass of this exact image with its instance gone; a
     * failure of the image takes it away. Transient failures say nothing about the image and leave it as it is.
     */
    private void mark(VerificationPlan plan, ImageCatalog images, Verdict verdict, Attempt attempt) {
        if (verdict.outcome() == ImageVerified.Outcome.PASSED) {
            VerifiedMarker marker = plan.verifiedMarker(clock.instant());
            Map<String, String> tags = new LinkedHashMap<>(marker.tags());
            tags.putAll(lastVerification(plan, "passed"));
            List<String> stale = new ArrayList<>(VerifiedMarker.KEYS);
            stale.removeAll(tags.keySet());
            // Parts an older marker had and this one lacks (e.g. the commit) must not survive into it.
            retrying("untag-image", attempt, () -> {
                images.untagImage(plan.location(), plan.imageId(), stale);
                return null;
            });
            retrying("tag-image", attempt, () -> {
                images.tagImage(plan.location(), plan.imageId(), tags);
                return null;
            });
        } else if (verdict.kind() == FailureKind.IMAGE) {
            retrying("untag-image", attempt, () -> {
                images.untagImage(plan.location(), plan.imageId(), VerifiedMarker.KEYS);
                return null;
            });
            retrying("tag-image", attempt, () -> {
                images.tagImage(plan.location(), plan.imageId(), lastVerification(plan, "failed"));
                return null;
            });
        }
    }

    private static Map<String, String> lastVerification(VerificationPlan plan, String outcome) {
        return Map.of(ResourceTags.LAST_VERIFICATION, ResourceTags.idValue(plan.requestId()),
                ResourceTags.LAST_VERIFICATION_OUTCOME, outcome);
    }

    private Optional<String[]> address(VerificationPlan plan, InstanceFleet fleet, CloudInstance launched,
            Attempt attempt) {
        if (settings.addressOverride().isPresent()) {
            return Optional.of(hostAndPort(settings.addressOverride().get()));
        }
        Optional<String> address = launched.address();
        if (address.isEmpty()) {
            address = retrying("describe-instance", attempt, () -> fleet.describe(plan.location(), launched.id()))
                    .flatMap(CloudInstance::address);
        }
        return address.map(a -> new String[] {a, "22"});
    }

    private static String[] hostAndPort(String value) {
        int colon = value.lastIndexOf(':');
        return colon < 0 ? new String[] {value, "22"}
                : new String[] {value.substring(0, colon), value.substring(colon + 1)};
    }

    private Set<String> terminateLeftovers(VerificationPlan plan, InstanceFleet fleet, Attempt attempt) {
        List<String> alive = retrying("find-instances", attempt,
                () -> fleet.findInstances(plan.location(), plan.requestTags())).stream()
                .map(CloudInstance::id).toList();
        if (!alive.isEmpty()) {
            log.accept(plan.buildId(), "terminating instances of an interrupted earlier attempt: " + alive);
            retrying("terminate", attempt, () -> {
                fleet.terminate(plan.location(), alive);
                return null;
            });
        }
        return Set.copyOf(alive);
    }

    /**
     * Terminates what this attempt launched and anything else carrying its request's tags (a launch whose answer was
     * lost). Runs on its own uncancellable attempt: cleanup must happen after a cancel too, within its budget.
     *
     * @return why it could not, if it could not
     */
    private Optional<String> terminate(VerificationPlan plan, InstanceFleet fleet, Set<String> launched,
            String inputId) {
        InstanceCleanup.Result result = new InstanceCleanup(waiter, settings.cleanup()).terminateTagged(fleet,
                plan.location(), plan.requestTags(), launched, inputId, ids -> { });
        if (!result.terminated().isEmpty() && result.failure().isEmpty()) {
            log.accept(plan.buildId(), "terminated " + String.join(", ", result.terminated()));
        }
        result.failure().ifPresent(why -> log.accept(plan.buildId(), Redactor.redact(why)));
        return result.failure();
    }

    private String consoleTail(VerificationPlan plan, InstanceFleet fleet, String instanceId) {
        try {
            String console = fleet.consoleOutput(plan.location(), instanceId);
            String redacted = Redactor.redact(console == null ? "" : console.strip());
            return redacted.length() <= 400 ? redacted : redacted.substring(redacted.length() - 400);
        } catch (CloudException e) {
            return "(console not readable: " + e.getMessage() + ")";
        }
    }

    /** One cloud call, retried while it fails retryably; the attempt's cancellation ends the retries. */
    private <T> T retrying(String what, Attempt attempt, Supplier<T> call) {
        return waiter.retrying("verify-" + what, settings.cloudCalls(), attempt, RETRYABLE, call);
    }

    private Abandon abandon(VerificationPlan plan, Attempt attempt) {
        log.accept(plan.buildId(), "stopping the verification of " + plan.imageId() + ": " + attempt.cancelReason());
        return new Abandon(attempt.cancelReason() + " during the verification of " + plan.imageId());
    }

    private Emit emit(VerificationPlan plan, Verdict verdict) {
        if (verdict.outcome() == ImageVerified.Outcome.FAILED) {
            log.accept(plan.buildId(), "verification failed (" + verdict.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + "): " + Reasons.forEvent(verdict.reason()));
        }
        return Emit.of(event(plan, verdict));
    }

    private ImageVerified event(VerificationPlan plan, Verdict verdict) {
        boolean failed = verdict.outcome() == ImageVerified.Outcome.FAILED;
        return new ImageVerified(EventType.CURRENT_VERSION, plan.buildId(), plan.cloud(), plan.location(),
                plan.project(), plan.imageId(), verdict.instanceId(), verdict.outcome(),
                failed ? Reasons.forEvent(verdict.reason()) : null, verdict.checks(), plan.kubevirtVersion(),
                plan.kubernetesVersion(), verdict.found(), failed ? verdict.kind() == FailureKind.TRANSIENT : null,
                failed ? verdict.kind() : null, plan.releaseTag(), plan.requestId(), null);
    }

    /** What the verification found, before the instance is gone and the image marked. */
    private record Verdict(ImageVerified.Outcome outcome, String instanceId, String reason, FailureKind kind,
            List<ImageVerified.Check> checks, ImageVerified.FoundVersions found) {

        static Verdict passed(String instanceId, VerificationReport report) {
            return new Verdict(ImageVerified.Outcome.PASSED, instanceId, null, null,
                    report == null ? List.of() : report.checks(), report == null ? null : report.found());
        }

        static Verdict failed(String instanceId, FailureKind kind, String reason) {
            return new Verdict(ImageVerified.Outcome.FAILED, instanceId,
                    reason == null || reason.isBlank() ? "verification failed" : reason, kind, List.of(), null);
        }

        String summary() {
            return outcome == ImageVerified.Outcome.PASSED ? "the verification had passed"
                    : "the verification had failed: " + reason;
        }
    }

}
