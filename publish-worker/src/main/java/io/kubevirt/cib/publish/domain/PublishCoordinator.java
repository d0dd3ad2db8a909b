package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.common.cloud.AccountSettings;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ImageCopies;
import io.kubevirt.cib.common.cloud.ImageExports;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import io.kubevirt.cib.common.cloud.LaunchPermissions;
import io.kubevirt.cib.common.cloud.RegionDirectory;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.common.phase.Reasons;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.publish.domain.VersionGate.Gate;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
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
import java.util.function.Supplier;

/**
 * release.tagged in. For each cloud of the release: when an image verified for it exists, that image is published
 * (AWS: public and copied to every enabled region at once; GCP: a release image in the family, public, exported), one
 * image.published per region as soon as that region is done, and one release.published over all clouds. When none
 * exists yet (the tag came first): a build.requested carrying the release tag, whose passed verification
 * {@link VerifiedReleaseCoordinator} publishes through {@link #publishVerified}. Either way one publication per
 * release and cloud.
 *
 * <p>Only an image whose verified marker vouches for the release's KubeVirt version (and commit, when the tag names
 * one) is made public ({@link VersionGate}). AWS preflight runs before anything changes there; every region (and
 * GCP) runs on its own, so one failing region does not stop the others. What was made is found again by tags or
 * name, so a rerun or a redelivery after a crash completes only what is missing.
 */
public final class PublishCoordinator implements Phase<ReleaseTagged> {

    /** The AWS ports the phase uses; each is one adapter in cloud-aws and one fake in tests. */
    public record AwsPorts(ImageCatalog images, RegionDirectory regions, ImageCopies copies,
            LaunchPermissions permissions, AccountSettings account) {
    }

    /** The GCP ports: images (labels), image IAM, Cloud Build export, the image family. cloud-gcp and fakes. */
    public record GcpPorts(ImageCatalog images, LaunchPermissions permissions, ImageExports exports,
            ImageFamilies families) {
    }

    /** Where GCP images live for the ports (images are global resources). */
    static final String GCP_LOCATION = "global";

    private final AwsPorts aws;
    private final Optional<GcpPorts> gcp;
    private final PublishSettings settings;
    private final Clock clock;
    private final BiConsumer<String, String> log;

    public PublishCoordinator(AwsPorts aws, PublishSettings settings, Clock clock, BiConsumer<String, String> log) {
        this(aws, null, settings, clock, log);
    }

    /** @param gcp null: this worker publishes no GCP images (releases asking for GCP say so) */
    public PublishCoordinator(AwsPorts aws, GcpPorts gcp, PublishSettings settings, Clock clock,
            BiConsumer<String, String> log) {
        this.aws = aws;
        this.gcp = Optional.ofNullable(gcp);
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
        Map<Cloud, Gate> sources = new EnumMap<>(Cloud.class);
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>();
        List<PhaseOutcome.Output> builds = new ArrayList<>();
        List<String> plan = new ArrayList<>();
        for (Cloud cloud : release.clouds()) {
            Optional<String> disabled = disabled(cloud);
            if (disabled.isPresent()) {
                failed.add(new ReleasePublished.FailedRegion(cloud, region(cloud), disabled.get()));
                continue;
            }
            Gate gate = VersionGate.newestVerified(images(cloud), location(cloud), release);
            if (gate.source().isPresent()) {
                sources.put(cloud, gate);
            } else if (gate.blocking()) {
                failed.add(new ReleasePublished.FailedRegion(cloud, region(cloud), Reasons.forEvent(gate.refusal())));
            } else {
                // The tag came first: ask for the build; its passed verification, carrying the tag, is published.
                String buildId = release.buildIdFor(cloud);
                plan.add(cloud.wireName() + ": " + gate.refusal().replace("; nothing published", ""));
                plan.add(cloud.wireName() + ": " + (release.dryRun() ? "would request" : "requests") + " build "
                        + buildId + " of KubeVirt " + release.kubevirtVersion() + " and publish it once verified");
                builds.add(PhaseOutcome.Output.of(new BuildRequested(EventType.CURRENT_VERSION, buildId, cloud,
                        release.kubevirtVersion(), null, null, cloud == Cloud.AWS ? settings.sourceRegion() : null,
                        Optional.ofNullable(release.gitCommit()).orElse(release.releaseTag()), "publish-worker",
                        release.releaseTag(), null, release.replayOf()), cloud.wireName()));
            }
        }
        if (release.dryRun() || !sources.isEmpty()) {
            return publish(input, release, sources, failed, release.dryRun() ? List.of() : builds, plan, attempt);
        }
        builds.forEach(b -> log.accept(release.buildId(), "no image verified for " + release.releaseTag() + " on "
                + ((BuildRequested) b.event()).cloud().wireName() + " yet; requesting build "
                + ((BuildRequested) b.event()).buildId()));
        List<PhaseOutcome.Output> outputs = new ArrayList<>(builds);
        if (!failed.isEmpty()) {
            outputs.add(PhaseOutcome.Output.of(summary(input, release, List.of(), failed, null)));
        }
        return new PhaseOutcome.Emit(outputs);
    }

