package io.kubevirt.cib.devstack;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * {@code @QuarkusTestResource(KafkaBrokerTestResource.class)}: one in-process {@link KafkaBroker} per test JVM,
 * shared by every test class and closed at JVM exit; sets {@code kafka.bootstrap.servers}.
 *
 * <p>Optional init args: {@code topics} (comma-separated, created before the app starts) and {@code partitions}
 * (default 3).
 */
public class KafkaBrokerTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String TOPICS_ARG = "topics";
    public static final String PARTITIONS_ARG = "partitions";
    public static final String BOOTSTRAP_PROPERTY = "kafka.bootstrap.servers";

    private List<String> topics = List.of();
    private int partitions = 3;

    @Override
    public void init(Map<String, String> initArgs) {
        String t = initArgs.get(TOPICS_ARG);
        if (t != null && !t.isBlank()) {
            topics = Arrays.stream(t.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
        String p = initArgs.get(PARTITIONS_ARG);
        if (p != null && !p.isBlank()) {
            partitions = Integer.parseInt(p.strip());
        }
    }

    @Override
    public Map<String, String> start() {
        String bootstrap = bootstrapServers();
        if (!topics.isEmpty()) {
            createTopics(topics, partitions);
        }
        return Map.of(BOOTSTRAP_PROPERTY, bootstrap);
    }

    @Override
    public void stop() {
        // Shared by all test classes (Quarkus restarts the app between some of them): a shutdown hook closes it.
    }

    /** Bootstrap servers of the JVM-wide broker, starting it on first use. */
    public static String bootstrapServers() {
        return (String) call(sharedBroker(), "bootstrapServers", new Class<?>[0]);
    }

    /** Creates topics on the JVM-wide broker (idempotent). */
    public static void createTopics(Collection<String> names, int partitions) {
        call(sharedBroker(), "createTopics", new Class<?>[] {Collection.class, int.class}, List.copyOf(names),
                partitions);
    }

    /**
     * The broker lives in the JVM's system class loader, not in the class loader Quarkus gives this resource:
     * Quarkus creates (and closes) a class loader per application start, and broker threads must outlive those
     * while "one broker per JVM" must hold across them. Falls back to our own loader when the system one cannot
     * see dev-stack (unusual Surefire settings).
     */
    private static Object sharedBroker() {
        Class<?> type;
        try {
            type = Class.forName(KafkaBroker.class.getName(), true, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            type = KafkaBroker.class;
        }
        return call(type, null, "shared", new Class<?>[0]);
    }

    private static Object call(Object target, String method, Class<?>[] types, Object... args) {
        return call(target.getClass(), target, method, types, args);
    }

    private static Object call(Class<?> type, Object target, String method, Class<?>[] types, Object... args) {
        try {
            Method m = type.getMethod(method, types);
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot call KafkaBroker." + method, e);
        }
    }
}
