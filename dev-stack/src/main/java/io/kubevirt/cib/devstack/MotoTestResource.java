package io.kubevirt.cib.devstack;

import java.util.Map;
import java.util.Optional;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * {@code @QuarkusTestResource(MotoTestResource.class)}: a {@link MotoServer} for the tests of an application
 * start; sets {@code cib.aws.endpoint-override}. Tests reach it through an {@link InjectMoto} field or
 * {@link #moto()}, and should {@link MotoServer#reset()} between tests that must not see each other's resources.
 *
 * <p>Init arg {@code slowProxy=true} puts a {@link SlowCloudProxy} in front: the endpoint override then points
 * at the proxy, and an {@code @InjectMoto SlowCloudProxy} field receives it.
 */
public class MotoTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String ENDPOINT_PROPERTY = "cib.aws.endpoint-override";
    public static final String SLOW_PROXY_ARG = "slowProxy";

    private static volatile MotoServer current;
    private static volatile SlowCloudProxy currentProxy;

    private boolean withProxy;
    private MotoServer moto;
    private SlowCloudProxy proxy;

    @Override
    public void init(Map<String, String> initArgs) {
        withProxy = Boolean.parseBoolean(initArgs.getOrDefault(SLOW_PROXY_ARG, "false"));
    }

    @Override
    public Map<String, String> start() {
        moto = MotoServer.start();
        if (withProxy) {
            proxy = SlowCloudProxy.start(moto.endpoint());
        }
        current = moto;
        currentProxy = proxy;
        return Map.of(ENDPOINT_PROPERTY, proxy != null ? proxy.endpoint() : moto.endpoint());
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(moto, new TestInjector.AnnotatedAndMatchesType(InjectMoto.class, MotoServer.class));
        if (proxy != null) {
            injector.injectIntoFields(proxy,
                    new TestInjector.AnnotatedAndMatchesType(InjectMoto.class, SlowCloudProxy.class));
        }
    }

    @Override
    public void stop() {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (moto != null) {
                moto.close();
            }
            if (current == moto) {
                current = null;
                currentProxy = null;
            }
        }
    }

    /** The running moto of the current test application. */
    public static MotoServer moto() {
        MotoServer m = current;
        if (m == null) {
            throw new IllegalStateException("No MotoTestResource is running");
        }
        return m;
    }

    /** The proxy in front of moto, when started with {@code slowProxy=true}. */
    public static Optional<SlowCloudProxy> proxy() {
        return Optional.ofNullable(currentProxy);
    }
}
