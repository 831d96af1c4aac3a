package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static io.vireo.dataplane.vhostuser.VhostUserLayout.*;

/**
 * One front end's connection: reads messages, validates each completely before it acts (header, payload size per
 * request, fd count, indices, sizes, addresses, features), and drives the vrings of a {@link PolledDevice} whose
 * queues its {@link QueueAgent}s own. A refused message gets one log line and, where the protocol has a way, a
 * failure reply (REPLY_ACK); a request whose reply is mandatory, or a broken frame, ends the session instead.
 * When the session ends for any reason, every ring is drained and stopped, and every fd and mapping released.
 *
 * <p>Threading: the session runs on one thread (the server's); it reaches the queues only through their agents'
 * command queues ({@link QueueAgent#submitAndWait}).
 */
final class VhostUserBackendSession implements AutoCloseable {
    static final int MAX_MEM_SLOTS = 32;
    static final long OFFERED_PROTOCOL_FEATURES = PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK | PROTOCOL_F_CONFIG
        | PROTOCOL_F_CONFIGURE_MEM_SLOTS;

    private final int fd;
    private final PolledDevice device;
    private final Consumer<String> log;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment header = arena.allocate(HEADER_SIZE, 8);
    private final MemorySegment payload = arena.allocate(MAX_PAYLOAD, 8);
    private final MemorySegment out = arena.allocate(HEADER_SIZE + MAX_PAYLOAD, 8);
    private final int[] fds = new int[MAX_FDS + 1];
    private final int[] stray = new int[MAX_FDS + 1];
    /** Fds of the second and later segments of one {@link #readExact}: never kept. */
    private final int[] later = new int[MAX_FDS + 1];
    /** How many fds came with the second and later segments of the last {@link #readExact} (closed there). */
    private int laterFds;
    private final Vring[] vrings;
    private VhostUserBackendMemory memory = VhostUserBackendMemory.empty();
    private long ackedFeatures;
    private long protocolFeatures;
    private long messages;
    private long refusals;

    VhostUserBackendSession(int fd, PolledDevice device, QueueAgent[] owners, Consumer<String> log) {
        this.fd = fd;
        this.device = device;
        this.log = log;
        this.vrings = new Vring[device.queueCount()];
        for (int q = 0; q < vrings.length; q++) {
            vrings[q] = new Vring(q, device, owners[q]);
        }
    }

    long messages() {
        return messages;
    }

    long refusals() {
        return refusals;
    }

    /** Serves messages until the front end goes away (or a frame cannot be read), then releases everything. */
    void run() {
        try {
            while (serveOne()) {
                messages++;
            }
        } finally {
            close();
        }
    }

    // ------------------------------------------------------------------ framing

    private boolean serveOne() {
        long n = readExact(header, HEADER_SIZE, fds);
        if (n <= 0) {
            // End of stream or a reset between messages: the front end went away (killed, closed).
            closeFds(fds);
            return false;
        }
        if (n < HEADER_SIZE) {
            closeFds(fds);
            refuse("short header: " + n + " of " + HEADER_SIZE + " bytes before the stream ended; closing");
            return false;
        }
        int request = header.get(ValueLayout.JAVA_INT_UNALIGNED, REQUEST_OFFSET);
        int flags = header.get(ValueLayout.JAVA_INT_UNALIGNED, FLAGS_OFFSET);
        int size = header.get(ValueLayout.JAVA_INT_UNALIGNED, SIZE_OFFSET);
        if ((flags & VERSION_MASK) != VERSION || (flags & FLAG_REPLY) != 0) {
            closeFds(fds);
            refuse(name(request) + ": bad flags 0x" + Integer.toHexString(flags) + " (version 1, no REPLY); closing");
            return false;
        }
        if (size < 0 || size > MAX_PAYLOAD) {
            closeFds(fds);
            refuse(name(request) + ": payload of " + Integer.toUnsignedString(size) + " bytes > " + MAX_PAYLOAD
                + "; closing");
            return false;
        }
        if (size > 0) {
            long p = readExact(payload, size, stray);
            boolean extra = closeFds(stray) > 0 || laterFds > 0;
            if (p != size || extra) {
                closeFds(fds);
                refuse(name(request) + ": " + (extra ? "fds inside the payload" : "payload cut short: " + p + " of "
                    + size + " bytes") + "; closing");
                return false;
            }
        }
        boolean needReply = (flags & FLAG_NEED_REPLY) != 0 && (protocolFeatures & PROTOCOL_F_REPLY_ACK) != 0;
        try {
            int fdCount = countFds(fds);
            if (fdCount > MAX_FDS) {
                throw new VhostUserRefusal("too many fds: more than " + MAX_FDS);
            }
            boolean replied = dispatch(request, size, fdCount);
            if (needReply && !replied) {
                sendU64(request, 0);
            }
            return true;
        } catch (VhostUserRefusal r) {
            refusals++;
            if (hasOwnReply(request)) {
                refuse(name(request) + ": " + r.getMessage() + "; closing (this request has no failure reply)");
                return false;
            }
            refuse(name(request) + ": " + r.getMessage());
            if (needReply) {
                sendU64(request, 1);
            }
            return true;
        } finally {
            closeFds(fds);
        }
    }

