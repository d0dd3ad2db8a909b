package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ImageCatalog;
import io.kubevirt.cib.common.cloud.ResourceTags;
import io.kubevirt.cib.common.cloud.VerifiedMarker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which image of a cloud may be published as a release: only one whose verified marker (written by the test-worker
 * after a passed verification of that exact image) vouches for the release's KubeVirt version, and for the commit
 * when the tag names one. Reads only; the same rule on every cloud.
 */
final class VersionGate {

    /**
     * @param source the image to publish, when there is one
     * @param blocking no source, and images of the version exist that disagree with the release (another version in
     *                 the marker, another commit): a new build would not settle that, a person must look
     * @param refusal why there is no source, naming the images and the values that disagree
     */
    record Gate(Optional<CloudImage> source, VerifiedMarker marker, String refusal, boolean blocking) {

        static Gate open(CloudImage image, VerifiedMarker marker) {
            return new Gate(Optional.of(image), marker, null, false);
        }

        static Gate closed(String refusal, boolean blocking) {
            return new Gate(Optional.empty(), null, refusal, blocking);
        }
    }

    private VersionGate() {
    }

    /** The newest available image in {@code location} whose marker vouches for the release, or why there is none. */
    static Gate newestVerified(ImageCatalog images, String location, Release release) {
        String version = release.kubevirtVersion();
        List<String> disagreements = new ArrayList<>();
        List<String> blocking = new ArrayList<>();
        List<Map.Entry<CloudImage, VerifiedMarker>> vouched = new ArrayList<>();
        for (CloudImage image : images.findImages(location, Map.of(ResourceTags.VERIFIED_KUBEVIRT_VERSION,
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
            return Gate.open(best.get().getKey(), best.get().getValue());
        }
        // Built for this version but not (or no longer) vouched for: say which values disagree. An image that was
        // never verified, or failed, does not block: the release asks for a build of its own.
        for (CloudImage image : images.findImages(location, Map.of(ResourceTags.KUBEVIRT_VERSION, version))) {
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
        String why = "version gate: no image in " + location + " verified for KubeVirt " + version
                + (release.gitCommit() == null ? "" : " at commit " + release.gitCommit())
                + (disagreements.isEmpty() ? "" : ": " + String.join("; ", disagreements.stream().sorted().toList()))
                + "; nothing published";
        return Gate.closed(why, !blocking.isEmpty());
    }

    /** That exact image, when its marker vouches for the release's version (the release's own build). */
    static Gate exactly(ImageCatalog images, String location, String imageId, Release release) {
        Optional<CloudImage> image = images.getImage(location, imageId);
        Optional<VerifiedMarker> marker = image.flatMap(i -> VerifiedMarker.read(i.tags()));
        String why = image.isEmpty() ? "image " + imageId + " no longer exists in " + location
                : marker.isEmpty() ? "image " + imageId + " carries no verified marker"
                : !marker.get().kubevirtVersion().equals(release.kubevirtVersion())
                        ? "image " + imageId + " was verified for KubeVirt " + marker.get().kubevirtVersion()
                                + ", the release is " + release.kubevirtVersion()
                : image.get().state() != CloudImage.State.AVAILABLE
                        ? "image " + imageId + " is " + image.get().state().name().toLowerCase(Locale.ROOT)
                : null;
        return why == null ? Gate.open(image.get(), marker.get())
                : Gate.closed("version gate: " + why + "; nothing published", true);
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
}
