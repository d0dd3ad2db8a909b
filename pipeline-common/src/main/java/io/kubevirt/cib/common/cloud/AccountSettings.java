package io.kubevirt.cib.common.cloud;

import java.util.OptionalInt;

/** Port: account-wide settings that decide whether publishing can work at all, checked before anything changes. */
public interface AccountSettings {

    /** Whether the account blocks making images public in {@code region} (EC2 image block public access). */
    boolean blocksPublicImages(String region);

    /** How many more public images the account may have in {@code region}; empty where it cannot be read. */
    OptionalInt publicImagesLeft(String region);
}
