package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.Reasons;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

/**
 * release.tagged in; one image.published per region and one release.published out. Only an image whose verified
 * marker vouches for the tag's KubeVirt version (and commit, when the tag names one) is made public. Preflight runs
 * before anything changes; then the source is made public and copied to every target region at once, each region on
 * its own (one failing region does not stop the others). Copies are found again by tags or name, so a rerun or a
 * redelivery after a crash completes only what is missing.
 *
 * <p>Outputs leave together when the phase ends (PhaseRunner records the whole outcome in the ledger first): each
 * region's copy is public as soon as it is done, only its event waits for the slowest region. Kept so because one
 * recorded outcome per input is what makes a redelivery re-emit the same ids.
 */
public final class PublishCoordinator implements Phase<ReleaseTagged> {

    /** The AWS ports the phase uses; each is one adapter in cloud-aws and one fake in tests. */
    public record AwsPorts(ImageCatalog images, RegionDirectory regions, ImageCopies copies,
            LaunchPermissions permissions, AccountSettings account) {
    }

    private final AwsPorts aws;
    private final PublishSettings settings;
    private final Clock clock;
    private final BiConsumer<String, String> log;

    public PublishCoordinator(AwsPorts aws, PublishSettings settings, Clock clock, BiConsumer<String, String> log) {
        this.aws = aws;
        this.settings = settings;
        this.clock = clock;
        this.log = log;
    }

    @Override
    public PhaseOutcome run(Envelope<ReleaseTagged> input, Attempt attempt) {
        ReleaseTagged release = input.data();
        Optional<ReleaseTag> tag = ReleaseTag.parse(release.releaseTag());
        if (tag.isEmpty() || !tag.get().kubevirtVersion().equals(release.kubevirtVersion())) {
            return refused(input, "release tag " + release.releaseTag() + " names KubeVirt "
                    + tag.map(ReleaseTag::kubevirtVersion).orElse("(unreadable tag)") + " but the event says "
                    + release.kubevirtVersion() + "; nothing published");
        }
        List<ReleasePublished.FailedRegion> otherClouds = otherClouds(release);
        if (!wantsAws(release)) {
            return PhaseOutcome.Emit.of(summary(input, List.of(), otherClouds, null));
        }
        Gate gate = verifiedSource(release);
        if (gate.source().isEmpty()) {
            return refused(input, gate.refusal());
        }
        CloudImage source = gate.source().get();
        Preflight preflight = preflight();
        if (release.asksForDryRun()) {
            return PhaseOutcome.Emit.of(plan(input, source, gate.marker(), preflight));
        }
        if (preflight.failure().isPresent()) {
            return refused(input, "preflight: " + preflight.failure().get() + "; nothing changed");
        }
        log.accept(release.buildId(), "publishing " + source.id() + " (" + settings.sourceRegion() + ") as "
                + release.releaseTag() + " to " + preflight.targets().size() + " regions");
        Optional<Instant> deprecateAt = settings.deprecateAfter().map(d -> clock.instant().plus(d));
        Map<String, String> tags = publishedTags(input, source);

        List<RegionResult> results = new ArrayList<>();
        results.add(publishSource(source, tags, deprecateAt));
        results.addAll(copyToAll(release, source, tags, deprecateAt, preflight.targets(), attempt));
        if (attempt.cancelled()) {
            // Copies made so far carry tags: the next owner of the input reuses them.
            return new PhaseOutcome.Abandon(attempt.cancelReason());
        }
        List<PhaseOutcome.Output> outputs = new ArrayList<>();
        List<ReleasePublished.PublishedImage> published = new ArrayList<>();
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>(otherClouds);
        for (RegionResult r : results) {
            if (r.imageId() != null) {
                published.add(new ReleasePublished.PublishedImage(Cloud.AWS, r.region(), r.imageId(), null));
                outputs.add(PhaseOutcome.Output.of(new ImagePublished(EventType.CURRENT_VERSION, release.buildId(),
                        release.releaseTag(), Cloud.AWS, r.region(), null, r.imageId(), source.id(),
                        settings.sourceRegion(), release.kubevirtVersion(), null, input.id(), release.replayOf()), r.region()));
            } else {
                failed.add(new ReleasePublished.FailedRegion(Cloud.AWS, r.region(), r.failure()));
            }
        }
        outputs.add(PhaseOutcome.Output.of(summary(input, published, failed, null)));
        return new PhaseOutcome.Emit(outputs);
    }

