package io.vireo.dataplane.vhostuser;

import static io.vireo.dataplane.vhostuser.VhostUserLayout.F_PROTOCOL_FEATURES;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.PROTOCOL_F_CONFIG;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.PROTOCOL_F_MQ;
import static io.vireo.dataplane.vhostuser.VhostUserLayout.PROTOCOL_F_REPLY_ACK;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.sys.Libc;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A virtio device of any type served by another process over vhost-user: this side is only the front end. The
 * transport drives it like any device; at DRIVER_OK it hands the back end the guest's memory table (the memfd
 * regions), each enabled ring's addresses, a kick eventfd and a call eventfd per queue, and steps aside: the kick
 * eventfds are what the VMM registers as KVM ioeventfds and the call eventfds are the MSI-X vectors' irqfds
 * ({@link CallFds}), so guest kicks and interrupts go between KVM and the back end with no thread of ours in between.
 *
 * <p>A back end that goes away (closed, killed) or answers nonsense (see {@link VhostUserFrontEnd}) leaves this device
 * with DEVICE_NEEDS_RESET and one log line; the rest of the VMM goes on. The driver's reset stops what is left; at its
 * next DRIVER_OK the device connects again (the socket must accept by then, else it needs reset again) and checks that
 * the back end still offers every feature the driver took.
 *
 * <p>Threading: {@link #activate} and {@link #reset} come from the transport's lifecycle (one at a time), the loss
 * notice from the connection's watcher thread; all three hold this object's lock. Config reads take no lock.
 */
public final class VhostUserDevice implements VirtioDevice, AutoCloseable {
    /**
     * Where a queue's interrupts go now: an eventfd the VMM turned into an interrupt (an irqfd), or -1 for none (no
     * vector, or its vector masked: the back end's signals then wait in a spare eventfd, see {@link #reroute}).
     */
    public interface CallFds {
        int callFd(int queue);
    }

    /**
     * Guest-visible feature bits a front end can pass through: the device's own (0-23), indirect descriptors, event
     * index, VERSION_1. Not ACCESS_PLATFORM (ring addresses go out untranslated), not packed rings, not LOG_ALL and
     * not bit 30, which are vhost-user's, never the guest's (REFERENCE §1.6 item 9).
     */
    public static final long PASSABLE_FEATURES = 0xff_ffffL | VirtioFeatures.RING_INDIRECT_DESC
        | VirtioFeatures.RING_EVENT_IDX | VirtioFeatures.VERSION_1;
    static final long WANTED_PROTOCOL_FEATURES = PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK | PROTOCOL_F_CONFIG;

    private final String name;
    private final Path socket;
    private final int deviceType;
    private final int queueCount;
    private final int queueMaxSize;
    private final int remoteConfigSize;
    private final GuestMemory memory;
    private final int memfd;
    private final Consumer<String> log;
    private final int[] kickFds;
    private final int[] spareCallFds;
    private final boolean[] started;
    /** The call fd each started ring was last given. */
    private final int[] sentCall;
    private final long offered;
    private volatile byte[] config;
    private volatile CallFds callFds = q -> -1;
    private final AtomicLong userspaceNotifies = new AtomicLong();
    private final java.util.List<ConfigOverride> overrides = new java.util.concurrent.CopyOnWriteArrayList<>();

    // Guarded by this.
    private VhostUserFrontEnd conn;
    private VirtioInterrupt interrupt;
    private boolean needsReset;
    private String lastFailure;

    /**
     * Connects to the back end and agrees on what it offers.
     *
     * @param name             for log lines (the VMM's device name)
     * @param queueCount       queues the guest sees (the back end must have as many)
     * @param remoteConfigSize bytes of config read with GET_CONFIG (the back end must offer CONFIG); 0 for none
     * @param localConfig      the config when {@code remoteConfigSize} is 0 (e.g. virtio-fs's tag), else null
     * @param memfd            the fd behind every region of {@code memory} (each region's file offset is its own)
     * @throws VhostUserPeerException one line: no back end there, it refuses, or it lacks what this device needs
     */
    public VhostUserDevice(String name, Path socket, int deviceType, int queueCount, int queueMaxSize,
                           int remoteConfigSize, byte[] localConfig, GuestMemory memory, int memfd,
                           Consumer<String> log) {
        if (queueCount < 1 || queueCount > VhostUserLayout.VRING_INDEX_MASK + 1) {
            throw new IllegalArgumentException("queue count " + queueCount);
        }
        this.name = name;
        this.socket = socket;
        this.deviceType = deviceType;
        this.queueCount = queueCount;
        this.queueMaxSize = queueMaxSize;
        this.remoteConfigSize = remoteConfigSize;
        this.memory = memory;
        this.memfd = memfd;
        this.log = log;
        this.started = new boolean[queueCount];
        this.sentCall = new int[queueCount];
        VhostUserFrontEnd c = VhostUserFrontEnd.connect(socket);
        try {
            offered = handshake(c) & PASSABLE_FEATURES;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        if (remoteConfigSize == 0) {
            config = localConfig == null ? new byte[0] : localConfig.clone();
        }
        kickFds = new int[queueCount];
        spareCallFds = new int[queueCount];
        java.util.Arrays.fill(kickFds, -1);
        java.util.Arrays.fill(spareCallFds, -1);
        try {
            for (int q = 0; q < queueCount; q++) {
                kickFds[q] = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
                spareCallFds[q] = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            }
        } catch (RuntimeException e) {
            c.close();
            closeFds();
            throw e;
        }
        watch(c);
    }

    /**
     * GET_FEATURES, protocol features, queue count, SET_OWNER, config: checks each answer against what this device
     * needs. Returns the offered features, bit 30 stripped.
     */
    private long handshake(VhostUserFrontEnd c) {
        long features = c.getFeatures();
        if ((features & F_PROTOCOL_FEATURES) == 0) {
            throw peer("the back end does not offer VHOST_USER_F_PROTOCOL_FEATURES (bit 30)");
        }
        if ((features & VirtioFeatures.VERSION_1) == 0) {
            throw peer("the back end does not offer VIRTIO_F_VERSION_1");
        }
        long protocol = c.getProtocolFeatures();
        long agreed = protocol & WANTED_PROTOCOL_FEATURES;
        if (remoteConfigSize > 0 && (agreed & PROTOCOL_F_CONFIG) == 0) {
            throw peer("the back end does not offer VHOST_USER_PROTOCOL_F_CONFIG (needed for the device config)");
        }
        if (queueCount > 1 && (agreed & PROTOCOL_F_MQ) == 0) {
            throw peer(queueCount + " queues need VHOST_USER_PROTOCOL_F_MQ, which the back end does not offer");
        }
        c.setProtocolFeatures(agreed);
        if ((agreed & PROTOCOL_F_MQ) != 0) {
            long n = c.getQueueNum();
            if (n < queueCount) {
                throw peer("the back end has " + n + " queues, this device needs " + queueCount);
            }
        }
        c.setOwner();
        if (remoteConfigSize > 0) {
            byte[] cfg = c.getConfig(remoteConfigSize);
            // A reconnect keeps what the VMM set (overrideConfig) over the back end's values.
            for (var o : overrides) {
                System.arraycopy(o.bytes(), 0, cfg, o.offset(), o.bytes().length);
            }
            config = cfg;
        }
        return features & ~F_PROTOCOL_FEATURES;
    }

    private VhostUserPeerException peer(String why) {
        return new VhostUserPeerException("vhost-user " + socket + ": " + why);
    }

    private void watch(VhostUserFrontEnd c) {
        conn = c;
        c.watch(name, () -> lost(c));
    }

    /** The watcher saw the back end go away. */
    private synchronized void lost(VhostUserFrontEnd c) {
        if (conn != c) {
            return;
        }
        conn = null;
        c.close();
        markNeedsReset("the back end on " + socket + " went away (closed or killed)");
    }

    private void markNeedsReset(String why) {
        java.util.Arrays.fill(started, false);
        // One line per failure, not per retry: a driver that resets and retries while the back end is still away
        // fails the same way each time.
        boolean repeat = why.equals(lastFailure);
        lastFailure = why;
        if (interrupt != null && !needsReset) {
            needsReset = true;
            if (!repeat) {
                log.accept("vhost-user " + name + ": " + why + "; device needs reset");
            }
            interrupt.needsReset(why);
        } else if (!needsReset && !repeat) {
            log.accept("vhost-user " + name + ": " + why + " (device not in use)");
        }
    }

    /** The VMM's interrupt eventfds (irqfds), asked for at each DRIVER_OK. */
    public void callFds(CallFds fds) {
        callFds = fds;
    }

    /** Queue {@code q}'s kick eventfd: the VMM registers it as the queue's ioeventfd. */
    public int kickFd(int q) {
        return kickFds[q];
    }

    /** Replaces config bytes the guest reads (e.g. num_queues where the back end has more queues than in use). */
    public synchronized void overrideConfig(int offset, byte[] bytes) {
        if (offset < 0 || offset + bytes.length > config.length) {
            throw new IllegalArgumentException("config override at " + offset + " of " + bytes.length
                + " bytes outside " + config.length);
        }
        overrides.add(new ConfigOverride(offset, bytes.clone()));
        byte[] c = config.clone();
        System.arraycopy(bytes, 0, c, offset, bytes.length);
        config = c;
    }

    private record ConfigOverride(int offset, byte[] bytes) {
    }

    public Path socket() {
        return socket;
    }

    /** True while a back end is connected. */
    public synchronized boolean connected() {
        return conn != null;
    }

    // ------------------------------------------------------------------ VirtioDevice

    @Override
    public int deviceType() {
        return deviceType;
    }

    @Override
    public long deviceFeatures() {
        return offered;
    }

    @Override
    public int queueCount() {
        return queueCount;
    }

    @Override
    public int queueMaxSize(int queue) {
        return queueMaxSize;
    }

    @Override
    public int configSize() {
        return config.length;
    }

    @Override
    public int readConfig(int offset, int size) {
        byte[] c = config;
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (c[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        // Not forwarded (no SET_CONFIG): the writable blk field (writeback) is ignored, as §5.2.5 allows when
        // VIRTIO_BLK_F_CONFIG_WCE is not negotiated; nothing else in a config is the driver's to write.
    }

    /**
     * A notify that reached user space (no ioeventfd caught it): passed on as a write to the queue's kick eventfd,
     * which the back end watches. With the VMM's ioeventfds in place this never runs.
     */
    @Override
    public void processQueue(int queue) {
        if (queue >= 0 && queue < queueCount) {
            userspaceNotifies.incrementAndGet();
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment one = a.allocate(8, 8);
                one.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L);
                Libc.writeRaw(kickFds[queue], one, 8);
            }
        }
    }

    /** Notifies that exited to user space (not caught by an ioeventfd). */
    public long userspaceNotifies() {
        return userspaceNotifies.get();
    }

    @Override
    public synchronized void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
        this.interrupt = interrupt;
        needsReset = false;
        try {
            if (conn == null) {
                reconnect(features);
            }
            start(features, queues);
        } catch (VhostUserPeerException e) {
            drop();
            markNeedsReset(e.getMessage());
        }
    }

    private void reconnect(long features) {
        VhostUserFrontEnd c = VhostUserFrontEnd.connect(socket);
        try {
            long now = handshake(c) & PASSABLE_FEATURES;
            if ((features & ~now) != 0) {
                throw peer("the back end no longer offers features the driver took: 0x"
                    + Long.toHexString(features & ~now));
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        log.accept("vhost-user " + name + ": connected again to " + socket);
        lastFailure = null;
        watch(c);
    }

    private void start(long features, SplitQueue[] queues) {
        VhostUserFrontEnd c = conn;
        c.setFeatures(features | F_PROTOCOL_FEATURES);
        c.setMemTable(memory.regions(), memfd);
        CallFds calls = callFds;
        for (int q = 0; q < queueCount && q < queues.length; q++) {
            SplitQueue s = queues[q];
            if (s == null || !s.isReady()) {
                continue;
            }
            c.setVringNum(q, s.size());
            // A fresh ring after the driver's reset: both indices start at 0 (§2.7).
            c.setVringBase(q, 0);
            c.setVringAddr(q, userAddress(s.descTableGpa()), userAddress(s.usedRingGpa()),
                userAddress(s.availRingGpa()));
            int call = calls.callFd(q);
            // SET_VRING_CALL before KICK: some back ends start a ring on its kick fd (REFERENCE §1.6 item 8).
            sentCall[q] = call >= 0 ? call : spareCallFds[q];
            c.setVringCall(q, sentCall[q]);
            c.setVringKick(q, kickFds[q]);
            started[q] = true;
        }
        for (int q = 0; q < queueCount; q++) {
            if (started[q]) {
                c.setVringEnable(q, true);
            }
        }
    }

    /**
     * The driver changed where interrupts go (a queue's vector, a vector masked or unmasked, MSI-X enabled or masked
     * as a whole): gives each started ring whose call fd changed the new one. Returns the queues whose signals waited
     * in the spare eventfd meanwhile (a masked vector's pending bit): the caller raises their vectors once.
     */
    public synchronized java.util.BitSet reroute() {
        java.util.BitSet pending = new java.util.BitSet();
        VhostUserFrontEnd c = conn;
        if (c == null) {
            return pending;
        }
        CallFds calls = callFds;
        try {
            for (int q = 0; q < queueCount; q++) {
                if (!started[q]) {
                    continue;
                }
                int call = calls.callFd(q);
                int fd = call >= 0 ? call : spareCallFds[q];
                if (fd == sentCall[q]) {
                    continue;
                }
                c.setVringCall(q, fd);
                boolean fromSpare = sentCall[q] == spareCallFds[q];
                sentCall[q] = fd;
                if (fromSpare && drain(spareCallFds[q])) {
                    pending.set(q);
                }
            }
        } catch (VhostUserPeerException e) {
            drop();
            markNeedsReset(e.getMessage());
        }
        return pending;
    }

    /** Reads (resets) an eventfd's counter; true if it had been signalled. */
    private static boolean drain(int eventFd) {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            return Libc.readRaw(eventFd, a.allocate(8, 8), 8) == 8;
        }
    }

    /** Our address of {@code gpa} (validated RAM: the queue was enabled), as SET_MEM_TABLE's user_addr names it. */
    private long userAddress(long gpa) {
        for (GuestRegion r : memory.regions()) {
            if (r.contains(gpa, 1)) {
                return r.segment().address() + (gpa - r.gpa());
            }
        }
        throw new IllegalStateException("ring at 0x" + Long.toHexString(gpa) + " is not in guest RAM");
    }

    @Override
    public synchronized void reset() {
        needsReset = false;
        VhostUserFrontEnd c = conn;
        if (c == null) {
            java.util.Arrays.fill(started, false);
            return;
        }
        try {
            for (int q = 0; q < queueCount; q++) {
                if (started[q]) {
                    c.setVringEnable(q, false);
                    // Stops the ring once the back end drained it (REFERENCE §1.4); the index is not needed: the
                    // driver starts again from 0 after its reset.
                    c.getVringBase(q);
                }
            }
        } catch (VhostUserPeerException e) {
            log.accept("vhost-user " + name + ": stopping the rings failed: " + e.getMessage()
                + "; connecting again at the next start");
            drop();
        }
        java.util.Arrays.fill(started, false);
    }

    private void drop() {
        VhostUserFrontEnd c = conn;
        conn = null;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public synchronized void close() {
        drop();
        closeFds();
    }

    private void closeFds() {
        for (int q = 0; q < queueCount; q++) {
            if (kickFds[q] >= 0) {
                Libc.closeQuietly(kickFds[q]);
                kickFds[q] = -1;
            }
            if (spareCallFds[q] >= 0) {
                Libc.closeQuietly(spareCallFds[q]);
                spareCallFds[q] = -1;
            }
        }
    }
}
