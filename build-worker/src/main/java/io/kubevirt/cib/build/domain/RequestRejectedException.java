package io.kubevirt.cib.build.domain;

/** A valid event this worker still cannot act on (e.g. a cloud it is not configured for): no retry will help. */
public class RequestRejectedException extends Exception {

    public RequestRejectedException(String message) {
        super(message);
    }
}