    /**
     * Publishes the image a passed verification of the release's own build vouched for: that exact image, no other.
     * Refused when its marker does not vouch for the release's version.
     */
    public PhaseOutcome publishVerified(Envelope<?> input, Release release, Cloud cloud, String region,
            String imageId, Attempt attempt) {
        Optional<String> disabled = disabled(cloud);
        if (disabled.isPresent()) {
            return refused(input, release, cloud, disabled.get());
        }
        if (cloud == Cloud.AWS && !region.equals(settings.sourceRegion())) {
            return refused(input, release, cloud, "image " + imageId + " was verified in " + region
                    + ", but this worker publishes from " + settings.sourceRegion() + "; nothing published");
        }
        Gate gate = VersionGate.exactly(images(cloud), location(cloud), imageId, release);
        if (gate.source().isEmpty()) {
            return refused(input, release, cloud, gate.refusal());
        }
        return publish(input, release, Map.of(cloud, gate), List.of(), List.of(), List.of(), attempt);
    }

    /** A release that ends before anything is published on {@code cloud}: the one summary, naming why. */
    public PhaseOutcome refused(Envelope<?> input, Release release, Cloud cloud, String reason) {
        log.accept(release.buildId(), "refused: " + reason);
        return PhaseOutcome.Emit.of(summary(input, release, List.of(),
                List.of(new ReleasePublished.FailedRegion(cloud, region(cloud), Reasons.forEvent(reason))), null));
    }

    private PhaseOutcome refused(Envelope<?> input, Release release, String reason) {
        log.accept(release.buildId(), "refused: " + reason);
        return PhaseOutcome.Emit.of(summary(input, release, List.of(), release.clouds().stream()
                .map(c -> new ReleasePublished.FailedRegion(c, region(c), Reasons.forEvent(reason))).toList(), null));
    }

    @Override
    public PipelineEvent failure(Envelope<ReleaseTagged> input, Phase.Failure failure) {
        return failure(input, Release.of(input.data()), failure);
    }

    /** The release's summary when the phase itself failed (see {@link Phase#failure}). */
    public PipelineEvent failure(Envelope<?> input, Release release, Phase.Failure failure) {
        String reason = Reasons.forEvent("publish-worker: " + failure.reason()
                + (failure.retryable() ? " (retryable: tag the release again)" : ""));
        return summary(input, release, List.of(), release.clouds().stream()
                .map(c -> new ReleasePublished.FailedRegion(c, region(c), reason)).toList(), null);
    }

    // --- publishing ----------------------------------------------------------------------------------------------