    @Override
    public PipelineEvent failure(Envelope<ReleaseTagged> input, Phase.Failure failure) {
        return summary(input, List.of(), List.of(new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(),
                Reasons.forEvent("publish-worker: " + failure.reason()
                        + (failure.retryable() ? " (retryable: tag the release again)" : "")))), null);
    }

    // --- version gate --------------------------------------------------------------------------------------------

    private record Gate(Optional<CloudImage> source, VerifiedMarker marker, String refusal) {
    }

    /** The newest available image whose verified marker vouches for this release, or why there is none. */
    private Gate verifiedSource(ReleaseTagged release) {
        String version = release.kubevirtVersion();
        String region = settings.sourceRegion();
        List<String> disagreements = new ArrayList<>();
        List<Map.Entry<CloudImage, VerifiedMarker>> vouched = new ArrayList<>();
        for (CloudImage image : aws.images().findImages(region, Map.of(ResourceTags.VERIFIED_KUBEVIRT_VERSION,
                version))) {
            Optional<VerifiedMarker> marker = VerifiedMarker.read(image.tags());
            if (marker.isEmpty()) {
                disagreements.add(image.id() + " carries an incomplete verified marker");
            } else if (!commitMatches(marker.get().gitCommit(), release.gitCommit())) {
                disagreements.add(image.id() + " (build " + marker.get().buildId() + ") was verified at commit "
                        + Optional.ofNullable(marker.get().gitCommit()).orElse("(none recorded)")
                        + ", the tag names commit " + release.gitCommit());
            } else if (image.state() != CloudImage.State.AVAILABLE) {
                disagreements.add(image.id() + " is " + image.state().name().toLowerCase(Locale.ROOT));
            } else {
                vouched.add(Map.entry(image, marker.get()));
            }
        }
        Optional<Map.Entry<CloudImage, VerifiedMarker>> best = vouched.stream()
                .max(Comparator.comparing((Map.Entry<CloudImage, VerifiedMarker> e) -> e.getValue().verifiedAt())
                        .thenComparing(e -> e.getKey().id()));
        if (best.isPresent()) {
            return new Gate(Optional.of(best.get().getKey()), best.get().getValue(), null);
        }
        // Built for this version but not (or no longer) vouched for: say which values disagree.
        for (CloudImage image : aws.images().findImages(region, Map.of(ResourceTags.KUBEVIRT_VERSION, version))) {
            Optional<VerifiedMarker> marker = VerifiedMarker.read(image.tags());
            if (marker.isEmpty()) {
                disagreements.add(image.id() + " (build " + image.tags().getOrDefault(ResourceTags.BUILD_ID, "?")
                        + ") was built for " + version + " but carries no verified marker (never verified, or its"
                        + " verification failed)");
            } else if (!marker.get().kubevirtVersion().equals(version)) {
                disagreements.add(image.id() + " was built for " + version + " but its marker says it was verified"
                        + " for " + marker.get().kubevirtVersion());
            }
        }
        String why = "version gate: no image in " + region + " verified for KubeVirt " + version
                + (release.gitCommit() == null ? "" : " at commit " + release.gitCommit())
                + (disagreements.isEmpty() ? "" : ": " + String.join("; ", disagreements.stream().sorted().toList()))
                + "; nothing published";
        return new Gate(Optional.empty(), null, why);
    }

    /** A tag that names no commit accepts any; else one must be a prefix of the other (short and full SHAs). */
    static boolean commitMatches(String marked, String tagged) {
        if (tagged == null) {
            return true;
        }
        if (marked == null) {
            return false;
        }
        String a = marked.toLowerCase(Locale.ROOT);
        String b = tagged.toLowerCase(Locale.ROOT);
        return a.startsWith(b) || b.startsWith(a);
    }

    // --- preflight -----------------------------------------------------------------------------------------------

    private record Preflight(List<String> targets, List<String> findings, Optional<String> failure) {
    }

    /** Target regions from the account, and what would stop publishing; reads only. */
    private Preflight preflight() {
        String source = settings.sourceRegion();
        List<RegionDirectory.RegionInfo> all = aws.regions().regions(source);
        List<String> findings = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> unknown = settings.allowRegions().stream()
                .filter(r -> all.stream().noneMatch(i -> i.name().equals(r))).sorted().toList();
        if (!unknown.isEmpty()) {
            problems.add("allowed regions not in the source's partition: " + String.join(", ", unknown));
        }
        List<String> notEnabled = all.stream().filter(r -> !r.enabled())
                .filter(r -> settings.allowRegions().contains(r.name()) && !settings.denyRegions().contains(r.name()))
                .map(RegionDirectory.RegionInfo::name).sorted().toList();
        if (!notEnabled.isEmpty()) {
            problems.add("opt-in regions not enabled for this account: " + String.join(", ", notEnabled));
        }
        List<String> skipped = all.stream().filter(r -> !r.enabled() && settings.allowRegions().isEmpty())
                .map(RegionDirectory.RegionInfo::name).sorted().toList();
        if (!skipped.isEmpty()) {
            findings.add(skipped.size() + " opt-in regions not enabled, skipped: " + String.join(", ", skipped));
        }
        List<String> targets = all.stream().filter(RegionDirectory.RegionInfo::enabled)
                .map(RegionDirectory.RegionInfo::name)
                .filter(r -> settings.allowRegions().isEmpty() || settings.allowRegions().contains(r))
                .filter(r -> !settings.denyRegions().contains(r))
                .filter(r -> !r.equals(source))
                .sorted().toList();
        List<String> blocked = new ArrayList<>();
        for (String region : withSource(source, targets)) {
            if (aws.account().blocksPublicImages(region)) {
                blocked.add(region);
            }
            aws.account().publicImagesLeft(region).ifPresent(left -> {
                if (left < 1) {
                    problems.add("no public-AMI quota left in " + region);
                }
            });
        }
        if (!blocked.isEmpty()) {
            problems.add("image block public access is on in " + String.join(", ", blocked));
        } else {
            findings.add("image block public access off in all " + (targets.size() + 1) + " regions");
        }
        return new Preflight(targets, findings, problems.isEmpty() ? Optional.empty()
                : Optional.of(String.join("; ", problems)));
    }

    private static List<String> withSource(String source, List<String> targets) {
        List<String> all = new ArrayList<>();
        all.add(source);
        all.addAll(targets);
        return all;
    }

    // --- publishing ----------------------------------------------------------------------------------------------

    /** @param imageId null when the region failed */
    private record RegionResult(String region, String imageId, String failure) {
    }

    private Map<String, String> publishedTags(Envelope<ReleaseTagged> input, CloudImage source) {
        Map<String, String> tags = new LinkedHashMap<>(ResourceTags.forRequest(input.data().buildId(), input.id(),
                ResourceTags.Phase.PUBLISH));
        tags.put(ResourceTags.RELEASE_TAG, input.data().releaseTag());
        tags.put(ResourceTags.SOURCE_IMAGE, source.id());
        return tags;
    }

    private RegionResult publishSource(CloudImage source, Map<String, String> tags, Optional<Instant> deprecateAt) {
        String region = settings.sourceRegion();
        try {
            // The source keeps its own build tags; it gains the release's. REQUEST_ID/BUILD_ID stay the build's.
            Map<String, String> releaseTags = Map.of(ResourceTags.RELEASE_TAG, tags.get(ResourceTags.RELEASE_TAG));
            aws.images().tagImage(region, source.id(), releaseTags);
            aws.permissions().makePublic(region, source.id());
            deprecateAt.ifPresent(at -> aws.copies().deprecate(region, source.id(), at));
            return new RegionResult(region, source.id(), null);
        } catch (RuntimeException e) {
            return new RegionResult(region, null, Reasons.forEvent(e.getMessage()));
        }
    }

    private List<RegionResult> copyToAll(ReleaseTagged release, CloudImage source, Map<String, String> tags,
            Optional<Instant> deprecateAt, List<String> targets, Attempt attempt) {
        if (targets.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(settings.maxConcurrentCopies(), targets.size()),
                r -> {
                    Thread t = new Thread(r, "publish-" + release.buildId());
                    t.setDaemon(true);
                    return t;
                });
        // A cancelled attempt interrupts the waits; what was copied is found again by tags.
        try (Attempt.Registration ignored = attempt.onCancel(pool::shutdownNow)) {
            List<Future<RegionResult>> futures = new ArrayList<>();
            for (String region : targets) {
                futures.add(pool.submit(() -> copyTo(release, source, region, tags, deprecateAt)));
            }
            List<RegionResult> results = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                results.add(result(targets.get(i), futures.get(i)));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static RegionResult result(String region, Future<RegionResult> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            return new RegionResult(region, null, Reasons.forEvent(String.valueOf(e.getCause().getMessage())));
        } catch (CancellationException e) {
            return new RegionResult(region, null, "cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new RegionResult(region, null, "interrupted");
        }
    }

    private RegionResult copyTo(ReleaseTagged release, CloudImage source, String region, Map<String, String> tags,
            Optional<Instant> deprecateAt) {
        try {
            Map<String, String> lookup = Map.of(ResourceTags.RELEASE_TAG, release.releaseTag(),
                    ResourceTags.SOURCE_IMAGE, source.id());
            String name = copyName(release.releaseTag(), source.id());
            Optional<CloudImage> existing = aws.copies().findCopy(region, lookup, name);
            String id = existing.map(CloudImage::id).orElseGet(() -> aws.copies().copy(new ImageCopies.CopyRequest(
                    settings.sourceRegion(), source.id(), region, name,
                    "KubeVirt " + release.kubevirtVersion() + " image, release " + release.releaseTag(),
                    clientToken(release.releaseTag(), source.id(), region))));
            // Tagged at once, while still pending: a crash during the long wait leaves a copy found by its tags.
            aws.images().tagImage(region, id, tags);
            aws.copies().awaitAvailable(region, id, settings.copyBudget());
            aws.permissions().makePublic(region, id);
            deprecateAt.ifPresent(at -> aws.copies().deprecate(region, id, at));
            log.accept(release.buildId(), region + ": " + id + (existing.isPresent() ? " (reused)" : "") + " public");
            return new RegionResult(region, id, null);
        } catch (RuntimeException e) {
            log.accept(release.buildId(), region + ": failed: " + Reasons.forEvent(e.getMessage()));
            return new RegionResult(region, null, Reasons.forEvent(e.getMessage()));
        }
    }

    /** The copy's name: chosen before the copy exists, so a copy whose tags never landed is still found. */
    static String copyName(String releaseTag, String sourceImageId) {
        return "cib-" + releaseTag + "-" + sourceImageId;
    }

    /** Same release, source and region, same token (36 characters; EC2 allows 64). */
    static String clientToken(String releaseTag, String sourceImageId, String region) {
        return UUID.nameUUIDFromBytes((releaseTag + "/" + sourceImageId + "/" + region)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    // --- events --------------------------------------------------------------------------------------------------

    private PhaseOutcome refused(Envelope<ReleaseTagged> input, String reason) {
        log.accept(input.data().buildId(), "refused: " + reason);
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>();
        failed.add(new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(), Reasons.forEvent(reason)));
        failed.addAll(otherClouds(input.data()));
        return PhaseOutcome.Emit.of(summary(input, List.of(), failed, null));
    }

    private PipelineEvent plan(Envelope<ReleaseTagged> input, CloudImage source, VerifiedMarker marker,
            Preflight preflight) {
        ReleaseTagged release = input.data();
        List<String> plan = new ArrayList<>();
        plan.add("aws: source " + source.id() + " in " + settings.sourceRegion() + " (build " + marker.buildId()
                + ", verified for " + marker.kubevirtVersion()
                + (marker.gitCommit() == null ? "" : " at " + marker.gitCommit()) + ")");
        preflight.findings().forEach(f -> plan.add("aws: preflight: " + f));
        preflight.failure().ifPresent(f -> plan.add("aws: preflight would refuse: " + f));
        plan.add("aws: make " + source.id() + " public in " + settings.sourceRegion());
        Map<String, String> lookup = Map.of(ResourceTags.RELEASE_TAG, release.releaseTag(),
                ResourceTags.SOURCE_IMAGE, source.id());
        for (String region : preflight.targets()) {
            Optional<CloudImage> existing = aws.copies().findCopy(region, lookup,
                    copyName(release.releaseTag(), source.id()));
            plan.add(existing.map(c -> "aws: reuse " + c.id() + " in " + region + " and make it public")
                    .orElse("aws: copy to " + region + " and make it public"));
        }
        settings.deprecateAfter().ifPresent(d -> plan.add("aws: deprecate every published image after " + d));
        otherClouds(release).forEach(f -> plan.add(f.cloud().wireName() + ": " + f.reason()));
        List<ReleasePublished.FailedRegion> failed = preflight.failure().map(f -> List.of(
                new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(), Reasons.forEvent(
                        "preflight: " + f)))).orElse(List.of());
        return summary(input, List.of(), failed, plan.stream().map(Reasons::forEvent).toList());
    }

    private ReleasePublished summary(Envelope<ReleaseTagged> input, List<ReleasePublished.PublishedImage> published,
            List<ReleasePublished.FailedRegion> failed, List<String> plan) {
        ReleaseTagged release = input.data();
        ReleasePublished.Outcome outcome = failed.isEmpty() ? ReleasePublished.Outcome.COMPLETE
                : published.isEmpty() ? ReleasePublished.Outcome.FAILED : ReleasePublished.Outcome.PARTIAL;
        return new ReleasePublished(EventType.CURRENT_VERSION, release.buildId(), release.releaseTag(),
                release.kubevirtVersion(), outcome, published, failed, input.id(), release.replayOf(),
                plan == null ? null : Boolean.TRUE, plan);
    }

    private static boolean wantsAws(ReleaseTagged release) {
        return release.clouds() == null || release.clouds().isEmpty() || release.clouds().contains(Cloud.AWS);
    }

    /** GCP is not published by this worker yet: said in the summary rather than silently skipped. */
    private List<ReleasePublished.FailedRegion> otherClouds(ReleaseTagged release) {
        boolean gcp = release.clouds() == null || release.clouds().isEmpty() || release.clouds().contains(Cloud.GCP);
        return gcp ? List.of(new ReleasePublished.FailedRegion(Cloud.GCP, settings.gcpRegion(),
                "GCP publication is not implemented by this publish-worker yet")) : List.of();
    }
}
