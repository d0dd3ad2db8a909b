package io.kubevirt.cib.gcp;

import com.google.cloud.compute.v1.Zone;
import io.kubevirt.cib.common.cloud.Locations;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's zones, asked from the Zones API each time (a zone Google adds is swept too), then
 * {@link #GLOBAL}, where the project's images live. Zones that are DOWN are listed as well: a sweep that cannot
 * reach one fails loudly rather than skipping its leftovers.
 */
public final class GceLocations implements Locations {

    /** The location of global resources (images): {@code CloudResource.location()} and the sweep's location. */
    public static final String GLOBAL = "global";

    private final GceClients clients;

    public GceLocations(GceClients clients) {
        this.clients = clients;
    }

    @Override
    public List<String> locations() {
        String project = clients.project();
        return GceCalls.call("zones.list in project " + project, () -> {
            List<String> zones = new ArrayList<>();
            for (Zone zone : clients.zones().list(project).iterateAll()) {
                zones.add(zone.getName());
            }
            zones.sort(null);
            zones.add(GLOBAL);
            return List.copyOf(zones);
        });
    }
}