    private PhaseOutcome publish(Envelope<?> input, Release release, Map<Cloud, Gate> sources,
            List<ReleasePublished.FailedRegion> failedBefore, List<PhaseOutcome.Output> builds, List<String> planned,
            Attempt attempt) {
        List<ReleasePublished.FailedRegion> failed = new ArrayList<>(failedBefore);
        Map<String, Supplier<RegionResult>> tasks = new LinkedHashMap<>();
        List<String> plan = new ArrayList<>(planned);
        Optional<Instant> deprecateAt = settings.deprecateAfter().map(d -> clock.instant().plus(d));
        Publication publication = new Publication(input, release, attempt);
        Gate awsGate = sources.get(Cloud.AWS);
        if (awsGate != null) {
            CloudImage source = awsGate.source().orElseThrow();
            Preflight preflight = preflight();
            if (release.dryRun()) {
                plan.addAll(awsPlan(release, source, awsGate.marker(), preflight));
            } else if (preflight.failure().isPresent()) {
                failed.add(new ReleasePublished.FailedRegion(Cloud.AWS, settings.sourceRegion(),
                        Reasons.forEvent("preflight: " + preflight.failure().get() + "; nothing changed")));
            } else {
                log.accept(release.buildId(), "publishing " + source.id() + " (" + settings.sourceRegion() + ") as "
                        + release.releaseTag() + " to " + preflight.targets().size() + " regions");
                Map<String, String> tags = publishedTags(input, release, source);
                tasks.put("aws/" + settings.sourceRegion(), () -> publishSource(source, tags, deprecateAt));
                for (String region : preflight.targets()) {
                    tasks.put("aws/" + region, () -> copyTo(release, source, region, tags, deprecateAt));
                }
            }
        }
        Gate gcpGate = sources.get(Cloud.GCP);
        if (gcpGate != null) {
            CloudImage source = gcpGate.source().orElseThrow();
            if (release.dryRun()) {
                plan.addAll(gcpPlan(release, source, gcpGate.marker()));
            } else {
                Map<String, String> tags = publishedTags(input, release, source);
                tasks.put("gcp/" + settings.gcpRegion(), () -> publishOnGcp(release, source, tags));
            }
        }
        if (release.dryRun()) {
            return PhaseOutcome.Emit.of(summary(input, release, List.of(), failed,
                    plan.stream().map(Reasons::forEvent).toList()));
        }
        Map<String, RegionResult> results = inParallel("publish-" + release.buildId(), List.copyOf(tasks.keySet()),
                attempt, key -> {
                    RegionResult result = tasks.get(key).get();
                    publication.done(result);
                    return result;
                });
        if (attempt.cancelled()) {
            // What was made so far carries tags or derived names: the next owner of the input reuses it.
            return new PhaseOutcome.Abandon(attempt.cancelReason());
        }
        // Regions whose task never ran or ended by an exception are reported as such.
        tasks.keySet().stream().filter(k -> results.get(k) == null).forEach(k -> publication.done(new RegionResult(
                Cloud.fromWireName(k.substring(0, k.indexOf('/'))), k.substring(k.indexOf('/') + 1), null, null,
                "did not complete", null)));
        List<PhaseOutcome.Output> outputs = new ArrayList<>(builds);
        List<ReleasePublished.PublishedImage> published = new ArrayList<>();
        for (RegionResult r : publication.results()) {
            if (r.imageId() != null) {
                published.add(new ReleasePublished.PublishedImage(r.cloud(), r.region(), r.imageId(), r.exportUri()));
                outputs.add(publication.output(r));
            } else {
                failed.add(new ReleasePublished.FailedRegion(r.cloud(), r.region(), r.failure()));
            }
        }
        outputs.add(PhaseOutcome.Output.of(summary(input, release, published, failed, null)));
        return new PhaseOutcome.Emit(outputs);
    }

    /**
     * @param imageId null when the region failed
     * @param sourceImageId the verified image it was published from
     * @param exportUri GCP: where the image was exported
     */
    private record RegionResult(Cloud cloud, String region, String imageId, String sourceImageId, String failure,
            String exportUri) {

        static RegionResult published(Cloud cloud, String region, String imageId, String sourceImageId) {
            return new RegionResult(cloud, region, imageId, sourceImageId, null, null);
        }

        static RegionResult failed(Cloud cloud, String region, RuntimeException e) {
            return new RegionResult(cloud, region, null, null, Reasons.forEvent(String.valueOf(e.getMessage())),
                    null);
        }
    }

    /** One release's regions as they finish: each published region's event leaves at once. */
    private final class Publication {
        private final Envelope<?> input;
        private final Release release;
        private final Attempt attempt;
        private final List<RegionResult> results = new ArrayList<>();

        Publication(Envelope<?> input, Release release, Attempt attempt) {
            this.input = input;
            this.release = release;
            this.attempt = attempt;
        }

        synchronized void done(RegionResult result) {
            results.add(result);
            if (result.imageId() != null) {
                attempt.emitNow(output(result));
            }
        }

        synchronized List<RegionResult> results() {
            return results.stream().sorted(Comparator.comparing(RegionResult::cloud)
                    .thenComparing(r -> !r.region().equals(settings.sourceRegion()))
                    .thenComparing(RegionResult::region)).toList();
        }

        PhaseOutcome.Output output(RegionResult r) {
            boolean onAws = r.cloud() == Cloud.AWS;
            return PhaseOutcome.Output.of(new ImagePublished(EventType.CURRENT_VERSION, release.buildId(),
                    release.releaseTag(), r.cloud(), r.region(), onAws ? null : settings.gcpProject().orElse(null),
                    r.imageId(), r.sourceImageId(), onAws ? settings.sourceRegion() : r.region(),
                    release.kubevirtVersion(), r.exportUri(), input.id(), release.replayOf()),
                    onAws ? r.region() : "gcp/" + r.region());
        }
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

