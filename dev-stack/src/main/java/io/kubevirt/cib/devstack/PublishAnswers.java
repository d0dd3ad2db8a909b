package io.kubevirt.cib.devstack;

/**
 * The EC2 calls of publishing that moto 5.2.1 does not implement (it answers HTTP 500), answered by a
 * {@link SlowCloudProxy} as an account without image block public access would: the publish-worker's preflight
 * (GetImageBlockPublicAccessState) and deprecation (EnableImageDeprecation). One place for tests and the local run.
 */
public final class PublishAnswers {

    private static final String NS = "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"";

    private PublishAnswers() {
    }

    /** Makes {@code proxy} answer those calls; returns it. */
    public static SlowCloudProxy answerWhatMotoLacks(SlowCloudProxy proxy) {
        proxy.answer("GetImageBlockPublicAccessState", "<GetImageBlockPublicAccessStateResponse " + NS
                + "><requestId>cib</requestId><imageBlockPublicAccessState>unblocked</imageBlockPublicAccessState>"
                + "</GetImageBlockPublicAccessStateResponse>");
        proxy.answer("EnableImageDeprecation", "<EnableImageDeprecationResponse " + NS
                + "><requestId>cib</requestId><return>true</return></EnableImageDeprecationResponse>");
        return proxy;
    }
}
