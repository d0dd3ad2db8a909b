package io.kubevirt.cib.common.cloud;

import java.util.List;

/**
 * Port: the regions the account can publish to. Implementations: cloud-aws ({@code DescribeRegions} with all regions
 * and their opt-in status), in-memory fake for unit tests.
 */
public interface RegionDirectory {

    /** Every region of {@code sourceRegion}'s partition (aws, aws-cn, aws-us-gov), enabled or not. */
    List<RegionInfo> regions(String sourceRegion);

    /** A region and whether the account may use it. */
    record RegionInfo(String name, OptIn optIn) {

        public boolean enabled() {
            return optIn != OptIn.NOT_OPTED_IN;
        }
    }

    enum OptIn {
        NOT_REQUIRED,
        OPTED_IN,
        NOT_OPTED_IN
    }
}
