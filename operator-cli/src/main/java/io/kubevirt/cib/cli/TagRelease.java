package io.kubevirt.cib.cli;

import io.kubevirt.cib.cli.domain.ReleaseVersions;
import io.kubevirt.cib.events.Cloud;
import io.kubevirt.cib.events.EventType;
import io.kubevirt.cib.events.ReleaseTagged;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tag-release", description = "Announce a release tag (what the git-hook bridge does on a tag push):"
        + " publishes release.tagged.")
class TagRelease extends CibCommand {

    @Option(names = "--tag", required = true, paramLabel = "vX.Y.Z[-N]")
    String tag;

    @Option(names = "--kubevirt-version", description = "default: from the tag (v1.9.0-2 -> v1.9.0)")
    String kubevirtVersion;

    @Option(names = "--commit", paramLabel = "SHA")
    String commit;

    @Option(names = "--cloud", description = "repeat for several; default every cloud")
    List<String> clouds = new ArrayList<>();

    @Option(names = "--build-id", description = "default release-<tag> (dots as dashes)")
    String buildId;

    @Override
    public Integer call() {
        String version = kubevirtVersion != null ? kubevirtVersion : ReleaseVersions.kubevirtVersion(tag)
                .orElseThrow(() -> new UsageProblem("cannot tell the KubeVirt version from tag " + tag
                        + "; give --kubevirt-version"));
        List<Cloud> targets = new ArrayList<>();
        for (String c : clouds) {
            try {
                targets.add(Cloud.fromWireName(c));
            } catch (IllegalArgumentException e) {
                throw new UsageProblem("--cloud must be aws or gcp");
            }
        }
        String id = buildId != null ? buildId
                : ("release-" + tag).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("-+$", "");
        publish(new ReleaseTagged(EventType.CURRENT_VERSION, id, tag, version, targets.isEmpty() ? null : targets,
                commit, null, null), "published");
        return Cib.OK;
    }
}
