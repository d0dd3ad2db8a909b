package io.kubevirt.cib.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

public enum Cloud {
    AWS("aws"),
    GCP("gcp");

    private final String wireName;

    Cloud(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static Cloud fromWireName(String name) {
        for (Cloud c : values()) {
            if (c.wireName.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown cloud: " + name);
    }
}
