package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetHeaderLayout;
import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.device.net.backend.GuestIovecs;
import io.vireo.dataplane.virtio.device.net.backend.NetPort;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.sys.IoVecLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One receive/transmit queue pair of a virtio-net device (virtio 1.2 §5.1.6), served by the agent that owns it, with
 * its back end's {@link NetPort}. Both virtqueues share one kick eventfd (the notify addresses of both are ioeventfds
 * on it), so the pair is one {@link PolledQueue}.
 *
 * <p>Transmit: pop every chain the port can take, check the header (§5.1.6.2.1) and the size, hand the readable
 * buffers to the port as iovecs (header and frame, one {@code writev} for a tap), complete with used length 0. A bad
 * chain or frame is dropped and counted; the queue goes on.
 *
 * <p>Receive: guest buffers are popped into a stash only when a frame waits; a frame takes as many stashed chains as
 * it needs (one without MRG_RXBUF, §5.1.6.3.1), is read straight into them, gets {@code num_buffers}, and each chain is
 * completed with the bytes it holds. When the driver has posted too few buffers, the frame stays in the back end (the
 * tap's queue, the loopback's ring): the pair asks for the driver's kick on the receive queue and sleeps; buffers
 * already stashed stay there, and are given back to the ring ({@link SplitQueue#unpop}) when the queue stops.
 *
 * <p>All of it on the owning agent's thread: no lock, no allocation, at most one system call per frame.
 */
public final class NetQueuePair implements PolledQueue {
    private static final int TX_BUDGET = 256;
    private static final int RX_BUDGET = 256;
    /** Writable buffers one receive chain may have (Linux: 1 with MRG_RXBUF, 19 for "big packets"). */
    static final int RX_MAX_DESCS = 32;
    /** iovecs one readv takes (IOV_MAX). */
    private static final int IOV_MAX = 1024;
    private static final long IOV = IoVecLayout.SIZE;
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final VirtioNetDevice device;
    private final int pair;
    private final int depth;
    private final NetPort port;
    private final int kickFd;
    private final Counters<NetCounter> counters;
    private final Arena arena = Arena.ofShared();
    private final DescriptorChain chain;
    private final MemorySegment txIov;
    private final MemorySegment rxIov;
    private final MemorySegment header;

    // The receive stash: chains popped and not yet filled, a FIFO in pop order (so the stash is always the tail of
    // what was popped, and unpop gives it back exactly). bytes < 0 marks a malformed chain, completed with length 0
    // when it reaches the front.
    private final int[] stashHead;
    private final long[] stashBytes;
    private final int[] stashDescs;
    private final long[] stashAddr;
    private final long[] stashLen;
    private int stashFirst;
    private int stashCount;
    private int stashMalformed;
    private long stashValidBytes;

    // Activated state.
    private SplitQueue rx;
    private SplitQueue tx;
    private VirtioInterrupt rxIrq;
    private VirtioInterrupt txIrq;
    private boolean rxBroken;
    private boolean txBroken;
    private long features;
    private boolean mergeable;
    private long maxTxFrame;
    private long maxRxBytes;
    /** 12, or 10 for a legacy driver without MRG_RXBUF. */
    private int hdrLen = NetHeaderLayout.SIZE;
    /** Frames wait and the driver posted too few buffers: its receive kicks are wanted. */
    private boolean rxStarved;

    // Per-poll sums, added to the shared counters once per poll.
    private long txFrames;
    private long txBytes;
    private long rxFrames;
    private long rxBytes;
    private long txGso;
    private long rxGso;

    NetQueuePair(VirtioNetDevice device, int pair, int depth, NetPort port, Counters<NetCounter> counters) {
        this.device = device;
        this.pair = pair;
        this.depth = depth;
        this.port = port;
        this.counters = counters;
        this.kickFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        this.chain = new DescriptorChain(depth);
        this.txIov = arena.allocate(depth * IOV, 8);
        this.rxIov = arena.allocate(IOV_MAX * IOV, 8);
        this.header = arena.allocate(NetHeaderLayout.SIZE, 8);
        this.stashHead = new int[depth];
        this.stashBytes = new long[depth];
        this.stashDescs = new int[depth];
        this.stashAddr = new long[depth * RX_MAX_DESCS];
        this.stashLen = new long[depth * RX_MAX_DESCS];
    }

    public int pair() {
        return pair;
    }

    @Override
    public int kickEventFd() {
        return kickFd;
    }

    @Override
    public int completionEventFd() {
        return -1;
    }

    @Override
    public int readinessFd() {
        return port.readinessFd();
    }

    @Override
    public Counters<NetCounter> counters() {
        return counters;
    }

    /** Receive chains popped and not filled yet (they return to the ring when the queue stops). */
    int stashed() {
        return stashCount;
    }

    // ------------------------------------------------------------------ control (commands on the owner's thread)

    void activateRx(SplitQueue split, VirtioInterrupt irq, long negotiated) {
        configure(negotiated);
        rx = split;
        rxIrq = irq;
        rxBroken = false;
        rxStarved = false;
        clearStash();
    }

    void activateTx(SplitQueue split, VirtioInterrupt irq, long negotiated) {
        configure(negotiated);
        tx = split;
        txIrq = irq;
        txBroken = false;
    }

    private void configure(long negotiated) {
        features = negotiated;
        mergeable = VirtioFeatures.has(negotiated, NetFeatures.MRG_RXBUF);
        int mtu = device.mtu();
        maxTxFrame = (negotiated & (NetFeatures.HOST_TSO4 | NetFeatures.HOST_TSO6 | NetFeatures.HOST_USO)) != 0
            ? NetHeaderLayout.MAX_GSO_FRAME : mtu + NetHeaderLayout.ETH_HEADER_VLAN;
        hdrLen = NetHeaderLayout.size(negotiated);
        maxRxBytes = hdrLen + ((negotiated & NetFeatures.GUEST_GSO) != 0
            ? NetHeaderLayout.MAX_GSO_FRAME : mtu + NetHeaderLayout.ETH_HEADER_VLAN);
    }

    /** Stops receiving: stashed buffers go back to the ring, untouched (a later owner pops them again). */
    void resetRx() {
        if (rx != null && stashCount > 0 && !rxBroken) {
            // Stashed chains are the newest popped and none of them was pushed: they are the tail unpop gives back.
            rx.unpop(Math.min(stashCount, rx.inFlight()));
        }
        clearStash();
        flushCounters();
        rx = null;
        rxIrq = null;
        rxStarved = false;
    }

    void resetTx() {
        flushCounters();
        tx = null;
        txIrq = null;
    }

    void close() {
        Libc.closeQuietly(kickFd);
        arena.close();
    }

    private void clearStash() {
        stashFirst = 0;
        stashCount = 0;
        stashMalformed = 0;
        stashValidBytes = 0;
    }

    // ------------------------------------------------------------------ the duty cycle (hot path)

    @Override
    public int poll() {
        int work = 0;
        if (tx != null && !txBroken) {
            work += transmit();
        }
        if (rx != null && !rxBroken) {
            work += receive();
        }
        flushCounters();
        return work;
    }

    @Override
    public void suppressNotifications() {
        if (tx != null && !txBroken) {
            tx.disableNotifications();
        }
        if (rx != null && !rxBroken) {
            rx.disableNotifications();
        }
    }

    @Override
    public boolean armNotifications() {
        boolean work = false;
        if (tx != null && !txBroken) {
            work = tx.enableNotificationsAndCheck() && port.canSend();
        }
        // Receive buffers matter only while frames wait for them; otherwise the driver need not kick for each refill.
        if (rx != null && !rxBroken && rxStarved) {
            work |= rx.enableNotificationsAndCheck();
        }
        return work;
    }

    // ------------------------------------------------------------------ transmit

    private int transmit() {
        int done = 0;
        while (done < TX_BUDGET) {
            if (!port.canSend()) {
                counters.increment(NetCounter.TX_STALLS);
                break;
            }
            QueueError rc = tx.popChain(chain);
            if (rc == QueueError.EMPTY) {
                break;
            }
            done++;
            if (rc != QueueError.OK) {
                if (!rc.isRequestError()) {
                    txBroken = true;
                    broken(tx, rc, 2 * pair + 1);
                    break;
                }
                counters.increment(NetCounter.TX_DROPS_MALFORMED_CHAIN);
                device.logChainError(2 * pair + 1, rc, chain);
                tx.pushUsed(chain.headId(), 0);
                continue;
            }
            sendChain();
            // §5.1.6.2: transmit buffers are device-readable only; the used length is 0.
            tx.pushUsed(chain.headId(), 0);
        }
        publish(tx, txIrq, 2 * pair + 1);
        return done;
    }

    private void sendChain() {
        long total = chain.totalReadable();
        long frame = total - hdrLen;
        if (frame < NetHeaderLayout.ETH_HEADER) {
            counters.increment(NetCounter.TX_DROPS_BAD_HEADER);
            return;
        }
        if (frame > maxTxFrame) {
            counters.increment(NetCounter.TX_DROPS_TOO_BIG);
            return;
        }
        chain.gatherReadable(0, header, 0, hdrLen);
        if (!headerValid(frame)) {
            counters.increment(NetCounter.TX_DROPS_BAD_HEADER);
            return;
        }
        int n = chain.readableCount();
        for (int i = 0; i < n; i++) {
            txIov.set(ValueLayout.JAVA_LONG, i * IOV, chain.hostAddress(i));
            txIov.set(ValueLayout.JAVA_LONG, i * IOV + 8, chain.len(i));
        }
        int rc = port.send(txIov, n, total);
        if (rc < 0) {
            counters.increment(NetCounter.TX_DROPS_BACKEND);
            return;
        }
        txFrames++;
        txBytes += frame;
        if (header.get(ValueLayout.JAVA_BYTE, NetHeaderLayout.GSO_TYPE_OFFSET) != NetHeaderLayout.GSO_NONE) {
            txGso++;
        }
    }

    /** §5.1.6.2.1: the offload fields a driver may use are those of the features it negotiated. */
    private boolean headerValid(long frame) {
        int flags = header.get(ValueLayout.JAVA_BYTE, NetHeaderLayout.FLAGS_OFFSET) & 0xff;
        int gso = header.get(ValueLayout.JAVA_BYTE, NetHeaderLayout.GSO_TYPE_OFFSET) & 0xff;
        if ((flags & ~NetHeaderLayout.F_NEEDS_CSUM) != 0) {
            return false; // DATA_VALID and RSC_INFO are the device's, and nothing else is defined
        }
        if ((flags & NetHeaderLayout.F_NEEDS_CSUM) != 0) {
            int start = header.get(LE_SHORT, NetHeaderLayout.CSUM_START_OFFSET) & 0xffff;
            int offset = header.get(LE_SHORT, NetHeaderLayout.CSUM_OFFSET_OFFSET) & 0xffff;
            if (!VirtioFeatures.has(features, NetFeatures.CSUM) || (long) start + offset + 2 > frame) {
                return false;
            }
        }
        if (gso == NetHeaderLayout.GSO_NONE) {
            return true;
        }
        long needed = switch (gso) {
            case NetHeaderLayout.GSO_TCPV4 -> NetFeatures.HOST_TSO4;
            case NetHeaderLayout.GSO_TCPV6 -> NetFeatures.HOST_TSO6;
            case NetHeaderLayout.GSO_UDP_L4 -> NetFeatures.HOST_USO;
            default -> 0L; // UFO, ECN: not offered
        };
        int gsoSize = header.get(LE_SHORT, NetHeaderLayout.GSO_SIZE_OFFSET) & 0xffff;
        // A segmented frame must have its checksum left to the device (§5.1.6.2.1) and a segment size.
        return needed != 0 && VirtioFeatures.has(features, needed) && (flags & NetHeaderLayout.F_NEEDS_CSUM) != 0
            && gsoSize > 0;
    }

    // ------------------------------------------------------------------ receive

    private int receive() {
        int frames = 0;
        rxStarved = false;
        while (frames < RX_BUDGET) {
            long next = port.nextFrameBytes();
            if (next == 0) {
                break;
            }
            long need = next < 0 ? maxRxBytes : next;
            if (!fillStash(need)) {
                rxStarved = true;
                counters.increment(NetCounter.RX_STALLS);
                break;
            }
            int chains = buildRxIovecs(need);
            long room = rxRoom;
            if (next > room) {
                // A frame of known size larger than every buffer the driver could give it.
                port.dropNext();
                counters.increment(NetCounter.RX_DROPS_NO_ROOM);
                frames++;
                continue;
            }
            long n = port.receive(rxIov, rxIovCount);
            if (n == 0) {
                break;
            }
            frames++;
            if (n < 0) {
                counters.increment(NetCounter.RX_DROPS_BACKEND);
                continue;
            }
            if (n < hdrLen + NetHeaderLayout.ETH_HEADER) {
                counters.increment(NetCounter.RX_DROPS_BACKEND);
                continue;
            }
            if (!device.accepts(GuestIovecs.getMac(rxIov, rxIovCount, hdrLen))) {
                counters.increment(NetCounter.RX_DROPS_FILTERED);
                continue;
            }
            complete(n, chains);
        }
        publish(rx, rxIrq, 2 * pair);
        return frames;
    }

    /**
     * Pops receive chains until the valid front of the stash holds {@code need} bytes (one chain without MRG_RXBUF).
     * Returns false when the ring ran dry first (the frame waits); true also when the stash holds every buffer the
     * ring can have or a malformed chain ends the valid front (the frame then takes what there is).
     */
    private boolean fillStash(long need) {
        while (stashMalformed == 0 && (mergeable ? stashValidBytes < need : stashCount == 0)) {
            if (stashCount == rx.size()) {
                return true;
            }
            QueueError rc = rx.popChain(chain);
            if (rc == QueueError.EMPTY) {
                return false;
            }
            if (rc != QueueError.OK && !rc.isRequestError()) {
                rxBroken = true;
                broken(rx, rc, 2 * pair);
                return false;
            }
            stash(rc);
        }
        return stashCount > 0 && stashBytes[stashFirst] >= 0;
    }

    private void stash(QueueError rc) {
        int slot = (stashFirst + stashCount) & (depth - 1);
        stashHead[slot] = chain.headId();
        boolean ok = rc == QueueError.OK && chain.readableCount() == 0 && chain.count() <= RX_MAX_DESCS
            && chain.totalWritable() >= hdrLen;
        if (!ok) {
            counters.increment(NetCounter.RX_MALFORMED_CHAINS);
            if (rc != QueueError.OK) {
                device.logChainError(2 * pair, rc, chain);
            }
            if (stashCount == 0) {
                // Nothing popped before it waits: complete it now (§5.1.6.3.1 buffers must be device-writable).
                rx.pushUsed(chain.headId(), 0);
                return;
            }
            stashBytes[slot] = -1;
            stashMalformed++;
            stashCount++;
            return;
        }
        int n = chain.count();
        int base = slot * RX_MAX_DESCS;
        for (int i = 0; i < n; i++) {
            stashAddr[base + i] = chain.hostAddress(i);
            stashLen[base + i] = chain.len(i);
        }
        stashDescs[slot] = n;
        stashBytes[slot] = chain.totalWritable();
        stashValidBytes += chain.totalWritable();
        stashCount++;
    }

    private int rxIovCount;
    private long rxRoom;

    /** iovecs over the front chains of the stash up to {@code need} bytes (one chain without MRG_RXBUF). */
    private int buildRxIovecs(long need) {
        int k = 0;
        long room = 0;
        int chains = 0;
        for (int c = 0; c < stashCount; c++) {
            int slot = (stashFirst + c) & (depth - 1);
            if (stashBytes[slot] < 0 || k + stashDescs[slot] > IOV_MAX) {
                break;
            }
            int base = slot * RX_MAX_DESCS;
            for (int i = 0; i < stashDescs[slot]; i++) {
                rxIov.set(ValueLayout.JAVA_LONG, k * IOV, stashAddr[base + i]);
                rxIov.set(ValueLayout.JAVA_LONG, k * IOV + 8, stashLen[base + i]);
                k++;
            }
            room += stashBytes[slot];
            chains++;
            if (!mergeable || room >= need) {
                break;
            }
        }
        rxIovCount = k;
        rxRoom = room;
        return chains;
    }

    /** A frame of {@code n} bytes sits in the front chains: num_buffers, used entries, stash front moves on. */
    private void complete(long n, int chains) {
        long left = n;
        int used = 0;
        while (left > 0 && used < chains) {
            int slot = (stashFirst + used) & (depth - 1);
            long len = Math.min(stashBytes[slot], left);
            left -= len;
            used++;
        }
        // §5.1.6.4: num_buffers is always written with VERSION_1 (1 without MRG_RXBUF); a tap leaves it untouched.
        if (hdrLen == NetHeaderLayout.SIZE) {
            GuestIovecs.putShortLE(rxIov, rxIovCount, NetHeaderLayout.NUM_BUFFERS_OFFSET, used);
        }
        left = n;
        for (int c = 0; c < used; c++) {
            int slot = stashFirst;
            long len = Math.min(stashBytes[slot], left);
            left -= len;
            rx.pushUsed(stashHead[slot], (int) len);
            stashValidBytes -= stashBytes[slot];
            stashFirst = (stashFirst + 1) & (depth - 1);
            stashCount--;
        }
        // Malformed chains that reached the front complete with length 0.
        while (stashCount > 0 && stashBytes[stashFirst] < 0) {
            rx.pushUsed(stashHead[stashFirst], 0);
            stashMalformed--;
            stashFirst = (stashFirst + 1) & (depth - 1);
            stashCount--;
        }
        rxFrames++;
        rxBytes += n - hdrLen;
        if (GuestIovecs.getByte(rxIov, rxIovCount, NetHeaderLayout.GSO_TYPE_OFFSET) > 0) {
            rxGso++;
        }
    }

    // ------------------------------------------------------------------ publishing and faults

    private void publish(SplitQueue q, VirtioInterrupt irq, int queueIndex) {
        // One release store of used idx per batch, one interrupt decision (§2.7.7, §2.7.10).
        if (q.nextUsedIdx() == q.publishedUsedIdx()) {
            return;
        }
        counters.increment(NetCounter.BATCHES);
        if (q.publishUsed()) {
            counters.increment(NetCounter.INTERRUPTS);
            irq.signalUsed(queueIndex);
        } else {
            counters.increment(NetCounter.INTERRUPTS_SUPPRESSED);
        }
    }

    private void broken(SplitQueue q, QueueError rc, int queueIndex) {
        counters.increment(NetCounter.NEEDS_RESET);
        device.logQueueBroken(queueIndex, rc, q.brokenValue());
        (queueIndex % 2 == 0 ? rxIrq : txIrq).needsReset(rc.name());
    }

    private void flushCounters() {
        if (txFrames != 0) {
            counters.add(NetCounter.TX_FRAMES, txFrames);
            counters.add(NetCounter.TX_BYTES, txBytes);
            counters.add(NetCounter.TX_GSO_FRAMES, txGso);
            txFrames = 0;
            txBytes = 0;
            txGso = 0;
        }
        if (rxFrames != 0) {
            counters.add(NetCounter.RX_FRAMES, rxFrames);
            counters.add(NetCounter.RX_BYTES, rxBytes);
            counters.add(NetCounter.RX_GSO_FRAMES, rxGso);
            rxFrames = 0;
            rxBytes = 0;
            rxGso = 0;
        }
    }
}
