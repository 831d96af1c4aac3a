package io.vireo.vmm.api;

import java.util.Locale;

/**
 * The API's endpoints under {@code /api/v1/}, as Cloud Hypervisor names them: reads are GET, actions PUT (a body only
 * where it says so); a successful action without a result is 204, a hot add 200 with {@code {"id", "bdf"}}.
 */
enum Endpoint {
    PING("vmm.ping", "GET", false),
    INFO("vm.info", "GET", false),
    COUNTERS("vm.counters", "GET", false),
    PAUSE("vm.pause", "PUT", false),
    RESUME("vm.resume", "PUT", false),
    SHUTDOWN("vm.shutdown", "PUT", false),
    ADD_DISK("vm.add-disk", "PUT", true),
    ADD_NET("vm.add-net", "PUT", true),
    ADD_FS("vm.add-fs", "PUT", true),
    REMOVE_DEVICE("vm.remove-device", "PUT", true);

    static final String PREFIX = "/api/v1/";

    final String path;
    final String method;
    final boolean body;

    Endpoint(String path, String method, boolean body) {
        this.path = path;
        this.method = method;
        this.body = body;
    }

    /** The endpoint at {@code name} (the part after /api/v1/), or null. */
    static Endpoint of(String name) {
        for (Endpoint e : values()) {
            if (e.path.equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Whether the request's method is this endpoint's. */
    boolean accepts(String requestMethod) {
        return method.equals(requestMethod.toUpperCase(Locale.ROOT));
    }
}