    private void refuse(String why) {
        log.accept("vhost-user: refused " + why);
    }

    private static boolean hasOwnReply(int request) {
        return switch (request) {
            case GET_FEATURES, GET_PROTOCOL_FEATURES, GET_VRING_BASE, GET_QUEUE_NUM, GET_CONFIG, GET_MAX_MEM_SLOTS ->
                true;
            default -> false;
        };
    }

    /**
     * Reads exactly {@code len} bytes; fds of the first segment go into {@code into}, those of later segments (a frame
     * read across several, or later frames swallowed by a payload whose size field lies) are closed and counted in
     * {@link #laterFds}. Returns bytes read or -errno.
     */
    private long readExact(MemorySegment buf, int len, int[] into) {
        long got = 0;
        laterFds = 0;
        boolean first = true;
        while (got < len) {
            int[] target = first ? into : later;
            long r = Sockets.recvmsgRaw(fd, buf.asSlice(got), len - got, target);
            if (!first) {
                // Closed after every segment: the next recvmsg overwrites the array (that leaked them, see
                // VhostUserFuzzTest#regressionAPayloadThatSwallowedLaterFramesLeakedTheirFds).
                laterFds += closeFds(later);
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                return got > 0 || r == 0 ? got : r;
            }
            got += r;
            first = false;
        }
        return got;
    }

    private static int countFds(int[] a) {
        int n = 0;
        for (int v : a) {
            if (v >= 0) {
                n++;
            }
        }
        return n;
    }

