package io.kubevirt.cib.common.cloud;

import java.util.Map;

/** How a contract test puts resources into a cloud (fake or real) before it exercises the ports. */
public interface CloudFixture {

    /** Creates an available image with these tags; returns its id. */
    String seedImage(String location, String name, Map<String, String> tags);

    /** Starts an instance with these tags; returns its id. */
    String seedInstance(String location, Map<String, String> tags);
}
