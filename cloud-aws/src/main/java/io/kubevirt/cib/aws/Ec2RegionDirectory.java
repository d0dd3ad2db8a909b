package io.kubevirt.cib.aws;

import io.kubevirt.cib.common.cloud.RegionDirectory;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.RegionMetadata;

/** {@link RegionDirectory} on EC2 DescribeRegions (AllRegions, with opt-in status), asked in the source region. */
public final class Ec2RegionDirectory implements RegionDirectory {

    private final Ec2Clients clients;

    public Ec2RegionDirectory(Ec2Clients clients) {
        this.clients = clients;
    }

    @Override
    public List<RegionInfo> regions(String sourceRegion) {
        String partition = partition(sourceRegion);
        try {
            // Real AWS lists only the caller's partition; emulators list every one, so filter either way.
            return clients.forRegion(sourceRegion).describeRegions(r -> r.allRegions(true)).regions().stream()
                    .filter(r -> partition(r.regionName()).equals(partition))
                    .map(r -> new RegionInfo(r.regionName(), optIn(r.optInStatus())))
                    .toList();
        } catch (SdkException e) {
            throw AwsErrors.translate("DescribeRegions", sourceRegion, e);
        }
    }

    static String partition(String region) {
        RegionMetadata metadata = Region.of(region).metadata();
        if (metadata != null && metadata.partition() != null) {
            return metadata.partition().id();
        }
        // A region newer than this SDK: its name says its partition.
        return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov"
                : region.startsWith("us-iso") ? "aws-iso" : "aws";
    }

    private static OptIn optIn(String status) {
        if (status == null || status.equals("opt-in-not-required")) {
            return OptIn.NOT_REQUIRED;
        }
        return status.equals("opted-in") ? OptIn.OPTED_IN : OptIn.NOT_OPTED_IN;
    }
}
