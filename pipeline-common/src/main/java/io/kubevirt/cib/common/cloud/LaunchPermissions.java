package io.kubevirt.cib.common.cloud;

/** Port: who may launch an image. Implementations: cloud-aws (launchPermission group all), in-memory fake. */
public interface LaunchPermissions {

    /** Makes the image launchable by everyone. Making a public image public again is not an error. */
    void makePublic(String region, String imageId);

    boolean isPublic(String region, String imageId);
}
