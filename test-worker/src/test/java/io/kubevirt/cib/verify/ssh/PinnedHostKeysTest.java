package io.kubevirt.cib.verify.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;

class PinnedHostKeysTest {

    /**
     * A real Ed25519 host key line (made with ssh-keygen). Generating one with MINA here depends on which security
     * provider earlier tests registered (MINA then cannot encode it), so the most common cloud host key type is fixed.
     */
    private static final String ED25519_LINE =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj0nd5D+Z/ni/kTJNrx76PDuMkMWPjH+QfW6J2BQdzf root@host";

    @Test
    void matchesKeyMaterialOfEveryPinnedType() throws Exception {
        PublicKey ed = new Buffer.PlainBuffer(Base64.getDecoder().decode(ED25519_LINE.split(" ")[1])).readPublicKey();
        KeyPair ec = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
        KeyPair rsa = KeyUtils.generateKeyPair("ssh-rsa", 2048);
        PinnedHostKeys pins = PinnedHostKeys.parse(List.of(ED25519_LINE,
                "  " + PublicKeyEntry.toString(ec.getPublic()), PublicKeyEntry.toString(rsa.getPublic())));

        assertThat(pins.matches(ed)).isTrue();
        assertThat(pins.matches(ec.getPublic())).isTrue();
        assertThat(pins.matches(rsa.getPublic())).isTrue();
        assertThat(pins.matches(KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256).getPublic())).isFalse();
        assertThat(pins.types()).containsExactly(KeyType.ED25519, KeyType.ECDSA256, KeyType.RSA);
    }

    @Test
    void fingerprintsAreOpenSshSha256() throws Exception {
        KeyPair ec = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);

        assertThat(PinnedHostKeys.fingerprint(ec.getPublic())).isEqualTo(KeyUtils.getFingerPrint(ec.getPublic()));
        assertThat(PinnedHostKeys.parse(List.of(PublicKeyEntry.toString(ec.getPublic()))).fingerprints())
                .containsExactly("ecdsa-sha2-nistp256 " + KeyUtils.getFingerPrint(ec.getPublic()));
    }

    @Test
    void refusesWhatCannotBePinned() throws Exception {
        KeyPair ec = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
        String blob = PublicKeyEntry.toString(ec.getPublic()).split(" ")[1];

        assertThatThrownBy(() -> PinnedHostKeys.parse(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PinnedHostKeys.parse(List.of("AAAAC3NzaC1lZDI1NTE5")))
                .hasMessageContaining("not an OpenSSH public key line");
        assertThatThrownBy(() -> PinnedHostKeys.parse(List.of("ssh-foo " + blob)))
                .hasMessageContaining("unsupported host key type ssh-foo");
        assertThatThrownBy(() -> PinnedHostKeys.parse(List.of("ssh-ed25519 " + blob)))
                .hasMessageContaining("says ssh-ed25519 but holds ecdsa-sha2-nistp256");
        assertThatThrownBy(() -> PinnedHostKeys.parse(List.of("ssh-ed25519 !!!")))
                .hasMessageContaining("cannot decode");
    }
}
