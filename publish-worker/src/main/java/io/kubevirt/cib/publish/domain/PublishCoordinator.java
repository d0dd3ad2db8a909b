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
import io.kubevirt.cib.events.BuildRequested;
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
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * release.tagged in. When an image verified for the release exists: one image.published per region, each as soon as
 * that region is public, and one release.published. When none exists yet (the tag came first): a build.requested
 * carrying the release tag, whose passed verification {@link VerifiedReleaseCoordinator} publishes through
 * {@link #publish}. Either way one publication per release.
 *
 * <p>Only an image whose verified marker vouches for the release's KubeVirt version (and commit, when the tag names
 * one) is made public. Preflight runs before anything changes; then the source is made public and copied to every
 * target region at once, each region on its own (one failing region does not stop the others). Copies are found
 * again by tags or name, so a rerun or a redelivery after a crash completes only what is missing.
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
        ReleaseTagged tagged = input.data();
        Release release = Release.of(tagged);
        Optional<ReleaseTag> tag = ReleaseTag.parse(tagged.releaseTag());
        if (tag.isEmpty() || !tag.get().kubevirtVersion().equals(tagged.kubevirtVersion())) {
            return refused(input, release, "release tag " + tagged.releaseTag() + " names KubeVirt "
                    + tag.map(ReleaseTag::kubevirtVersion).orElse("(unreadable tag)") + " but the event says "
                    + tagged.kubevirtVersion() + "; nothing published");
        }
        if (!release.wants(Cloud.AWS)) {
            return PhaseOutcome.Emit.of(summary(input, release, List.of(), otherClouds(release), null));
        }
        Gate gate = newestVerified(release);
        if (gate.source().isPresent()) {
            return publish(input, release, gate, attempt);
        }
        if (gate.blocking()) {
            return refused(input, release, gate.refusal());
        }
        // The tag came first: ask for the build; its passed verification, carrying the tag, is published.
        String buildId = release.buildIdFor(Cloud.AWS);
        if (release.dryRun()) {
            List<String> plan = new ArrayList<>();
            plan.add("aws: " + gate.refusal().replace("; nothing published", ""));
            plan.add("aws: would request build " + buildId + " of KubeVirt " + release.kubevirtVersion() + " in "
                    + settings.sourceRegion() + " and publish it once verified");
            otherClouds(release).forEach(f -> plan.add(f.cloud().wireName() + ": " + f.reason()));
            return PhaseOutcome.Emit.of(summary(input, release, List.of(), List.of(),
                    plan.stream().map(Reasons::forEvent).toList()));
        }
        log.accept(release.buildId(), "no image verified for " + release.releaseTag() + " yet; requesting build "
                + buildId);
        List<PhaseOutcome.Output> outputs = new ArrayList<>();
        outputs.add(PhaseOutcome.Output.of(new BuildRequested(EventType.CURRENT_VERSION, buildId, Cloud.AWS,
                release.kubevirtVersion(), null, null, settings.sourceRegion(),
                Optional.ofNullable(release.gitCommit()).orElse(release.releaseTag()), "publish-worker",
                release.releaseTag(), null, release.replayOf())));
        List<ReleasePublished.FailedRegion> others = otherClouds(release);
        if (!others.isEmpty()) {
            outputs.add(PhaseOutcome.Output.of(summary(input, release, List.of(), others, null)));
        }
        return new PhaseOutcome.Emit(outputs);
    }

    /**
     * Publishes the image a passed verification of the release's own build vouched for: that exact image, no other.
     * Refused when its marker does not vouch for the release's version.
     */
    public PhaseOutcome publishVerified(Envelope<?> input, Release release, String region, String imageId,
            Attempt attempt) {
        if (!region.equals(settings.sourceRegion())) {
            return refused(input, release, "image " + imageId + " was verified in " + region + ", but this worker"
                    + " publishes from " + settings.sourceRegion() + "; nothing published");
        }
        Optional<CloudImage> image = aws.images().getImage(region, imageId);
        Optional<VerifiedMarker> marker = image.flatMap(i -> VerifiedMarker.read(i.tags()));
        String why = image.isEmpty() ? "image " + imageId + " no longer exists in " + region
                : marker.isEmpty() ? "image " + imageId + " carries no verified marker"
                : !marker.get().kubevirtVersion().equals(release.kubevirtVersion())
                        ? "image " + imageId + " was verified for KubeVirt " + marker.get().kubevirtVersion()
                                + ", the release is " + release.kubevirtVersion()
                : image.get().state() != CloudImage.State.AVAILABLE
                        ? "image " + imageId + " is " + image.get().state().name().toLowerCase(Locale.ROOT)
                : null;
        if (why != null) {
            return refused(input, release, "version gate: " + why + "; nothing published");
        }
        return publish(input, release, new Gate(image, marker.get(), null, false), attempt);
    }

    private PhaseOutcome publish(Envelope<?> input, Release release, Gate gate, Attempt attempt) {
        CloudImage source = gate.source().orElseThrow();
        Preflight preflight = preflight();
        if (release.dryRun()) {
            return PhaseOutcome.Emit.of(plan(input, release, source, gate.marker(), preflight));
        }
        if (preflight.failure().isPresent()) {
            return refused(input, release, "preflight: " + preflight.failure().get() + "; nothing changed");
        }
        log.accept(release.buildId(), "publishing " + source.id() + " (" + settings.sourceRegion() + ") as "
                + release.releaseTag() + " to " + preflight.targets().size() + " regions");
        Optional<Instant> deprecateAt = settings.deprecateAfter().map(d -> clock.instant().plus(d));
        Map<String, String> tags = publishedTags(input, release, source);
        Publication publication = new Publication(input, release, source, attempt);

        publication.done(publishSource(source, tags, deprecateAt));
        copyToAll(publication, tags, deprecateAt, preflight.targets());
        if (attempt.cancelled()) {
            // Copies made so far carry tags: the next owner of the input reuses them.
            return new PhaseOutcome.Abandon(attempt.cancelReason());
        }
        List<PhaseOutcome.Output> outputs = new ArrayList<>();
        List<ReleasePublished.PublishedImage> published = new ArrayList<>();
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>(otherClouds(release));
        for (RegionResult r : publication.results()) {
            if (r.imageId() != null) {
                published.add(new ReleasePublished.PublishedImage(Cloud.AWS, r.region(), r.imageId(), null));
                outputs.add(publication.output(r));
            } else {
                failed.add(new ReleasePublished.FailedRegion(Cloud.AWS, r.region(), r.failure()));
            }
        }
        outputs.add(PhaseOutcome.Output.of(summary(input, release, published, failed, null)));
        return new PhaseOutcome.Emit(outputs);
    }

    /** One release's regions as they finish: each published region's event leaves at once. */
    private final class Publication {
        private final Envelope<?> input;
        private final Release release;
        private final CloudImage source;
        private final Attempt attempt;
        private final List<RegionResult> results = new ArrayList<>();

        Publication(Envelope<?> input, Release release, CloudImage source, Attempt attempt) {
            this.input = input;
            this.release = release;
            this.source = source;
            this.attempt = attempt;
        }

        synchronized void done(RegionResult result) {
            results.add(result);
            if (result.imageId() != null) {
                attempt.emitNow(output(result));
            }
        }

        synchronized List<RegionResult> results() {
            return results.stream().sorted(Comparator.comparing((RegionResult r) -> !r.region()
                    .equals(settings.sourceRegion())).thenComparing(RegionResult::region)).toList();
        }

        PhaseOutcome.Output output(RegionResult r) {
            return PhaseOutcome.Output.of(new ImagePublished(EventType.CURRENT_VERSION, release.buildId(),
                    release.releaseTag(), Cloud.AWS, r.region(), null, r.imageId(), source.id(),
                    settings.sourceRegion(), release.kubevirtVersion(), null, input.id(), release.replayOf()),
                    r.region());
        }
    }

    @Override
    public PipelineEvent failure(Envelope<ReleaseTagged> input, Phase.Failure failure) {
        return failure(input, Release.of(input.data()), failure);
    }

    /** The release's summary when the phase itself failed (see {@link Phase#failure}). */
    public PipelineEvent failure(Envelope<?> input, Release release, Phase.Failure failure) {
        return summary(input, release, List.of(), List.of(new ReleasePublished.FailedRegion(Cloud.AWS,
                settings.sourceRegion(),
                Reasons.forEvent("publish-worker: " + failure.reason()
                        + (failure.retryable() ? " (retryable: tag the release again)" : "")))), null);
    }

    // --- version gate --------------------------------------------------------------------------------------------

    /**
     * @param blocking true when images of the version exist but disagree with the release (another version in the
     *                 marker, another commit): a new build would not settle that, a person must look
     */
    private record Gate(Optional<CloudImage> source, VerifiedMarker marker, String refusal, boolean blocking) {
    }

    /** The newest available image whose verified marker vouches for this release, or why there is none. */
    private Gate newestVerified(Release release) {
        String version = release.kubevirtVersion();
        String region = settings.sourceRegion();
        List<String> disagreements = new ArrayList<>();
        List<String> blocking = new ArrayList<>();
        List<Map.Entry<CloudImage, VerifiedMarker>> vouched = new ArrayList<>();
        for (CloudImage image : aws.images().findImages(region, Map.of(ResourceTags.VERIFIED_KUBEVIRT_VERSION,
                version))) {
            Optional<VerifiedMarker> marker = VerifiedMarker.read(image.tags());
            if (marker.isEmpty()) {
                disagreements.add(image.id() + " carries an incomplete verified marker");
                blocking.add(image.id());
            } else if (!commitMatches(marker.get().gitCommit(), release.gitCommit())) {
                disagreements.add(image.id() + " (build " + marker.get().buildId() + ") was verified at commit "
                        + Optional.ofNullable(marker.get().gitCommit()).orElse("(none recorded)")
                        + ", the tag names commit " + release.gitCommit());
                blocking.add(image.id());
            } else if (image.state() != CloudImage.State.AVAILABLE) {
                disagreements.add(image.id() + " is " + image.state().name().toLowerCase(Locale.ROOT));
                blocking.add(image.id());
            } else {
                vouched.add(Map.entry(image, marker.get()));
            }
        }
        Optional<Map.Entry<CloudImage, VerifiedMarker>> best = vouched.stream()
                .max(Comparator.comparing((Map.Entry<CloudImage, VerifiedMarker> e) -> e.getValue().verifiedAt())
                        .thenComparing(e -> e.getKey().id()));
        if (best.isPresent()) {
            return new Gate(Optional.of(best.get().getKey()), best.get().getValue(), null, false);
        }
        // Built for this version but not (or no longer) vouched for: say which values disagree. An image that was
        // never verified, or failed, does not block: the release asks for a build of its own.
        for (CloudImage image : aws.images().findImages(region, Map.of(ResourceTags.KUBEVIRT_VERSION, version))) {
            Optional<VerifiedMarker> marker = VerifiedMarker.read(image.tags());
            if (marker.isEmpty()) {
                disagreements.add(image.id() + " (build " + image.tags().getOrDefault(ResourceTags.BUILD_ID, "?")
                        + ") was built for " + version + " but carries no verified marker (never verified, or its"
                        + " verification failed)");
            } else if (!marker.get().kubevirtVersion().equals(version)) {
                disagreements.add(image.id() + " was built for " + version + " but its marker says it was verified"
                        + " for " + marker.get().kubevirtVersion());
                blocking.add(image.id());
            }
        }
        String why = "version gate: no image in " + region + " verified for KubeVirt " + version
                + (release.gitCommit() == null ? "" : " at commit " + release.gitCommit())
                + (disagreements.isEmpty() ? "" : ": " + String.join("; ", disagreements.stream().sorted().toList()))
                + "; nothing published";
        return new Gate(Optional.empty(), null, why, !blocking.isEmpty());
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
        // One read per region, all regions at once: preflight must not cost a sequential pass over 30 regions.
        record Account(boolean blocks, OptionalInt publicImagesLeft) {
        }
        Map<String, Account> accounts = inParallel("preflight", withSource(source, targets), Attempt.uncancellable(
                "preflight"), region -> new Account(aws.account().blocksPublicImages(region),
                        aws.account().publicImagesLeft(region)));
        List<String> blocked = new ArrayList<>();
        new TreeMap<>(accounts).forEach((region, account) -> {
            if (account.blocks()) {
                blocked.add(region);
            }
            if (account.publicImagesLeft().isPresent() && account.publicImagesLeft().getAsInt() < 1) {
                problems.add("no public-AMI quota left in " + region);
            }
        });
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

    private Map<String, String> publishedTags(Envelope<?> input, Release release, CloudImage source) {
        Map<String, String> tags = new LinkedHashMap<>(ResourceTags.forRequest(release.buildId(), input.id(),
                ResourceTags.Phase.PUBLISH));
        tags.put(ResourceTags.RELEASE_TAG, release.releaseTag());
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

    private void copyToAll(Publication publication, Map<String, String> tags, Optional<Instant> deprecateAt,
            List<String> targets) {
        Map<String, RegionResult> results = inParallel("publish-" + publication.release.buildId(), targets,
                publication.attempt, region -> {
                    RegionResult result = copyTo(publication.release, publication.source, region, tags, deprecateAt);
                    publication.done(result);
                    return result;
                });
        // Regions whose task never ran or ended by an exception (cancelled, interrupted) are reported here.
        targets.stream().filter(r -> results.get(r) == null).forEach(r -> publication.done(
                new RegionResult(r, null, publication.attempt.cancelled() ? "cancelled" : "did not complete")));
    }

    /**
     * Runs {@code task} for every region at once (at most {@code maxConcurrentCopies} threads); a cancelled attempt
     * interrupts them. Returns each region's result; a region whose task threw maps to null.
     */
    private <T> Map<String, T> inParallel(String name, List<String> regions, Attempt attempt,
            Function<String, T> task) {
        Map<String, T> results = new ConcurrentHashMap<>();
        if (regions.isEmpty()) {
            return results;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(settings.maxConcurrentCopies(), regions.size()),
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        try (Attempt.Registration ignored = attempt.onCancel(pool::shutdownNow)) {
            List<Future<?>> futures = new ArrayList<>();
            for (String region : regions) {
                futures.add(pool.submit(() -> results.put(region, task.apply(region))));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException | CancellationException e) {
                    // The task's own failure handling has run; its region has no result.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private RegionResult copyTo(Release release, CloudImage source, String region, Map<String, String> tags,
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

    private PhaseOutcome refused(Envelope<?> input, Release release, String reason) {
        log.accept(release.buildId(), "refused: " + reason);
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>();
        failed.add(new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(), Reasons.forEvent(reason)));
        failed.addAll(otherClouds(release));
        return PhaseOutcome.Emit.of(summary(input, release, List.of(), failed, null));
    }

    /** A release that ends before anything is published: the one summary, naming why. */
    public PhaseOutcome refusedRelease(Envelope<?> input, Release release, String reason) {
        return refused(input, release, reason);
    }

    private PipelineEvent plan(Envelope<?> input, Release release, CloudImage source, VerifiedMarker marker,
            Preflight preflight) {
        List<String> plan = new ArrayList<>();
        plan.add("aws: source " + source.id() + " in " + settings.sourceRegion() + " (build " + marker.buildId()
                + ", verified for " + marker.kubevirtVersion()
                + (marker.gitCommit() == null ? "" : " at " + marker.gitCommit()) + ")");
        preflight.findings().forEach(f -> plan.add("aws: preflight: " + f));
        preflight.failure().ifPresent(f -> plan.add("aws: preflight would refuse: " + f));
        plan.add("aws: make " + source.id() + " public in " + settings.sourceRegion());
        Map<String, String> lookup = Map.of(ResourceTags.RELEASE_TAG, release.releaseTag(),
                ResourceTags.SOURCE_IMAGE, source.id());
        Map<String, Optional<CloudImage>> existing = inParallel("plan", preflight.targets(),
                Attempt.uncancellable("plan"), region -> aws.copies().findCopy(region, lookup,
                        copyName(release.releaseTag(), source.id())));
        for (String region : preflight.targets()) {
            plan.add(existing.getOrDefault(region, Optional.empty())
                    .map(c -> "aws: reuse " + c.id() + " in " + region + " and make it public")
                    .orElse("aws: copy to " + region + " and make it public"));
        }
        settings.deprecateAfter().ifPresent(d -> plan.add("aws: deprecate every published image after " + d));
        otherClouds(release).forEach(f -> plan.add(f.cloud().wireName() + ": " + f.reason()));
        List<ReleasePublished.FailedRegion> failed = preflight.failure().map(f -> List.of(
                new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(), Reasons.forEvent(
                        "preflight: " + f)))).orElse(List.of());
        return summary(input, release, List.of(), failed, plan.stream().map(Reasons::forEvent).toList());
    }

    private ReleasePublished summary(Envelope<?> input, Release release,
            List<ReleasePublished.PublishedImage> published, List<ReleasePublished.FailedRegion> failed,
            List<String> plan) {
        ReleasePublished.Outcome outcome = failed.isEmpty() ? ReleasePublished.Outcome.COMPLETE
                : published.isEmpty() ? ReleasePublished.Outcome.FAILED : ReleasePublished.Outcome.PARTIAL;
        return new ReleasePublished(EventType.CURRENT_VERSION, release.buildId(), release.releaseTag(),
                release.kubevirtVersion(), outcome, published, failed, input.id(), release.replayOf(),
                plan == null ? null : Boolean.TRUE, plan);
    }

    /** GCP is not published by this worker yet: said in the summary rather than silently skipped. */
    private List<ReleasePublished.FailedRegion> otherClouds(Release release) {
        return release.wants(Cloud.GCP) ? List.of(new ReleasePublished.FailedRegion(Cloud.GCP, settings.gcpRegion(),
                "GCP publication is not implemented by this publish-worker yet")) : List.of();
    }
}
