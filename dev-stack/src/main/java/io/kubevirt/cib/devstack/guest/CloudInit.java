package io.kubevirt.cib.devstack.guest;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * What a booted guest does on AWS that moto cannot: cloud-init installing the launch's key from user data, and
 * printing the SSH host keys to the console. Combined with a {@link StandInGuest}.
 */
public final class CloudInit {

    private CloudInit() {
    }

    /** The {@code ssh_authorized_keys} of a cloud-config (user data as text, already base64-decoded). */
    public static List<String> authorizedKeys(String cloudConfig) {
        return cloudConfig.lines()
                .map(line -> line.replaceAll("^[\\s-]*\"?", "").replaceAll("\"?\\s*$", ""))
                .filter(line -> line.startsWith("ecdsa-") || line.startsWith("ssh-"))
                .toList();
    }

    /** The same from EC2's base64 {@code UserData}; none when it is missing or not base64. */
    public static List<String> authorizedKeysFromBase64(String userData) {
        if (userData == null || userData.isBlank()) {
            return List.of();
        }
        try {
            return authorizedKeys(new String(Base64.getMimeDecoder().decode(userData), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /** A GetConsoleOutput answer whose console holds cloud-init's host key block (for SlowCloudProxy.answer). */
    public static String consoleOutputXml(String hostKeyLine) {
        String console = "[   12.0] cloud-init[800]: Cloud-init v. 24.4 finished\n"
                + "[   13.1] cloud-init[812]: -----BEGIN SSH HOST KEY KEYS-----\n"
                + "[   13.1] cloud-init[812]: " + hostKeyLine + "\n"
                + "[   13.1] cloud-init[812]: -----END SSH HOST KEY KEYS-----\n";
        return "<GetConsoleOutputResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>" + UUID.randomUUID() + "</requestId><instanceId>i-0</instanceId>"
                + "<timestamp>2026-11-24T10:00:00.000Z</timestamp><output>"
                + Base64.getEncoder().encodeToString(console.getBytes(StandardCharsets.UTF_8))
                + "</output></GetConsoleOutputResponse>";
    }
}
