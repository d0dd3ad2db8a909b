package io.kubevirt.cib.devstack;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a test field of type {@link MotoServer} (or {@link SlowCloudProxy} when the resource runs with
 * {@code slowProxy=true}): {@link MotoTestResource} injects the running instance.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectMoto {
}
