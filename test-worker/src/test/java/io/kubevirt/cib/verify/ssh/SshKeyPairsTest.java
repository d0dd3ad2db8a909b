package io.kubevirt.cib.verify.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubevirt.cib.verify.domain.SshIdentity;
import io.kubevirt.cib.verify.testing.SecretScan;
import java.security.PublicKey;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.Test;

class SshKeyPairsTest {

    @Test
    void makesAnEcdsaP256PairWithAnOpenSshLineThatMinaReads() throws Exception {
        SshIdentity identity = SshKeyPairs.generate("cib-verify-build 42\n");

        assertThat(identity.publicKeyLine()).matches("ecdsa-sha2-nistp256 AAAA[A-Za-z0-9+/=]+ cib-verify-build_42_");
        PublicKey parsed = AuthorizedKeyEntry.parseAuthorizedKeyEntry(identity.publicKeyLine())
                .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        assertThat(KeyUtils.compareKeys(parsed, identity.keyPair().getPublic())).isTrue();
    }

    @Test
    void everyCallMakesANewPair() {
        assertThat(SshKeyPairs.generate().publicKeyLine()).isNotEqualTo(SshKeyPairs.generate().publicKeyLine());
    }

    @Test
    void toStringShowsOnlyThePublicHalf() {
        SshIdentity identity = SshKeyPairs.generate();

        assertThat(identity.toString()).contains(identity.publicKeyLine());
        assertThat(SecretScan.findIn(identity.toString() + identity.publicKeyLine(), identity.keyPair())).isNull();
    }
}
