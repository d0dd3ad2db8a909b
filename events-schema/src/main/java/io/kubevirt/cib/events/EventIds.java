package io.kubevirt.cib.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Ids of events a phase emits, derived from the id of the input that caused them. A redelivered input therefore
 * yields the same output ids (consumers and monitors recognise the duplicate), while a replay, which has a new id,
 * yields new ones.
 */
public final class EventIds {

    /** RFC 9562 name space for this pipeline's derived ids (a fixed random UUID). */
    private static final UUID NAMESPACE = UUID.fromString("0b5c4a0e-3c1f-4e8e-9a53-3f2a6c1d7e42");

    private EventIds() {
    }

    /**
     * A name-based (version 5, SHA-1) UUID of the input id and the output's name within that input's outcome, e.g.
     * {@code image.built} or {@code image.published/eu-west-1}.
     */
    public static String derived(String inputId, String outputName) {
        return uuid5(inputId + "\n" + outputName).toString();
    }

    private static UUID uuid5(String name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
        sha1.update(toBytes(NAMESPACE));
        byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (hash[i] & 0xff);
            lsb = (lsb << 8) | (hash[i + 8] & 0xff);
        }
        return new UUID(msb, lsb);
    }

    private static byte[] toBytes(UUID uuid) {
        byte[] bytes = new byte[16];
        long msb = uuid.getMostSignificantBits();
        long lsb = uuid.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (msb >>> (56 - 8 * i));
            bytes[i + 8] = (byte) (lsb >>> (56 - 8 * i));
        }
        return bytes;
    }
}
