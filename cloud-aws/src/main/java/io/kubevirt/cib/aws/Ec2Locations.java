package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.Locations;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Region;

/** The account's enabled regions, asked from EC2 (DescribeRegions without AllRegions lists only enabled ones). */
public final class Ec2Locations implements Locations {

    private final Ec2Clients clients;
    private final String homeRegion;

    /** @param homeRegion where DescribeRegions is asked; any enabled region answers for all */
    public Ec2Locations(Ec2Clients clients, String homeRegion) {
        this.clients = clients;
        this.homeRegion = homeRegion;
    }

    @Override
    public List<String> locations() {
        try {
            return clients.forRegion(homeRegion).describeRegions().regions().stream()
                    .map(Region::regionName).sorted().toList();
        } catch (SdkException e) {
            throw AwsErrors.translate("DescribeRegions", homeRegion, e);
        }
    }
}
