package io.kubevirt.cib.common.cloud;

import java.util.Optional;

/**
 * Port: an image written out as a file, the way {@code gcloud compute images export} does it. GCP
 * ({@code GceImageExports}): a Cloud Build build whose one step is {@code gce_vm_image_export}
 * ({@code -source_image}, {@code -destination_uri=gs://BUCKET/NAME.tar.gz}, {@code -zone}, {@code -timeout}), waited
 * for within the adapter's configured budget (hours, not the client's default 300 s). In-memory fake:
 * {@code InMemoryImagePublishing}.
 *
 * <p>Idempotent, also across a crash: every export of image I to destination D carries the same marker (GCP: a build
 * tag derived from I and D). Before starting, {@link #export} looks for builds with that marker (GCP: builds.list
 * filtered by the tag, newest first): a succeeded one is returned at once, a queued or running one is joined (waited
 * for), and only when there is none, or all ended in failure, is a new one started. So a rerun never starts a second
 * export of the same image to the same URI while one is under way or done.
 */
public interface ImageExports {

    /** Where an export of {@code imageName} goes: {@code gs://<configured bucket>/<imageName>.tar.gz}. */
    String destinationFor(String imageName);

    /** The newest export of exactly this image to exactly this destination that is running or has succeeded. */
    Optional<Export> find(String imageId, String destinationUri);

    /**
     * Exports {@code imageId} to {@code destinationUri} and waits until it has succeeded (joining or reusing an
     * earlier one, see the class comment). Throws {@link CloudException}: not retryable when the export failed (e.g.
     * no such image); retryable when the budget ran out (the export goes on; a rerun joins it).
     */
    Export export(String imageId, String destinationUri);

    /** One export run: the cloud's id (GCP: the Cloud Build build id). */
    record Export(String id, String imageId, String destinationUri, State state) {

        public enum State {
            RUNNING,
            SUCCEEDED,
            FAILED
        }
    }
}
