package io.kubevirt.cib.common.redact;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RedactorTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.payload",
        "token=ya29.a0AfH6SMBxExampleExampleExample",
        "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n\"}",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "GET /?Action=DescribeImages&X-Amz-Signature=0123456789abcdef0123456789abcdef",
        "password: hunter22",
    })
    void secretShapesAreMasked(String text) {
        String redacted = Redactor.redact(text);

        assertThat(redacted).contains(Redactor.MASK);
        assertThat(redacted).doesNotContain("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
                "ya29.a0AfH6SMB", "MIIEvQ", "b3BlbnNzaC1rZXktdjEAAAAA", "0123456789abcdef0123456789abcdef", "hunter22");
    }

    @Test
    void ordinaryToolOutputIsLeftAlone() {
        String line = "amazon-ebs.aws: Creating AMI kubevirt-v1.8.2-pr-1 from instance i-0123456789abcdef0";

        assertThat(Redactor.redact(line)).isEqualTo(line);
    }

    @Test
    void knownSecretValuesAreMaskedWhateverTheirShape() {
        assertThat(Redactor.redact("connecting with s3cr3t-value now", List.of("s3cr3t-value")))
                .isEqualTo("connecting with [REDACTED] now");
    }
}
