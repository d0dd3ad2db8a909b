package io.kubevirt.cib.verify.domain.run;

import io.kubevirt.cib.events.ImageVerified;
import java.util.List;

/**
 * What the verification script showed, ready for {@code image.verified}.
 *
 * @param checks every step in script order, each with status, duration and short, redacted evidence
 * @param found versions read on the instance; fields are null when the script could not tell
 * @param failureReason null exactly when {@code passed}
 */
public record VerificationReport(List<ImageVerified.Check> checks, ImageVerified.FoundVersions found, boolean passed,
        String failureReason) {

    public static final ImageVerified.FoundVersions NO_VERSIONS = new ImageVerified.FoundVersions(null, null, null);

    public VerificationReport {
        checks = List.copyOf(checks);
        found = found == null ? NO_VERSIONS : found;
        if (passed == (failureReason != null)) {
            throw new IllegalArgumentException("a failure reason is required exactly when the verification failed");
        }
    }

    public static VerificationReport failed(List<ImageVerified.Check> checks, ImageVerified.FoundVersions found,
            String reason) {
        return new VerificationReport(checks, found, false, reason);
    }
}
