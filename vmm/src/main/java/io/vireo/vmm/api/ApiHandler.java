package io.vireo.vmm.api;

import io.vireo.vmm.machine.DeviceControl;
import io.vireo.vmm.machine.DeviceControlException;
import io.vireo.vmm.machine.DiskConfig;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Pattern;

/**
 * Routes {@code /api/v1/ENDPOINT} to the machine. Reads (GET) are answered on the Jetty thread that parsed them: they
 * take microseconds. Actions (PUT) read their body asynchronously (a client that trickles its body holds no thread),
 * then run one at a time on the control executor, so a pause or a device removal that waits on the guest cannot hold
 * more than one thread, and reads go on meanwhile.
 */
final class ApiHandler extends Handler.Abstract {
    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());
    /** Device ids: what a stats source name takes, short enough for a table. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    static final long DEFAULT_REMOVE_TIMEOUT_MS = 10_000;
    static final long MAX_REMOVE_TIMEOUT_MS = 20_000;
    private static final String VERSION = version();

    private final ApiTarget target;
    private final Executor control;

    ApiHandler(ApiTarget target, Executor control) {
        this.target = target;
        this.control = control;
    }

    /** A status and a JSON value (null: no body, 204). */
    private record Reply(int status, Object body) {
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!path.startsWith(Endpoint.PREFIX)) {
            send(response, callback, new Reply(404, error("there is no endpoint " + path
                + " (the API is under " + Endpoint.PREFIX + ")")));
            return true;
        }
        String name = path.substring(Endpoint.PREFIX.length());
        Endpoint e = Endpoint.of(name);
        if (e == null) {
            send(response, callback, new Reply(404, error("unknown endpoint " + name)));
            return true;
        }
        if (!e.accepts(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, e.method);
            send(response, callback, new Reply(405, error(e.path + " takes " + e.method + ", not "
                + request.getMethod())));
            return true;
        }
        if (e.method.equals("GET")) {
            send(response, callback, run(e, null));
        } else if (e.body) {
            Content.Source.asByteBuffer(request, new Promise<>() {
                @Override
                public void succeeded(ByteBuffer body) {
                    byte[] bytes = new byte[body.remaining()];
                    body.get(bytes);
                    dispatch(e, bytes, request, response, callback);
                }

                @Override
                public void failed(Throwable x) {
                    Response.writeError(request, response, callback, x);
                }
            });
        } else {
            dispatch(e, null, request, response, callback);
        }
        return true;
    }

    /** Runs an action on the control executor; a full queue is 503 at once. */
    private void dispatch(Endpoint e, byte[] body, Request request, Response response, Callback callback) {
        try {
            control.execute(() -> {
                Reply r = run(e, body);
                if (e == Endpoint.SHUTDOWN && r.status() == 204) {
                    // Answer first, then stop: the client hears 204 before the VMM goes away.
                    send(response, Callback.from(callback, target::shutdown), r);
                } else {
                    send(response, callback, r);
                }
            });
        } catch (RejectedExecutionException full) {
            send(response, callback, new Reply(503, error("too many control requests are waiting; retry later")));
        }
    }

    private Reply run(Endpoint e, byte[] body) {
        try {
            return switch (e) {
                case PING -> new Reply(200, ping());
                case INFO -> new Reply(200, info());
                case COUNTERS -> new Reply(200, target.counters());
                case PAUSE -> {
                    target.control().pause();
                    yield new Reply(204, null);
                }
                case RESUME -> {
                    target.control().resume();
                    yield new Reply(204, null);
                }
                case SHUTDOWN -> new Reply(204, null);
                case ADD_DISK -> new Reply(200, addDisk(ApiJson.object(need(e, body))));
                case ADD_NET, ADD_FS -> new Reply(501, error(e.path + " is not available in this build (Vireo has no "
                    + (e == Endpoint.ADD_NET ? "virtio-net" : "virtio-fs") + " device yet)"));
                case REMOVE_DEVICE -> {
                    removeDevice(ApiJson.object(need(e, body)));
                    yield new Reply(204, null);
                }
            };
        } catch (ApiException x) {
            return new Reply(x.status(), error(x.getMessage()));
        } catch (DeviceControlException x) {
            ApiException a = ApiException.of(x);
            return new Reply(a.status(), error(a.getMessage()));
        } catch (RuntimeException x) {
            LOG.log(Level.ERROR, "api: " + e.path + " failed", x);
            return new Reply(500, error(e.path + " failed: " + String.valueOf(x.getMessage()).lines().findFirst()
                .orElse(x.getClass().getSimpleName())));
        }
    }

    private static byte[] need(Endpoint e, byte[] body) throws ApiException {
        if (body == null || new String(body, StandardCharsets.ISO_8859_1).isBlank()) {
            throw ApiException.badRequest(e.path + " needs a JSON object in the body");
        }
        return body;
    }

    private static Map<String, Object> ping() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("pid", ProcessHandle.current().pid());
        m.put("api", "v1");
        return m;
    }

    private Map<String, Object> info() {
        DeviceControl c = target.control();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", c.state());
        m.putAll(target.config());
        List<Map<String, Object>> devices = new ArrayList<>();
        for (DeviceControl.DeviceInfo d : c.devices()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("id", d.id());
            dm.put("type", d.type());
            dm.put("bdf", d.bdf());
            dm.put("options", new LinkedHashMap<>(d.options()));
            devices.add(dm);
        }
        m.put("devices", devices);
        return m;
    }

    /** {@code {"path": "...", "id": "...", "readonly": true, "serial": "..."}}: path required, the rest optional. */
    private Map<String, Object> addDisk(Map<String, Object> body) throws ApiException, DeviceControlException {
        fieldsIn(Endpoint.ADD_DISK, body, Set.of("path", "id", "readonly", "serial"));
        String path = string(body, "path", true);
        String id = id(body, false);
        boolean readOnly = Boolean.TRUE.equals(bool(body, "readonly"));
        String serial = string(body, "serial", false);
        if (serial != null && serial.getBytes(StandardCharsets.UTF_8).length > 20) {
            throw ApiException.badRequest("serial is longer than 20 bytes (virtio 1.2 section 5.2.6)");
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw ApiException.badRequest("path " + path + " is not absolute (the VMM does not share your working"
                + " directory)");
        }
        if (!Files.exists(p)) {
            throw ApiException.badRequest("path " + path + " does not exist");
        }
        if (Files.isDirectory(p)) {
            throw ApiException.badRequest("path " + path + " is a directory, not a disk image");
        }
        DeviceControl.Added added = target.control().addDisk(id, DiskConfig.of(p, readOnly, serial));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", added.id());
        m.put("bdf", added.bdf());
        return m;
    }

    /** {@code {"id": "...", "timeout_ms": N}}: how long to wait for the guest to eject (default 10 s). */
    private void removeDevice(Map<String, Object> body) throws ApiException, DeviceControlException {
        fieldsIn(Endpoint.REMOVE_DEVICE, body, Set.of("id", "timeout_ms"));
        String id = id(body, true);
        long timeoutMs = DEFAULT_REMOVE_TIMEOUT_MS;
        Object t = body.get("timeout_ms");
        if (t != null) {
            if (!(t instanceof Number n) || n.longValue() < 1 || n.longValue() > MAX_REMOVE_TIMEOUT_MS
                || n.doubleValue() != n.longValue()) {
                throw ApiException.badRequest("timeout_ms must be a whole number from 1 to " + MAX_REMOVE_TIMEOUT_MS);
            }
            timeoutMs = n.longValue();
        }
        target.control().removeDevice(id, timeoutMs);
    }

    private static void fieldsIn(Endpoint e, Map<String, Object> body, Set<String> known) throws ApiException {
        for (String k : body.keySet()) {
            if (!known.contains(k)) {
                throw ApiException.badRequest("unknown field '" + k + "' (" + e.path + " takes "
                    + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String id(Map<String, Object> body, boolean required) throws ApiException {
        String id = string(body, "id", required);
        if (id != null && !ID.matcher(id).matches()) {
            throw ApiException.badRequest("id must be 1 to 32 letters, digits, '_', '-' or '.'");
        }
        return id;
    }

    private static String string(Map<String, Object> body, String key, boolean required) throws ApiException {
        Object v = body.get(key);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest("field '" + key + "' is missing");
            }
            return null;
        }
        if (!(v instanceof String s) || s.isEmpty()) {
            throw ApiException.badRequest("field '" + key + "' must be a non-empty string");
        }
        return s;
    }

    private static Boolean bool(Map<String, Object> body, String key) throws ApiException {
        Object v = body.get(key);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw ApiException.badRequest("field '" + key + "' must be true or false");
    }

    private static Map<String, Object> error(String sentence) {
        return Map.of("error", sentence);
    }

    private static void send(Response response, Callback callback, Reply r) {
        response.setStatus(r.status());
        if (r.body() == null) {
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
            return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] bytes = ApiJson.write(r.body()).getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private static String version() {
        Properties p = new Properties();
        try (InputStream in = ApiHandler.class.getResourceAsStream("/io/vireo/vmm/cli/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }
}
