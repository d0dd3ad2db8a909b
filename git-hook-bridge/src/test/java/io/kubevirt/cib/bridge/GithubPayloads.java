package io.kubevirt.cib.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** GitHub's example payloads in src/test/resources/github (see SOURCE.md there). */
public final class GithubPayloads {

    public static final String PR_HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    public static final String TAGGED_COMMIT = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

    private GithubPayloads() {
    }

    public static byte[] bytes(String name) {
        try (InputStream in = GithubPayloads.class.getResourceAsStream("/github/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no payload " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The real tag push with only its ref changed to a release-shaped tag. */
    public static byte[] tagPush(String tag) {
        String json = new String(bytes("push.tag-created.json"), StandardCharsets.UTF_8);
        return json.replace("\"refs/tags/simple-tag\"", "\"refs/tags/" + tag + "\"").getBytes(StandardCharsets.UTF_8);
    }
}
