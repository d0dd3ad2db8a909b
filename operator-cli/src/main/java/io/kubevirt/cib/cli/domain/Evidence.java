package io.kubevirt.cib.cli.domain;

import io.kubevirt.cib.events.BuildFailed;
import io.kubevirt.cib.events.BuildRequested;
import io.kubevirt.cib.events.ImageBuilt;
import io.kubevirt.cib.events.ImagePublished;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;
import io.kubevirt.cib.events.ReleasePublished;
import io.kubevirt.cib.events.ReleaseTagged;
import io.kubevirt.cib.events.ResourcesCleaned;
import java.util.ArrayList;
import java.util.List;

/**
 * What an event shows an operator: a one-line summary and detail lines (images per region, each verification check,
 * versions found, failure reasons). Events arrive already redacted by their producers.
 */
public final class Evidence {

    private Evidence() {
    }

    public static String summary(PipelineEvent event) {
        String replay = event.replayOf() == null ? "" : " (replay of " + event.replayOf() + ")";
        String s;
        if (event instanceof BuildRequested e) {
            s = e.cloud().wireName() + " kubevirt " + e.kubevirtVersion()
                    + opt(" kubernetes ", e.kubernetesVersion()) + opt(" in ", e.region())
                    + opt(" by ", e.requestedBy());
        } else if (event instanceof ImageBuilt e) {
            s = e.cloud().wireName() + " image " + e.imageId() + " in " + e.region()
                    + (Boolean.TRUE.equals(e.reused()) ? " (reused)" : "")
                    + (e.durationSeconds() == null ? "" : " after "
                    + Durations.human(java.time.Duration.ofMillis((long) (e.durationSeconds() * 1000))));
        } else if (event instanceof BuildFailed e) {
            s = "FAILED at " + e.stage().name().toLowerCase() + (e.retryable() ? " (retryable)" : "") + ": "
                    + e.reason();
        } else if (event instanceof ImageVerified e) {
            s = e.outcome().name().toLowerCase() + " " + e.imageId() + opt(" on ", e.instanceId())
                    + opt(": ", e.reason());
        } else if (event instanceof ReleaseTagged e) {
            s = "tag " + e.releaseTag() + " kubevirt " + e.kubevirtVersion() + opt(" commit ", e.gitCommit());
        } else if (event instanceof ImagePublished e) {
            s = e.cloud().wireName() + " " + e.imageId() + " in " + e.region() + opt(" export ", e.exportUri());
        } else if (event instanceof ReleasePublished e) {
            s = e.outcome().name().toLowerCase() + " " + e.releaseTag() + ": "
                    + (e.published() == null ? 0 : e.published().size()) + " image(s), "
                    + (e.failedRegions() == null ? 0 : e.failedRegions().size()) + " failed region(s)";
        } else if (event instanceof ResourcesCleaned e) {
            long failed = e.resources().stream().filter(r -> r.result() == ResourcesCleaned.Result.FAILED).count();
            s = e.trigger().name().toLowerCase() + (e.dryRun() ? " (dry run)" : "") + ": "
                    + (e.resources().size() - failed) + " resource(s) handled, " + failed + " failed";
        } else {
            s = event.type().typeName();
        }
        return s + replay;
    }

    public static List<String> details(PipelineEvent event) {
        List<String> lines = new ArrayList<>();
        if (event instanceof ImageVerified e) {
            if (e.checks() != null) {
                for (ImageVerified.Check c : e.checks()) {
                    lines.add("check " + c.name() + ": " + c.status().name().toLowerCase()
                            + (c.durationMillis() == null ? "" : " in "
                            + Durations.human(java.time.Duration.ofMillis(c.durationMillis())))
                            + opt(" - ", c.evidence()));
                }
            }
            if (e.foundVersions() != null) {
                var v = e.foundVersions();
                lines.add("found kubernetes " + v.kubernetes() + ", kubevirt " + v.kubevirt() + ", cdi " + v.cdi());
            }
        } else if (event instanceof ImageBuilt e) {
            lines.add("versions kubevirt " + e.kubevirtVersion() + opt(", kubernetes ", e.kubernetesVersion())
                    + opt(", cdi ", e.cdiVersion()));
        } else if (event instanceof ReleasePublished e) {
            if (e.published() != null) {
                e.published().forEach(p -> lines.add("image " + p.cloud().wireName() + " " + p.region() + " "
                        + p.imageId() + opt(" ", p.exportUri())));
            }
            if (e.failedRegions() != null) {
                e.failedRegions().forEach(f -> lines.add("FAILED " + f.cloud().wireName() + " " + f.region() + ": "
                        + f.reason()));
            }
        } else if (event instanceof ResourcesCleaned e) {
            e.resources().forEach(r -> lines.add(r.result().name().toLowerCase() + " "
                    + r.action().name().toLowerCase() + " " + r.cloud().wireName() + " " + r.kind() + " " + r.id()
                    + opt(" in ", r.location()) + ": " + r.reason() + opt(" - ", r.error())));
        }
        return lines;
    }

    /** Whether this event reports a failed outcome (scripts get exit code 1 for it). */
    public static boolean isFailure(PipelineEvent event) {
        return event instanceof BuildFailed
                || (event instanceof ImageVerified v && v.outcome() == ImageVerified.Outcome.FAILED)
                || (event instanceof ReleasePublished r && r.outcome() != ReleasePublished.Outcome.COMPLETE);
    }

    private static String opt(String prefix, String value) {
        return value == null || value.isEmpty() ? "" : prefix + value;
    }
}
