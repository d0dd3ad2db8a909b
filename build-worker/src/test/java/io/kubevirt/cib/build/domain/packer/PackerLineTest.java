package io.kubevirt.cib.build.domain.packer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PackerLineTest {

    @Test
    void parsesGlobalUiLineAndUnescapesCommas() {
        PackerLine line = PackerLine.parse(
                "1795548378,,ui,say,==> amazon-ebs.aws-emulated: No volumes to clean up%!(PACKER_COMMA) skipping")
                .orElseThrow();

        assertThat(line.timestamp()).isEqualTo(1795548378L);
        assertThat(line.target()).isEmpty();
        assertThat(line.type()).isEqualTo("ui");
        assertThat(line.data()).containsExactly("say", "==> amazon-ebs.aws-emulated: No volumes to clean up, skipping");
        assertThat(line.isUi("say")).isTrue();
        assertThat(line.isUi("error")).isFalse();
    }

    @Test
    void keepsEscapedCommasInsideOneField() {
        // Real multi-region artifact line from Packer 1.6.6 against moto.
        PackerLine line = PackerLine.parse("1795548378,amazon-ebs.aws-emulated,artifact,0,id,"
                + "eu-west-1:ami-f53832f07493ec85d%!(PACKER_COMMA)us-east-1:ami-2c6ecf492c7db3448"
                + "%!(PACKER_COMMA)us-west-2:ami-71c4bf75fa756010d").orElseThrow();

        assertThat(line.target()).isEqualTo("amazon-ebs.aws-emulated");
        assertThat(line.type()).isEqualTo("artifact");
        assertThat(line.data()).containsExactly("0", "id",
                "eu-west-1:ami-f53832f07493ec85d,us-east-1:ami-2c6ecf492c7db3448,us-west-2:ami-71c4bf75fa756010d");
    }

    @Test
    void unescapesNewlinesAndCarriageReturns() {
        PackerLine line = PackerLine.parse(
                "1795548378,amazon-ebs.aws,artifact,0,string,AMIs were created:\\nus-east-1: ami-1\\n\\r").orElseThrow();

        assertThat(line.datum(2)).contains("AMIs were created:\nus-east-1: ami-1\n\r");
    }

    @Test
    void keepsEmptyFieldsAndLinesWithoutData() {
        assertThat(PackerLine.parse("1,,ui,say,").orElseThrow().data()).containsExactly("say", "");
        PackerLine count = PackerLine.parse("1795548380,,error-count,1").orElseThrow();
        assertThat(count.type()).isEqualTo("error-count");
        assertThat(count.datum(0)).contains("1");
        assertThat(count.datum(1)).isEmpty();
        assertThat(PackerLine.parse("1,x,version").orElseThrow().data()).isEmpty();
    }

    @Test
    void toleratesCrLf() {
        assertThat(PackerLine.parse("1795548378,amazon-ebs.aws,artifact,0,end\r").orElseThrow().data())
                .containsExactly("0", "end");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "   ",
        "==> amazon-ebs.aws: Waiting for SSH to become available...",
        "Error: Failed to prepare build: \"amazon-ebs.aws\"",
        "2026/11/24 19:19:38 [INFO] Packer version: 1.6.6",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "# HAND-WRITTEN sample, not captured",
        "1795548378",
        "1795548378,",
        "1795548378,target",
        "abc,,ui,say,hello",
        "1795548378,,UI,say,hello",
        "1795548378,,,say,hello",
    })
    void rejectsLinesThatAreNotMachineReadable(String raw) {
        assertThat(PackerLine.parse(raw)).isEmpty();
    }

    @Test
    void dataIsImmutable() {
        PackerLine line = new PackerLine(1, "", "ui", new ArrayList<>(List.of("say", "x")));
        assertThat(line.data()).isUnmodifiable();
        assertThat(PackerLine.parse("1,,ui,say,x").orElseThrow().data()).isUnmodifiable();
        assertThat(line.datum(5)).isEmpty();
        assertThat(line.datum(-1)).isEmpty();
    }
}
