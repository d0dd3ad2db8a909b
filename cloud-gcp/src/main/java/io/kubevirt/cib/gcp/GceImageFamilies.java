package io.kubevirt.cib.gcp;

import com.google.cloud.compute.v1.DeprecateImageRequest;
import com.google.cloud.compute.v1.DeprecationStatus;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.InsertImageRequest;
import io.kubevirt.cib.common.cloud.CloudException;
import io.kubevirt.cib.common.cloud.CloudImage;
import io.kubevirt.cib.common.cloud.ImageFamilies;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link ImageFamilies} on GCE; the publish order and the API facts behind it are in the port's comment. Held =
 * deprecation state DEPRECATED without a {@code deprecated} time ({@link GceImageDeprecation} always gives one, so a
 * hold is never mistaken for a retirement); released = deprecation cleared (state ACTIVE).
 */
public final class GceImageFamilies implements ImageFamilies {

    private final GceClients clients;

    public GceImageFamilies(GceClients clients) {
        this.clients = clients;
    }

    @Override
    public CloudImage addHeld(String family, String sourceImageId, String name, Map<String, String> tags) {
        String project = clients.project();
        Optional<Image> existing = image(project, name);
        if (existing.isEmpty()) {
            String operation = "images.insert(" + name + ", family " + family + ") in project " + project;
            Image image = Image.newBuilder()
                    .setName(name)
                    .setFamily(family)
                    .setSourceImage(sourceImageId.contains("/") ? sourceImageId
                            : "projects/" + project + "/global/images/" + sourceImageId)
                    .putAllLabels(GceLabels.toLabels(tags))
                    .build();
            // The same requestId for the same name: GCE answers a repeated insert with the first operation.
            String requestId = UUID.nameUUIDFromBytes(("cib-image:" + project + "/" + name)
                    .getBytes(StandardCharsets.UTF_8)).toString();
            GceCalls.mutate(clients, operation, () -> clients.images().insertAsync(InsertImageRequest.newBuilder()
                    .setProject(project).setImageResource(image).setRequestId(requestId).build()));
            existing = image(project, name);
        }
        Image image = existing.orElseThrow(() -> new CloudException("GCE images.insert(" + name
                + ") ended but the image is not there", true, null));
        if (!family.equals(image.getFamily())) {
            throw new CloudException("GCE image " + name + " exists in family '" + image.getFamily()
                    + "', not '" + family + "': its name is taken", false, null);
        }
        deprecate(project, name, DeprecationStatus.newBuilder().setState(DeprecationStatus.State.DEPRECATED.name()));
        return GceCloud.toCloudImage(GceLocations.GLOBAL, image(project, name).orElse(image));
    }

    @Override
    public void release(String imageId) {
        deprecate(clients.project(), imageId,
                DeprecationStatus.newBuilder().setState(DeprecationStatus.State.ACTIVE.name()));
    }

    @Override
    public Optional<String> resolve(String family) {
        String project = clients.project();
        return GceCalls.find("images.getFromFamily(" + family + ") in project " + project,
                () -> clients.images().getFromFamily(project, family)).map(Image::getName);
    }

    private void deprecate(String project, String name, DeprecationStatus.Builder status) {
        DeprecateImageRequest request = DeprecateImageRequest.newBuilder()
                .setProject(project).setImage(name).setDeprecationStatusResource(status).build();
        GceCalls.mutate(clients, "images.deprecate(" + name + ", " + status.getState() + ") in project " + project,
                () -> clients.images().deprecateAsync(request));
    }

    private Optional<Image> image(String project, String name) {
        return GceCalls.find("images.get(" + name + ") in project " + project,
                () -> clients.images().get(project, name));
    }
}
