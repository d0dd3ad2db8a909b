package io.kubevirt.cib.publish.domain;

import io.kubevirt.cib.common.phase.Attempt;
import io.kubevirt.cib.common.phase.Phase;
import io.kubevirt.cib.common.phase.PhaseOutcome;
import io.kubevirt.cib.events.Envelope;
import io.kubevirt.cib.events.ImageVerified;
import io.kubevirt.cib.events.PipelineEvent;

/**
 * image.verified in: the second half of a release whose tag came before its image. Only a verification carrying a
 * release tag (its build was asked for by {@link PublishCoordinator}) concerns this phase; a passed one is published
 * as that release (that exact image), a failed one ends the release with the verification's reason.
 */
public final class VerifiedReleaseCoordinator implements Phase<ImageVerified> {

    private final PublishCoordinator publisher;

    public VerifiedReleaseCoordinator(PublishCoordinator publisher) {
        this.publisher = publisher;
    }

    @Override
    public PhaseOutcome run(Envelope<ImageVerified> input, Attempt attempt) {
        ImageVerified verified = input.data();
        if (verified.releaseTag() == null) {
            return new PhaseOutcome.NotForThisPhase("no release waits for build " + verified.buildId());
        }
        Release release = Release.of(verified);
        if (verified.outcome() != ImageVerified.Outcome.PASSED) {
            return publisher.refused(input, release, verified.cloud(), "the verification of build "
                    + verified.buildId() + " (image " + verified.imageId() + ") failed: " + verified.reason()
                    + "; nothing published");
        }
        return publisher.publishVerified(input, release, verified.cloud(), verified.region(), verified.imageId(),
                attempt);
    }

    @Override
    public PipelineEvent failure(Envelope<ImageVerified> input, Phase.Failure failure) {
        return publisher.failure(input, Release.of(input.data()), failure);
    }
}
