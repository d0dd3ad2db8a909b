package io.kubevirt.cib.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class ExternalVersionsTest {

    @Test
    void kafkaPinEqualsPomBrokerAndClients() throws IOException {
        Properties pom = pomVersions();
        assertThat(ExternalVersions.KAFKA)
                .isEqualTo(pom.getProperty("kafka.version"))
                .isEqualTo(ExternalVersions.kafkaClientsVersion());
        assertThat(ExternalVersions.kafkaBrokerVersion()).contains(ExternalVersions.KAFKA);
    }

    @Test
    void quarkusPinEqualsPom() throws IOException {
        assertThat(ExternalVersions.QUARKUS_PLATFORM).isEqualTo(pomVersions().getProperty("quarkus.version"));
    }

    @Test
    void installedMotoIsThePinnedOne() {
        assertThat(ExternalVersions.installedMotoVersion(MotoServer.python())).contains(ExternalVersions.MOTO);
    }

    @Test
    void installedPackerIsRecentEnough() {
        Optional<String> packer = ExternalVersions.installedPackerVersion();
        assumeTrue(packer.isPresent(), "packer is not installed");
        assertThat(ExternalVersions.compare(packer.get(), ExternalVersions.PACKER_MIN)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void compareIsNumeric() {
        assertThat(ExternalVersions.compare("1.10.0", "1.6.6")).isPositive();
        assertThat(ExternalVersions.compare("1.6.6", "1.6.6")).isZero();
        assertThat(ExternalVersions.compare("1.6", "1.6.0")).isZero();
        assertThat(ExternalVersions.compare("1.5.9", "1.6.6")).isNegative();
    }

    private static Properties pomVersions() throws IOException {
        Properties p = new Properties();
        try (InputStream in = ExternalVersionsTest.class.getResourceAsStream("/pom-versions.properties")) {
            p.load(in);
        }
        return p;
    }
}
