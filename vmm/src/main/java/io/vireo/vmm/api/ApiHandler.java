package io.vireo.vmm.api;

import io.vireo.vmm.machine.DeviceControl;
import io.vireo.vmm.machine.DeviceControlException;
import io.vireo.vmm.machine.DiskConfig;
import io.vireo.vmm.machine.NetConfig;
import io.vireo.vmm.machine.VhostUserConfig;

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
import java.nio.file.InvalidPathException;
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
    /** Tap names: what the kernel takes (IFNAMSIZ - 1), as {@code --net tap=NAME}. */
    private static final Pattern TAP = Pattern.compile("[A-Za-z0-9_.+-]{1,15}");
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
                case ADD_NET -> new Reply(200, added(addNet(ApiJson.object(need(e, body)))));
                case ADD_FS -> new Reply(200, added(addFs(ApiJson.object(need(e, body)))));
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
        Path p = existingAbsolute("path", path, "");
        if (Files.isDirectory(p)) {
            throw ApiException.badRequest("path " + path + " is a directory, not a disk image");
        }
        return added(target.control().addDisk(id, DiskConfig.of(p, readOnly, serial)));
    }

    private static Map<String, Object> added(DeviceControl.Added added) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", added.id());
        m.put("bdf", added.bdf());
        return m;
    }

    /**
     * {@code {"tap": "NAME"} or {"loopback": true}}, then optional {@code "id"}, {@code "mac": "52:54:00:12:34:56"},
     * {@code "queues": N} (queue pairs), {@code "mtu": N}: as {@code --net}.
     */
    private DeviceControl.Added addNet(Map<String, Object> body) throws ApiException, DeviceControlException {
        fieldsIn(Endpoint.ADD_NET, body, Set.of("id", "tap", "loopback", "mac", "queues", "mtu"));
        String id = id(body, false);
        String tap = string(body, "tap", false);
        boolean loopback = Boolean.TRUE.equals(bool(body, "loopback"));
        if ((tap != null) == loopback) {
            throw ApiException.badRequest("give exactly one back end: \"tap\": \"NAME\" or \"loopback\": true");
        }
        if (tap != null && (!TAP.matcher(tap).matches() || tap.equals(".") || tap.equals(".."))) {
            throw ApiException.badRequest("tap must be 1 to 15 letters, digits, '_', '.', '+' or '-'");
        }
        String macText = string(body, "mac", false);
        byte[] mac = null;
        if (macText != null) {
            try {
                mac = NetConfig.parseMac(macText);
            } catch (IllegalArgumentException x) {
                throw ApiException.badRequest(x.getMessage());
            }
        }
        int pairs = whole(body, "queues", 1, NetConfig.MAX_PAIRS, 1);
        int mtu = whole(body, "mtu", 68, 65535, 0);
        return target.control().addNet(id, new NetConfig(tap != null ? NetConfig.Backend.TAP
            : NetConfig.Backend.LOOPBACK, tap, mac, pairs, mtu, NetConfig.DEFAULT_POLL_NS));
    }

    /**
     * {@code {"tag": "TAG", "socket": "/abs/path"}}, then optional {@code "id"}, {@code "queues": N} (request queues)
     * and {@code "queue_size": N}: as {@code --fs}.
     */
    private DeviceControl.Added addFs(Map<String, Object> body) throws ApiException, DeviceControlException {
        fieldsIn(Endpoint.ADD_FS, body, Set.of("id", "tag", "socket", "queues", "queue_size"));
        String id = id(body, false);
        String tag = string(body, "tag", true);
        if (tag.getBytes(StandardCharsets.UTF_8).length > VhostUserConfig.MAX_TAG_BYTES) {
            throw ApiException.badRequest("tag is longer than " + VhostUserConfig.MAX_TAG_BYTES
                + " bytes (virtio 1.2 section 5.11.4)");
        }
        String socket = string(body, "socket", true);
        Path p = existingAbsolute("socket", socket, " (is the back end running?)");
        if (Files.isDirectory(p) || Files.isRegularFile(p)) {
            throw ApiException.badRequest("socket " + socket + " is not a socket");
        }
        int queues = whole(body, "queues", 1, VhostUserConfig.MAX_QUEUES, 1);
        int size = whole(body, "queue_size", 1, 32768, VhostUserConfig.DEFAULT_FS_QUEUE_SIZE);
        if ((size & (size - 1)) != 0) {
            throw ApiException.badRequest("queue_size must be a power of two up to 32768");
        }
        return target.control().addFs(id, new VhostUserConfig(VhostUserConfig.Kind.FS, p, queues, size, tag));
    }

    /**
     * {@code value} (field {@code field}) as a path that is absolute and exists; {@code missingHint} follows "does not
     * exist" in the error.
     */
    private static Path existingAbsolute(String field, String value, String missingHint) throws ApiException {
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw ApiException.badRequest(field + " is not a path: " + e.getReason());
        }
        if (!p.isAbsolute()) {
            throw ApiException.badRequest(field + " " + value + " is not absolute (the VMM does not share your"
                + " working directory)");
        }
        if (!Files.exists(p)) {
            throw ApiException.badRequest(field + " " + value + " does not exist" + missingHint);
        }
        return p;
    }

    /** An optional whole-number field from {@code min} to {@code max}; {@code absent} when not given. */
    private static int whole(Map<String, Object> body, String key, int min, int max, int absent)
        throws ApiException {
        Object v = body.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min
            || n.longValue() > max) {
            throw ApiException.badRequest("field '" + key + "' must be a whole number from " + min + " to " + max);
        }
        return n.intValue();
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
