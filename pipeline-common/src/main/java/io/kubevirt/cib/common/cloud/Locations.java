package io.kubevirt.cib.common.cloud;

import java.util.List;

/**
 * Port: every location a sweep must look in, asked from the cloud each time (AWS: the account's enabled regions by
 * DescribeRegions; GCP: the project's zones), never a list in code, so a newly enabled region is swept too.
 */
public interface Locations {

    List<String> locations();
}
