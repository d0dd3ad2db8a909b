package io.kubevirt.cib.common.cloud;

import java.util.Map;

/** How the sweep-port contract tests put resources into a cloud (fake or real). */
public interface SweepFixture {

    /** Creates a resource of {@code kind} (instance, image, snapshot) with these tags ({@code Map.of()}: untagged). */
    String seed(String location, CloudResource.Kind kind, String name, Map<String, String> tags);

    /** Creates a security group or key pair with this name, as Packer does (untagged). */
    String seedNamed(String location, CloudResource.Kind kind, String name);
}
