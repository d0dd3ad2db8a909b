package io.kubevirt.cib.common.messaging;

import io.smallrye.reactive.messaging.ClientCustomizer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.config.Config;

/**
 * Gives every consumer of a worker a stable {@code group.instance.id} (instance id + client id, so the copies a
 * channel's {@code concurrency} makes stay distinct) when {@code cib.messaging.instance-id} is set. A worker killed
 * and restarted under the same id gets its partitions back at once, with no rebalance and no wait for its old
 * session to expire.
 */
@ApplicationScoped
public class StaticMembership implements ClientCustomizer<Map<String, Object>> {

    private final MessagingSettings settings;

    @Inject
    public StaticMembership(MessagingSettings settings) {
        this.settings = settings;
    }

    @Override
    public Map<String, Object> customize(String channel, Config channelConfig, Map<String, Object> config) {
        if (settings.instanceId().isEmpty() || !config.containsKey(ConsumerConfig.GROUP_ID_CONFIG)) {
            return config;
        }
        Map<String, Object> customized = new HashMap<>(config);
        // Channel copies are named like build-requested$1; Kafka allows only [A-Za-z0-9._-] in instance ids.
        String id = settings.instanceId().get() + "-" + config.get(ConsumerConfig.CLIENT_ID_CONFIG);
        customized.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id.replaceAll("[^A-Za-z0-9._-]", "-"));
        return customized;
    }
}
