package io.kubevirt.cib.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubevirt.cib.common.cloud.ResourceTags;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GceLabelsTest {

    @Test
    void labelSafeValuesAreStoredAsTheyAre() {
        for (String value : new String[] {"", "b-42", "verify", "1767225600", "req_id", "a_b_c", "x_", "_y",
            ResourceTags.idValue("4B1D9C2E-7F1A-4E55-9A0B-0C1D2E3F4A5B")}) {
            assertThat(GceLabels.encodeValue(value)).isEqualTo(value);
        }
    }

    @Test
    void otherValuesAreEncodedIntoLabelSafeFormAndBack() {
        assertThat(GceLabels.encodeValue("v1.8.2")).isEqualTo("v1_2e8_2e2");
        assertThat(GceLabels.encodeValue("1.33.1+k3s")).isEqualTo("1_2e33_2e1_2bk3s");
        assertThat(GceLabels.encodeValue("Ab")).isEqualTo("_41b");
        // An underscore that would read as an escape is escaped itself.
        assertThat(GceLabels.encodeValue("x_2e")).isEqualTo("x_5f2e");
        assertThat(GceLabels.decodeValue("x_5f2e")).isEqualTo("x_2e");
        assertThat(GceLabels.decodeValue("v1_2e8_2e2")).isEqualTo("v1.8.2");
    }

    @Test
    void everyStringSurvivesTheRoundTripAndEncodesLabelSafe() {
        Random random = new Random(42);
        String alphabet = "abcdef0123456789_-.+/:ABCZé€ xyz";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(12);
            for (int j = 0; j < length; j++) {
                value.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String encoded = GceLabels.encodeValue(value.toString());
            assertThat(encoded).matches(GceLabels.VALUE);
            assertThat(GceLabels.decodeValue(encoded)).isEqualTo(value.toString());
        }
    }

    @Test
    void keysMustBeValidAndValuesFit() {
        assertThatThrownBy(() -> GceLabels.toLabels(Map.of("Cib-Build", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GceLabels.toLabels(Map.of("1cib", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GceLabels.encodeValue("a".repeat(64))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GceLabels.encodeValue("v1.8.2.".repeat(7)))
                .hasMessageContaining("too long for a GCE label");
    }

    @Test
    void theFilterRequiresEveryLabel() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(ResourceTags.BUILD_ID, "b-1");
        tags.put(ResourceTags.KUBEVIRT_VERSION, "v1.8.2");

        assertThat(GceLabels.filter(tags))
                .isEqualTo("(labels.cib-build-id = \"b-1\") AND (labels.cib-kubevirt-version = \"v1_2e8_2e2\")");
        assertThat(GceLabels.filter(Map.of())).isEmpty();
        assertThat(GceLabels.fromLabels(GceLabels.toLabels(tags))).isEqualTo(tags);
    }
}