    private static int closeFds(int[] a) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] >= 0) {
                Libc.closeQuietly(a[i]);
                a[i] = -1;
                n++;
            }
        }
        return n;
    }

    /** Takes ownership of received fd {@code i}: the session will not close it. */
    private int takeFd(int i) {
        int v = fds[i];
        fds[i] = -1;
        return v;
    }

    private void sendU64(int request, long value) {
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE, value);
        send(request, U64_SIZE);
    }

    private void send(int request, int size) {
        out.set(ValueLayout.JAVA_INT_UNALIGNED, REQUEST_OFFSET, request);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, FLAGS_OFFSET, VERSION | FLAG_REPLY);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, SIZE_OFFSET, size);
        long total = HEADER_SIZE + size;
        long sent = 0;
        while (sent < total) {
            long r = Sockets.sendmsgRaw(fd, out.asSlice(sent), total - sent, new int[0]);
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                // The peer is gone: the next read ends the session.
                return;
            }
            sent += r;
        }
    }

    // ------------------------------------------------------------------ requests

    /** Handles one request; returns true when it sent its own reply. Throws {@link VhostUserRefusal}. */
    private boolean dispatch(int request, int size, int fdCount) {
        switch (request) {
            case GET_FEATURES -> {
                expect(size, 0, fdCount, 0);
                sendU64(request, device.deviceFeatures() | F_PROTOCOL_FEATURES);
                return true;
            }
            case SET_FEATURES -> {
                expect(size, U64_SIZE, fdCount, 0);
                long f = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                long offered = device.deviceFeatures() | F_PROTOCOL_FEATURES;
                if ((f & ~offered) != 0) {
                    throw new VhostUserRefusal("features not offered: 0x" + Long.toHexString(f & ~offered));
                }
                ackedFeatures = f & ~F_PROTOCOL_FEATURES;
            }
            case SET_OWNER -> expect(size, 0, fdCount, 0);
            case RESET_OWNER -> {
                expect(size, 0, fdCount, 0);
                stopAll();
                ackedFeatures = 0;
            }
            case GET_PROTOCOL_FEATURES -> {
                expect(size, 0, fdCount, 0);
                sendU64(request, OFFERED_PROTOCOL_FEATURES);
                return true;
            }
            case SET_PROTOCOL_FEATURES -> {
                expect(size, U64_SIZE, fdCount, 0);
                long f = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                if ((f & ~OFFERED_PROTOCOL_FEATURES) != 0) {
                    throw new VhostUserRefusal("protocol features not offered: 0x"
                        + Long.toHexString(f & ~OFFERED_PROTOCOL_FEATURES));
                }
                protocolFeatures = f;
            }
            case GET_QUEUE_NUM -> {
                expect(size, 0, fdCount, 0);
                sendU64(request, vrings.length);
                return true;
            }
            case GET_MAX_MEM_SLOTS -> {
                expect(size, 0, fdCount, 0);
                sendU64(request, MAX_MEM_SLOTS);
                return true;
            }
            case SET_MEM_TABLE -> setMemTable(size, fdCount);
            case ADD_MEM_REG -> addMemReg(size, fdCount);
            case REM_MEM_REG -> remMemReg(size, fdCount);
            case SET_VRING_NUM -> {
                Vring v = vringState(size, fdCount);
                int num = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
                int max = device.queueMaxSize(v.index);
                if (num < 1 || num > max || (num & (num - 1)) != 0) {
                    throw new VhostUserRefusal("vring " + v.index + ": size " + Integer.toUnsignedString(num)
                        + " is not a power of two in [1, " + max + "]");
                }
                requireStopped(v);
                v.num = num;
            }
            case SET_VRING_BASE -> {
                Vring v = vringState(size, fdCount);
                int base = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
                if (base < 0 || base > 0xffff) {
                    throw new VhostUserRefusal("vring " + v.index + ": base " + Integer.toUnsignedString(base)
                        + " is not a split-ring index (u16)");
                }
                requireStopped(v);
                v.base = base;
            }
            case SET_VRING_ADDR -> setVringAddr(size, fdCount);
            case GET_VRING_BASE -> {
                Vring v = vringState(size, fdCount);
                v.stop();
                v.releaseKick();
                v.replaceCall(-1);
                out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE, v.index);
                out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, v.base);
                send(request, VRING_STATE_SIZE);
                return true;
            }
            case SET_VRING_KICK -> {
                Vring v = vringFile(size, fdCount, "kick");
                if (v.fileFd < 0) {
                    throw new VhostUserRefusal("vring " + v.index + ": no kick fd (polling without kicks is not "
                        + "supported)");
                }
                v.stop();
                v.releaseKick();
                v.kickFd = takeFd(0);
                start(v);
            }
            case SET_VRING_CALL -> {
                Vring v = vringFile(size, fdCount, "call");
                v.replaceCall(v.fileFd < 0 ? -1 : takeFd(0));
            }
            case SET_VRING_ERR -> {
                Vring v = vringFile(size, fdCount, "err");
                v.replaceErr(v.fileFd < 0 ? -1 : takeFd(0));
            }
            case SET_VRING_ENABLE -> {
                Vring v = vringState(size, fdCount);
                int on = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
                if (on != 0 && on != 1) {
                    throw new VhostUserRefusal("vring " + v.index + ": enable must be 0 or 1, got " + on);
                }
                v.enabled = on == 1;
                if (v.enabled) {
                    start(v);
                } else {
                    v.stop();
                }
            }
            case GET_CONFIG -> {
                int[] range = configRange(size, fdCount);
                MemorySegment.copy(payload, 0, out, HEADER_SIZE, CONFIG_HEADER_SIZE);
                for (int i = 0; i < range[1]; i++) {
                    int at = range[0] + i;
                    byte b = at < device.configSize() ? (byte) device.readConfig(at, 1) : 0;
                    out.set(ValueLayout.JAVA_BYTE, HEADER_SIZE + CONFIG_HEADER_SIZE + i, b);
                }
                send(request, CONFIG_HEADER_SIZE + range[1]);
                return true;
            }
            case SET_CONFIG -> {
                int[] range = configRange(size, fdCount);
                for (int i = 0; i < range[1] && range[0] + i < device.configSize(); i++) {
                    device.writeConfig(range[0] + i, 1,
                        payload.get(ValueLayout.JAVA_BYTE, CONFIG_HEADER_SIZE + i) & 0xff);
                }
            }
            default -> throw new VhostUserRefusal("unknown or unsupported request (payload " + size + " bytes)");
        }
        return false;
    }

    private static void expect(int size, int wantSize, int fdCount, int wantFds) {
        if (size != wantSize) {
            throw new VhostUserRefusal("payload of " + size + " bytes, expected " + wantSize);
        }
        if (fdCount != wantFds) {
            throw new VhostUserRefusal(fdCount + " fds, expected " + wantFds);
        }
    }

    private Vring vring(long index) {
        if (index < 0 || index >= vrings.length) {
            throw new VhostUserRefusal("vring index " + index + " out of range (the device has " + vrings.length
                + " queues)");
        }
        return vrings[(int) index];
    }

    private Vring vringState(int size, int fdCount) {
        expect(size, VRING_STATE_SIZE, fdCount, 0);
        return vring(Integer.toUnsignedLong(payload.get(ValueLayout.JAVA_INT_UNALIGNED, 0)));
    }

    /** SET_VRING_KICK/CALL/ERR: the index, and the fd unless NOFD; the fd must be an eventfd. */
    private Vring vringFile(int size, int fdCount, String what) {
        if (size != U64_SIZE) {
            throw new VhostUserRefusal("payload of " + size + " bytes, expected " + U64_SIZE);
        }
        long u = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        if ((u & ~(VRING_INDEX_MASK | VRING_NOFD)) != 0) {
            throw new VhostUserRefusal(what + ": reserved bits set in 0x" + Long.toHexString(u));
        }
        boolean nofd = (u & VRING_NOFD) != 0;
        if (fdCount != (nofd ? 0 : 1)) {
            throw new VhostUserRefusal(what + ": " + fdCount + " fds, expected " + (nofd ? 0 : 1));
        }
        Vring v = vring(u & VRING_INDEX_MASK);
        if (!nofd) {
            checkEventFd(fds[0], what);
            // Non-blocking: a front end that never drains the call fd must not stall an agent in write().
            Libc.fcntl(fds[0], Libc.F_SETFL, Libc.fcntl(fds[0], Libc.F_GETFL, 0) | Libc.O_NONBLOCK);
        }
        v.fileFd = nofd ? -1 : fds[0];
        return v;
    }

    private static void checkEventFd(int candidate, String what) {
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + candidate)).toString();
        } catch (IOException | RuntimeException e) {
            throw new VhostUserRefusal(what + " fd unreadable: " + e.getMessage());
        }
        if (!target.equals("anon_inode:[eventfd]")) {
            throw new VhostUserRefusal(what + " fd is not an eventfd: " + target);
        }
    }

    private int[] configRange(int size, int fdCount) {
        if (size < CONFIG_HEADER_SIZE || fdCount != 0) {
            throw new VhostUserRefusal("payload of " + size + " bytes with " + fdCount + " fds, expected at least "
                + CONFIG_HEADER_SIZE + " and none");
        }
        int offset = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        int len = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        if (len < 0 || len > MAX_CONFIG_SIZE || size != CONFIG_HEADER_SIZE + len) {
            throw new VhostUserRefusal("config size " + Integer.toUnsignedString(len) + " with a payload of " + size
                + " bytes (at most " + MAX_CONFIG_SIZE + ", payload = 12 + size)");
        }
        if (offset < 0 || offset > MAX_CONFIG_SIZE - len) {
            throw new VhostUserRefusal("config range [" + Integer.toUnsignedString(offset) + ", +" + len
                + ") outside " + MAX_CONFIG_SIZE + " bytes");
        }
        return new int[] {offset, len};
    }

    private static void requireStopped(Vring v) {
        if (v.running()) {
            throw new VhostUserRefusal("vring " + v.index + " is running (GET_VRING_BASE stops it)");
        }
    }

    private void setVringAddr(int size, int fdCount) {
        expect(size, VRING_ADDR_SIZE, fdCount, 0);
        Vring v = vring(Integer.toUnsignedLong(payload.get(ValueLayout.JAVA_INT_UNALIGNED, 0)));
        int flags = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 4);
        if (flags != 0) {
            throw new VhostUserRefusal("vring " + v.index + ": flags 0x" + Integer.toHexString(flags)
                + " (dirty logging is not offered)");
        }
        long desc = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        long used = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
        long avail = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 24);
        boolean eventIdx = VirtioFeatures.has(ackedFeatures, VirtioFeatures.RING_EVENT_IDX);
        Vring.RingGpas g = Vring.translate(memory, v.num, eventIdx, desc, avail, used);
        if (g.error() != null) {
            throw new VhostUserRefusal("vring " + v.index + ": " + g.error());
        }
        boolean wasRunning = v.running();
        v.stop();
        v.descUa = desc;
        v.usedUa = used;
        v.availUa = avail;
        v.addrSet = true;
        if (wasRunning) {
            start(v);
        }
    }

    private void start(Vring v) {
        String error = v.start(memory, ackedFeatures);
        if (error != null) {
            refusals++;
            refuse("vring " + v.index + " start: " + error);
        }
    }

    // ------------------------------------------------------------------ memory

    private VhostUserBackendMemory.Mapping mapRegion(int at, int fdIndex) {
        long gpa = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
        long sz = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 8);
        long ua = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 16);
        long off = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 24);
        return VhostUserBackendMemory.map(fds[fdIndex], gpa, sz, ua, off);
    }

    private void setMemTable(int size, int fdCount) {
        if (size < TABLE_HEADER_SIZE) {
            throw new VhostUserRefusal("payload of " + size + " bytes, expected at least " + TABLE_HEADER_SIZE);
        }
        int n = payload.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        if (n < 1 || n > MAX_TABLE_REGIONS || size != TABLE_HEADER_SIZE + n * REGION_SIZE || fdCount != n) {
            throw new VhostUserRefusal(Integer.toUnsignedString(n) + " regions in " + size + " bytes with "
                + fdCount + " fds (1 to " + MAX_TABLE_REGIONS + " regions of " + REGION_SIZE + " bytes, one fd each)");
        }
        List<VhostUserBackendMemory.Mapping> mapped = new ArrayList<>(n);
        VhostUserBackendMemory table;
        try {
            for (int i = 0; i < n; i++) {
                mapped.add(mapRegion(TABLE_HEADER_SIZE + i * REGION_SIZE, i));
            }
            table = VhostUserBackendMemory.of(mapped, MAX_TABLE_REGIONS);
        } catch (VhostUserRefusal e) {
            mapped.forEach(VhostUserBackendMemory.Mapping::unmap);
            throw e;
        }
        swapMemory(table, memory.mappings());
    }

    private void addMemReg(int size, int fdCount) {
        expect(size, SINGLE_REGION_SIZE, fdCount, 1);
        VhostUserBackendMemory.Mapping m = mapRegion(8, 0);
        VhostUserBackendMemory table;
        try {
            table = memory.with(m, MAX_MEM_SLOTS);
        } catch (VhostUserRefusal e) {
            m.unmap();
            throw e;
        }
        swapMemory(table, List.of());
    }

    private void remMemReg(int size, int fdCount) {
        if (size != SINGLE_REGION_SIZE || fdCount > 1) {
            throw new VhostUserRefusal("payload of " + size + " bytes with " + fdCount + " fds, expected "
                + SINGLE_REGION_SIZE + " and at most 1");
        }
        long gpa = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        long sz = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
        long ua = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 24);
        VhostUserBackendMemory.Mapping m = memory.find(gpa, sz, ua);
        if (m == null) {
            throw new VhostUserRefusal("no region gpa=0x" + Long.toHexString(gpa) + " size=0x" + Long.toHexString(sz)
                + " ua=0x" + Long.toHexString(ua));
        }
        swapMemory(memory.without(m), List.of(m));
    }

    /**
     * Installs a new table: running rings are drained and stopped first (their agents hold views of the old
     * mappings), the dropped mappings unmapped, then the rings started again over the new table where they left off.
     */
    private void swapMemory(VhostUserBackendMemory table, List<VhostUserBackendMemory.Mapping> dropped) {
        List<Vring> restart = new ArrayList<>();
        for (Vring v : vrings) {
            if (v.running()) {
                v.stop();
                restart.add(v);
            }
        }
        memory = table;
        dropped.forEach(VhostUserBackendMemory.Mapping::unmap);
        for (Vring v : restart) {
            start(v);
        }
    }

    private void stopAll() {
        for (Vring v : vrings) {
            v.stop();
        }
    }

    @Override
    public void close() {
        for (Vring v : vrings) {
            try {
                v.stop();
            } finally {
                v.release();
            }
        }
        memory.mappings().forEach(VhostUserBackendMemory.Mapping::unmap);
        memory = VhostUserBackendMemory.empty();
        closeFds(fds);
        Libc.closeQuietly(fd);
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
