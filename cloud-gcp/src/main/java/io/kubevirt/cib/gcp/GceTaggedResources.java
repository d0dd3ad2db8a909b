package io.kubevirt.cib.gcp;

import com.google.cloud.compute.v1.DeleteDiskRequest;
import com.google.cloud.compute.v1.DeleteInstanceRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.Instance;
import com.google.cloud.compute.v1.ListDisksRequest;
import com.google.cloud.compute.v1.ListImagesRequest;
import com.google.cloud.compute.v1.ListInstancesRequest;
import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.CloudResource.Kind;
import io.kubevirt.cib.common.cloud.TaggedResources;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's labelled instances and disks (per zone) and images (asked for in {@link GceLocations#GLOBAL},
 * reported without a location), found with a
 * server-side {@code labels.KEY:*} filter and read page by page. GCP has no snapshots of ours (an image is made from
 * a disk directly) and no Packer temporaries, so other kinds are always empty. Removal is idempotent: "not found"
 * means already gone (false). An image is removed by images.delete alone; nothing else was made for it.
 */
public final class GceTaggedResources implements TaggedResources {

    private final GceClients clients;

    public GceTaggedResources(GceClients clients) {
        this.clients = clients;
    }

    @Override
    public List<CloudResource> findTagged(String location, Kind kind, String tagKey) {
        String filter = "labels." + GceLabels.checkKey(tagKey) + ":*";
        String project = clients.project();
        boolean global = GceLocations.GLOBAL.equals(location);
        List<CloudResource> found = new ArrayList<>();
        switch (kind) {
            case INSTANCE -> {
                if (!global) {
                    ListInstancesRequest request = ListInstancesRequest.newBuilder().setProject(project)
                            .setZone(location).setFilter(filter).build();
                    GceCalls.call("instances.list in " + location, () -> {
                        // Deleted instances are absent; TERMINATED (stopped) ones still exist and cost: included.
                        for (Instance i : clients.instances().list(request).iterateAll()) {
                            found.add(new CloudResource(kind, i.getName(), i.getName(), location,
                                    GceLabels.fromLabels(i.getLabelsMap()),
                                    GceCalls.instant(i.getCreationTimestamp()), null));
                        }
                        return found;
                    });
                }
            }
            case DISK -> {
                if (!global) {
                    ListDisksRequest request = ListDisksRequest.newBuilder().setProject(project).setZone(location)
                            .setFilter(filter).build();
                    GceCalls.call("disks.list in " + location, () -> {
                        for (Disk d : clients.disks().list(request).iterateAll()) {
                            found.add(new CloudResource(kind, d.getName(), d.getName(), location,
                                    GceLabels.fromLabels(d.getLabelsMap()),
                                    GceCalls.instant(d.getCreationTimestamp()), null));
                        }
                        return found;
                    });
                }
            }
            case IMAGE -> {
                if (global) {
                    ListImagesRequest request = ListImagesRequest.newBuilder().setProject(project).setFilter(filter)
                            .build();
                    GceCalls.call("images.list in project " + project, () -> {
                        for (Image i : clients.images().list(request).iterateAll()) {
                            if (!"DELETING".equals(i.getStatus())) {
                                found.add(image(i));
                            }
                        }
                        return found;
                    });
                }
            }
            default -> {
                // Snapshots, security groups, key pairs: the pipeline makes none of them on GCP.
            }
        }
        return List.copyOf(found);
    }

    @Override
    public boolean remove(CloudResource resource) {
        String project = clients.project();
        String name = resource.id();
        String zone = resource.location();
        return switch (resource.kind()) {
            case INSTANCE -> GceCalls.mutateIfExists(clients, "instances.delete(" + name + ") in " + zone,
                    () -> clients.instances().deleteAsync(DeleteInstanceRequest.newBuilder()
                            .setProject(project).setZone(zone).setInstance(name).build()));
            case DISK -> GceCalls.mutateIfExists(clients, "disks.delete(" + name + ") in " + zone,
                    () -> clients.disks().deleteAsync(DeleteDiskRequest.newBuilder()
                            .setProject(project).setZone(zone).setDisk(name).build()));
            case IMAGE -> GceCalls.mutateIfExists(clients, "images.delete(" + name + ") in project " + project,
                    () -> clients.images().deleteAsync(project, name));
            default -> throw new IllegalArgumentException("not a GCP tagged kind: " + resource.kind());
        };
    }

    /**
     * An image as a sweep sees it: created, and deprecated since when (if deprecated at all); no location, as
     * {@link CloudResource} and the resources.cleaned schema have it for global resources.
     */
    static CloudResource image(Image i) {
        return new CloudResource(Kind.IMAGE, i.getName(), i.getName(), null,
                GceLabels.fromLabels(i.getLabelsMap()), GceCalls.instant(i.getCreationTimestamp()),
                GceImageDeprecation.deprecatedAt(i));
    }
}