    // --- AWS -----------------------------------------------------------------------------------------------------

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
            // A published image has no expiry: whatever its build's retention said, it is a release now.
            aws.images().untagImage(region, source.id(), List.of(ResourceTags.EXPIRES_AT));
            aws.permissions().makePublic(region, source.id());
            deprecateAt.ifPresent(at -> aws.copies().deprecate(region, source.id(), at));
            return RegionResult.published(Cloud.AWS, region, source.id(), source.id());
        } catch (RuntimeException e) {
            return RegionResult.failed(Cloud.AWS, region, e);
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
            return RegionResult.published(Cloud.AWS, region, id, source.id());
        } catch (RuntimeException e) {
            log.accept(release.buildId(), region + ": failed: " + Reasons.forEvent(e.getMessage()));
            return RegionResult.failed(Cloud.AWS, region, e);
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

    // --- GCP -----------------------------------------------------------------------------------------------------

    /**
     * The GCP order that never hands out the new image through its family before it is fully published (see
     * {@link ImageFamilies}): the release image is made held back from the family, made public, exported, and only
     * then released into the family. Every step finds what an earlier attempt made (name, export tag).
     */
    private RegionResult publishOnGcp(Release release, CloudImage source, Map<String, String> tags) {
        GcpPorts ports = gcp.orElseThrow();
        String region = settings.gcpRegion();
        try {
            String name = gcpImageName(release.releaseTag());
            CloudImage member = ports.families().addHeld(settings.gcpFamily(), source.id(), name, tags);
            ports.permissions().makePublic(GCP_LOCATION, member.id());
            String uri = ports.exports().destinationFor(release.releaseTag());
            ports.exports().export(member.id(), uri);
            ports.families().release(member.id());
            log.accept(release.buildId(), "gcp: " + member.id() + " public, exported to " + uri + ", in family "
                    + settings.gcpFamily());
            return new RegionResult(Cloud.GCP, region, member.id(), source.id(), null, uri);
        } catch (RuntimeException e) {
            log.accept(release.buildId(), "gcp: failed: " + Reasons.forEvent(e.getMessage()));
            return RegionResult.failed(Cloud.GCP, region, e);
        }
    }

    /** The release's image on GCP: a valid image name (lowercase letters, digits, dashes; at most 63). */
    static String gcpImageName(String releaseTag) {
        String name = ("kubevirt-" + releaseTag).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return name.length() > 63 ? name.substring(0, 63).replaceAll("-+$", "") : name.replaceAll("-+$", "");
    }

    private List<String> gcpPlan(Release release, CloudImage source, VerifiedMarker marker) {
        String name = gcpImageName(release.releaseTag());
        List<String> plan = new ArrayList<>();
        plan.add("gcp: source " + source.id() + " (build " + marker.buildId() + ", verified for "
                + marker.kubevirtVersion() + ")");
        plan.add("gcp: create " + name + " in family " + settings.gcpFamily() + ", held back (deprecated) until"
                + " published");
        plan.add("gcp: make " + name + " public (allAuthenticatedUsers: roles/compute.imageUser)");
        plan.add("gcp: export " + name + " to " + gcp.map(p -> p.exports().destinationFor(release.releaseTag()))
                .orElse("(no export bucket)"));
        plan.add("gcp: release " + name + " into family " + settings.gcpFamily());
        return plan;
    }

    // --- plans and events ----------------------------------------------------------------------------------------

    private List<String> awsPlan(Release release, CloudImage source, VerifiedMarker marker, Preflight preflight) {
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
        return plan;
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

    /** Why this worker does not publish on {@code cloud}; empty when it does. */
    private Optional<String> disabled(Cloud cloud) {
        if (!settings.clouds().contains(cloud)) {
            return Optional.of(cloud.wireName() + " publication is not enabled in this publish-worker"
                    + " (cib.publish.clouds)");
        }
        if (cloud == Cloud.GCP && gcp.isEmpty()) {
            return Optional.of("this publish-worker has no GCP adapters");
        }
        return Optional.empty();
    }

    private ImageCatalog images(Cloud cloud) {
        return cloud == Cloud.AWS ? aws.images() : gcp.orElseThrow().images();
    }

    private String location(Cloud cloud) {
        return cloud == Cloud.AWS ? settings.sourceRegion() : GCP_LOCATION;
    }

    private String region(Cloud cloud) {
        return cloud == Cloud.AWS ? settings.sourceRegion() : settings.gcpRegion();
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

}
