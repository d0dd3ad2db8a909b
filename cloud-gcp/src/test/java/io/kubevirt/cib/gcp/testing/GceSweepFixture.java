package io.kubevirt.cib.gcp.testing;

import io.kubevirt.cib.common.cloud.CloudResource;
import io.kubevirt.cib.common.cloud.SweepFixture;
import io.kubevirt.cib.gcp.GceLabels;
import java.util.Map;

/**
 * Seeds the {@link LocalComputeServer} with what a sweep looks for, labels encoded as the adapters write them:
 * instances and disks in a zone, images in "global". GCP has no Packer temporaries.
 */
public final class GceSweepFixture implements SweepFixture {

    private final LocalComputeServer server;
    private final String project;

    public GceSweepFixture(LocalComputeServer server, String project) {
        this.server = server;
        this.project = project;
    }

    @Override
    public String seed(String location, CloudResource.Kind kind, String name, Map<String, String> tags) {
        Map<String, String> labels = GceLabels.toLabels(tags);
        switch (kind) {
            case INSTANCE -> server.seedInstance(project, location, name, labels);
            case DISK -> server.seedDisk(project, location, name, labels);
            case IMAGE -> {
                if (!"global".equals(location)) {
                    throw new IllegalArgumentException("GCE images are global, not in " + location);
                }
                server.seedImage(project, name, labels);
            }
            default -> throw new IllegalArgumentException("GCP has no " + kind + " of ours");
        }
        return name;
    }

    @Override
    public String seedNamed(String location, CloudResource.Kind kind, String name) {
        throw new UnsupportedOperationException("GCP has no Packer temporaries");
    }
}
