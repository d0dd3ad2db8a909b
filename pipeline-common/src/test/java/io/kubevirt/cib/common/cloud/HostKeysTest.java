package io.kubevirt.cib.common.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostKeysTest {

    @Test
    void readsTheCloudInitBlockWithConsoleTimestamps() {
        String console = """
                [   12.3] cloud-init[812]: Cloud-init v. 24.4 running 'modules:final'
                [   13.1] cloud-init[812]: -----BEGIN SSH HOST KEY KEYS-----
                [   13.1] cloud-init[812]: ecdsa-sha2-nistp256 AAAAE2VjZHNh root@ip-10-0-0-12
                [   13.1] cloud-init[812]: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@ip-10-0-0-12
                [   13.1] cloud-init[812]: -----END SSH HOST KEY KEYS-----
                """;

        assertThat(HostKeys.fromCloudInitConsole(console)).containsExactly(
                "ecdsa-sha2-nistp256 AAAAE2VjZHNh root@ip-10-0-0-12",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 root@ip-10-0-0-12");
    }

    @Test
    void anUnfinishedBlockYieldsNothingYet() {
        assertThat(HostKeys.fromCloudInitConsole("-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 AAAA x\n")).isEmpty();
    }
}
