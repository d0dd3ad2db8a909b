package io.kubevirt.cib.gcp;

import com.google.cloud.compute.v1.DeprecateImageRequest;
import com.google.cloud.compute.v1.DeprecationStatus;
import com.google.cloud.compute.v1.Image;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.ImageDeprecation;
import java.time.Instant;

/**
 * images.deprecate with state DEPRECATED and {@code deprecated} = the given time. On GCP the state takes effect at
 * once (the timestamps are informational), so a deprecated image leaves its family: {@code getFromFamily} returns
 * the newest image that is not deprecated.
 */
public final class GceImageDeprecation implements ImageDeprecation {

    private final GceClients clients;

    public GceImageDeprecation(GceClients clients) {
        this.clients = clients;
    }

    @Override
    public boolean deprecate(CloudResource image, Instant at) {
        String project = clients.project();
        DeprecateImageRequest request = DeprecateImageRequest.newBuilder()
                .setProject(project)
                .setImage(image.id())
                .setDeprecationStatusResource(DeprecationStatus.newBuilder()
                        .setState(DeprecationStatus.State.DEPRECATED.name())
                        .setDeprecated(at.toString()))
                .build();
        return GceCalls.mutateIfExists(clients, "images.deprecate(" + image.id() + ") in project " + project,
                () -> clients.images().deprecateAsync(request));
    }

    /**
     * Its {@code deprecated} time if the image is deprecated (or obsolete, deleted), else null. A DEPRECATED status
     * without a time is a publish hold ({@link GceImageFamilies#addHeld}), not a retirement: null too, so the
     * release lifecycle never counts a held image's grace period.
     */
    static Instant deprecatedAt(Image image) {
        if (!image.hasDeprecated()) {
            return null;
        }
        DeprecationStatus status = image.getDeprecated();
        if (!status.hasState() || DeprecationStatus.State.ACTIVE.name().equals(status.getState())) {
            return null;
        }
        return GceCalls.instant(status.getDeprecated());
    }
}
