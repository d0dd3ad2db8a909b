package io.kubevirt.cib.common.cloud;

import java.util.ArrayList;
import java.util.List;

/** Parsing of host keys as clouds report them; shared by the adapters so each cloud's quirks live in one place. */
public final class HostKeys {

    static final String BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
    static final String END = "-----END SSH HOST KEY KEYS-----";

    private HostKeys() {
    }

    /**
     * The keys cloud-init prints to the serial console at first boot, between the BEGIN/END SSH HOST KEY KEYS lines
     * (lines may carry a console timestamp prefix). The last complete block wins: a reboot prints it again.
     */
    public static List<String> fromCloudInitConsole(String console) {
        List<String> keys = new ArrayList<>();
        List<String> block = null;
        for (String raw : console.split("\\r?\\n")) {
            String line = raw.strip();
            if (line.endsWith(BEGIN)) {
                block = new ArrayList<>();
            } else if (line.endsWith(END) && block != null) {
                keys = block;
                block = null;
            } else if (block != null) {
                int start = line.indexOf("ssh-");
                int ecdsa = line.indexOf("ecdsa-");
                if (ecdsa >= 0 && (start < 0 || ecdsa < start)) {
                    start = ecdsa;
                }
                if (start >= 0) {
                    block.add(line.substring(start));
                }
            }
        }
        return List.copyOf(keys);
    }
}
