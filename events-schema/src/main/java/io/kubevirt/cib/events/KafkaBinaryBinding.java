package io.kubevirt.cib.events;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CloudEvents Kafka protocol binding, binary content mode: attributes travel as {@code ce_*} headers and the
 * data is the record value. Kept free of Kafka types (headers as a map of UTF-8 strings) so the vocabulary module
 * depends on nothing but Jackson.
 */
public final class KafkaBinaryBinding {

    public static final String ID = "ce_id";
    public static final String SOURCE = "ce_source";
    public static final String SPEC_VERSION = "ce_specversion";
    public static final String TYPE = "ce_type";
    public static final String TIME = "ce_time";
    public static final String SUBJECT = "ce_subject";
    public static final String DATA_SCHEMA = "ce_dataschema";
    /** In binary mode {@code datacontenttype} maps to the plain {@code content-type} header. */
    public static final String CONTENT_TYPE = "content-type";

    private KafkaBinaryBinding() {
    }

    public static Map<String, String> toHeaders(CloudEventAttributes attributes) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(SPEC_VERSION, CloudEventAttributes.SPEC_VERSION);
        headers.put(ID, attributes.id());
        headers.put(SOURCE, attributes.source().toString());
        headers.put(TYPE, attributes.type());
        if (attributes.time() != null) {
            headers.put(TIME, attributes.time().toString());
        }
        if (attributes.subject() != null) {
            headers.put(SUBJECT, attributes.subject());
        }
        if (attributes.dataschema() != null) {
            headers.put(DATA_SCHEMA, attributes.dataschema().toString());
        }
        headers.put(CONTENT_TYPE, CloudEventAttributes.CONTENT_TYPE);
        return headers;
    }

    public static CloudEventAttributes fromHeaders(Map<String, String> headers) throws InvalidEventException {
        String specVersion = headers.get(SPEC_VERSION);
        if (!CloudEventAttributes.SPEC_VERSION.equals(specVersion)) {
            throw new InvalidEventException(InvalidEventException.Reason.NOT_A_CLOUDEVENT,
                    specVersion == null ? "header ce_specversion is missing"
                            : "ce_specversion must be 1.0, was " + abbreviate(specVersion));
        }
        String contentType = headers.get(CONTENT_TYPE);
        if (contentType != null && !contentType.startsWith(CloudEventAttributes.CONTENT_TYPE)) {
            throw new InvalidEventException(InvalidEventException.Reason.NOT_A_CLOUDEVENT,
                    "content-type must be application/json, was " + abbreviate(contentType));
        }
        return new CloudEventAttributes(
                required(headers, ID),
                uri(headers, SOURCE, required(headers, SOURCE)),
                required(headers, TYPE),
                time(headers.get(TIME)),
                headers.get(SUBJECT),
                headers.get(DATA_SCHEMA) == null ? null : uri(headers, DATA_SCHEMA, headers.get(DATA_SCHEMA)));
    }

    private static String required(Map<String, String> headers, String name) throws InvalidEventException {
        String value = headers.get(name);
        if (value == null || value.isBlank()) {
            throw new InvalidEventException(InvalidEventException.Reason.NOT_A_CLOUDEVENT,
                    "header " + name + " is missing");
        }
        return value;
    }

    private static URI uri(Map<String, String> headers, String name, String value) throws InvalidEventException {
        try {
            return URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidEventException(InvalidEventException.Reason.NOT_A_CLOUDEVENT,
                    "header " + name + " is not a URI reference");
        }
    }

    private static OffsetDateTime time(String value) throws InvalidEventException {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value);
        } catch (DateTimeParseException e) {
            throw new InvalidEventException(InvalidEventException.Reason.NOT_A_CLOUDEVENT,
                    "header ce_time is not an RFC 3339 timestamp");
        }
    }

    static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }
}
