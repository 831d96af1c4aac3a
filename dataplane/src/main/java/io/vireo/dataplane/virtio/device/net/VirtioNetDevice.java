package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.StatsSink;
import io.vireo.dataplane.stats.StatsSource;
import io.vireo.dataplane.virtio.ConfigBytes;
import io.vireo.dataplane.virtio.FaultLog;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.agent.PolledDevice;
import io.vireo.dataplane.virtio.device.net.backend.NetBackend;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;

import java.util.ArrayList;
import java.util.List;

/**
 * virtio-net (virtio 1.2 §5.1): {@code pairs} receive/transmit queue pairs and a control queue, frames moved by a
 * {@link NetBackend} (a tap, or a loopback). Offers VERSION_1, MAC, STATUS (link up), MTU (when given), MRG_RXBUF,
 * the back end's checksum and segmentation offloads, CTRL_VQ with CTRL_RX (promiscuous, all-multicast, MAC tables), MQ
 * (more than one pair; the driver picks how many through the control queue), EVENT_IDX and INDIRECT_DESC.
 *
 * <p>Virtqueues: receiveq{@code k} = 2k, transmitq{@code k} = 2k + 1, controlq = 2 * pairs. A pair is one
 * {@link NetQueuePair} (one polled queue for both of its virtqueues, so {@link #polledQueue} returns the same object
 * for 2k and 2k + 1); place the distinct polled queues on agents, then give each virtqueue its pair's owner.
 *
 * <p>Faults (§2.7): a malformed chain or frame is dropped and counted, the queue goes on; a corrupt ring makes the
 * queue ask for DEVICE_NEEDS_RESET and stop until reset.
 */
public final class VirtioNetDevice implements PolledDevice, StatsSource, AutoCloseable {
    /** Device id of a network device (§5.1.1). */
    public static final int DEVICE_TYPE = 1;
    public static final int QUEUE_MAX_SIZE = 256;
    public static final int CTRL_QUEUE_SIZE = 64;
    public static final int MAX_PAIRS = 16;
    public static final int DEFAULT_MTU = 1500;
    /** §5.1.4.1: the MTU offered is at least 68 (IPv4's minimum) and at most 65535. */
    public static final int MIN_MTU = 68;
    public static final int MAX_MTU = 65535;

    private final NetBackend backend;
    private final long mac;
    private final int mtu;
    private final long deviceFeatures;
    private final byte[] config = new byte[NetConfigLayout.SIZE];
    private final NetQueuePair[] pairs;
    private final NetCtrlQueue ctrl;
    private final FaultLog faultLog = new FaultLog("virtio-net");
    private volatile RxFilter rxFilter = RxFilter.ACCEPT_ALL;

    /**
     * @param backend   where frames go, not owned (close it after {@link #close()})
     * @param mac       the device's MAC address, six bytes
     * @param pairs     queue pairs offered, 1 to min({@value #MAX_PAIRS}, the back end's)
     * @param mtu       the MTU offered (VIRTIO_NET_F_MTU), or 0 for none (the driver assumes 1500)
     * @param counters  where the queues' counters live ({@code name.pN.rx_frames}, ...); null for counters of their own
     * @param name      the device's name in the counters file and the reports, e.g. {@code net0}
     */
    public VirtioNetDevice(NetBackend backend, byte[] mac, int pairs, int mtu, CountersFile counters, String name) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes: " + mac.length);
        }
        if ((mac[0] & 1) != 0) {
            throw new IllegalArgumentException("a device MAC must be unicast (bit 0 of the first byte clear)");
        }
        int limit = Math.min(MAX_PAIRS, backend.maxPairs());
        if (pairs < 1 || pairs > limit) {
            throw new IllegalArgumentException("queue pairs must be 1.." + limit + ": " + pairs);
        }
        if (mtu != 0 && (mtu < MIN_MTU || mtu > MAX_MTU)) {
            throw new IllegalArgumentException("mtu must be " + MIN_MTU + ".." + MAX_MTU + ": " + mtu);
        }
        this.backend = backend;
        this.mtu = mtu == 0 ? DEFAULT_MTU : mtu;
        long m = 0;
        for (byte b : mac) {
            m = (m << 8) | (b & 0xff);
        }
        this.mac = m;
        this.deviceFeatures = VirtioFeatures.VERSION_1 | VirtioFeatures.RING_INDIRECT_DESC
            | VirtioFeatures.RING_EVENT_IDX | NetFeatures.MAC | NetFeatures.STATUS | NetFeatures.MRG_RXBUF
            | NetFeatures.CTRL_VQ | NetFeatures.CTRL_RX | (pairs > 1 ? NetFeatures.MQ : 0)
            | (mtu != 0 ? NetFeatures.MTU : 0) | backend.offloadFeatures();
        System.arraycopy(mac, 0, config, NetConfigLayout.MAC_OFFSET, 6);
        putLe16(NetConfigLayout.STATUS_OFFSET, NetConfigLayout.STATUS_LINK_UP);
        putLe16(NetConfigLayout.MAX_VIRTQUEUE_PAIRS_OFFSET, pairs);
        putLe16(NetConfigLayout.MTU_OFFSET, this.mtu);
        this.pairs = new NetQueuePair[pairs];
        for (int p = 0; p < pairs; p++) {
            this.pairs[p] = new NetQueuePair(this, p, QUEUE_MAX_SIZE, backend.port(p), counters(counters, name,
                "p" + p));
        }
        this.ctrl = new NetCtrlQueue(this, 2 * pairs, CTRL_QUEUE_SIZE, counters(counters, name, "ctrl"));
    }

    private static Counters<NetCounter> counters(CountersFile file, String name, String group) {
        return file == null ? new Counters<>(NetCounter.class)
            : file.counters(NetCounter.class, name + "." + group, CountersFile.TYPE_NET_QUEUE);
    }

    private void putLe16(int off, int v) {
        config[off] = (byte) v;
        config[off + 1] = (byte) (v >>> 8);
    }

    // ------------------------------------------------------------------ identity and configuration (control path)

    @Override
    public int deviceType() {
        return DEVICE_TYPE;
    }

    @Override
    public long deviceFeatures() {
        return deviceFeatures;
    }

    @Override
    public int queueCount() {
        return 2 * pairs.length + 1;
    }

    public int pairCount() {
        return pairs.length;
    }

    @Override
    public int queueMaxSize(int queue) {
        if (queue < 0 || queue >= queueCount()) {
            throw new IllegalArgumentException("no such queue: queue=" + queue + ", queueCount=" + queueCount());
        }
        return queue == ctrlIndex() ? CTRL_QUEUE_SIZE : QUEUE_MAX_SIZE;
    }

    private int ctrlIndex() {
        return 2 * pairs.length;
    }

    @Override
    public int configSize() {
        return NetConfigLayout.SIZE;
    }

    @Override
    public int readConfig(int offset, int size) {
        return ConfigBytes.read(config, offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, int value) {
        // §5.1.4: the configuration is read-only for a VERSION_1 driver (the MAC changes through the control queue).
    }

    /** The MTU frames are checked against (the one offered, or 1500). */
    public int mtu() {
        return mtu;
    }

    public NetBackend backend() {
        return backend;
    }

    // ------------------------------------------------------------------ queues owned by agents

    @Override
    public PolledQueue polledQueue(int queue) {
        return queue == ctrlIndex() ? ctrl : pairs[queue / 2];
    }

    /** The distinct polled queues, each once: the pairs, then the control queue. Place these on agents. */
    public PolledQueue[] distinctPolledQueues() {
        PolledQueue[] all = new PolledQueue[pairs.length + 1];
        System.arraycopy(pairs, 0, all, 0, pairs.length);
        all[pairs.length] = ctrl;
        return all;
    }

    @Override
    public void activateQueue(int queue, long features, SplitQueue split, VirtioInterrupt interrupt) {
        long f = features & deviceFeatures;
        if (queue == ctrlIndex()) {
            rxFilter = RxFilter.ACCEPT_ALL;
            ctrl.activate(split, interrupt, f);
            return;
        }
        if (queue == 0) {
            backend.negotiated(f);
            backend.activePairs(1);
        }
        if (split == null) {
            return;
        }
        if (queue % 2 == 0) {
            pairs[queue / 2].activateRx(split, interrupt, f);
        } else {
            pairs[queue / 2].activateTx(split, interrupt, f);
        }
    }

    @Override
    public void resetQueue(int queue) {
        if (queue == ctrlIndex()) {
            ctrl.reset();
            rxFilter = RxFilter.ACCEPT_ALL;
        } else if (queue % 2 == 0) {
            pairs[queue / 2].resetRx();
        } else {
            pairs[queue / 2].resetTx();
        }
    }

    // ------------------------------------------------------------------ direct use on one thread

    @Override
    public void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
        for (int q = 0; q < queueCount(); q++) {
            activateQueue(q, features, q < queues.length ? queues[q] : null, interrupt);
        }
    }

    /** Serves queue {@code queue}'s pair (or the control queue) once on the caller's thread. */
    @Override
    public void processQueue(int queue) {
        if (queue >= 0 && queue < queueCount()) {
            polledQueue(queue).poll();
        }
    }

    @Override
    public void reset() {
        for (int q = 0; q < queueCount(); q++) {
            resetQueue(q);
        }
    }

    /** Closes the queues' eventfds (after reset, agents stopped). The back end is the caller's. */
    @Override
    public void close() {
        for (NetQueuePair p : pairs) {
            p.close();
        }
        ctrl.close();
        faultLog.summary();
    }

    // ------------------------------------------------------------------ for the queues

    RxFilter rxFilter() {
        return rxFilter;
    }

    void rxFilter(RxFilter f) {
        rxFilter = f;
    }

    /** The current receive filter (any thread). */
    public RxFilter currentRxFilter() {
        return rxFilter;
    }

    /** Whether a frame to {@code dst} (a 48-bit MAC, -1 for a runt) passes the driver's filter. */
    boolean accepts(long dst) {
        return dst >= 0 && rxFilter.accepts(dst, mac);
    }

    /** MQ VQ_PAIRS_SET: false when outside 1..pairs. */
    boolean activePairs(int n) {
        if (n < 1 || n > pairs.length) {
            return false;
        }
        backend.activePairs(n);
        return true;
    }

    /** The guest-fault log; the embedder names the device as its user knows it. */
    public FaultLog faultLog() {
        return faultLog;
    }

    void logChainError(int queue, QueueError code, DescriptorChain chain) {
        if (faultLog.admit()) {
            faultLog.log(queue, code.describe(), "head " + chain.headId() + ", descriptor " + chain.errorIndex()
                + ", value 0x" + Long.toHexString(chain.errorValue()), "dropped");
        }
    }

    void logQueueBroken(int queue, QueueError code, long value) {
        if (faultLog.admit()) {
            faultLog.log(queue, code.describe(), "value 0x" + Long.toHexString(value), "device needs reset");
        }
    }

    // ------------------------------------------------------------------ counters

    /** Counter {@code c} summed over the pairs and the control queue (any thread). */
    public long sum(NetCounter c) {
        long total = ctrl.counters().get(c);
        for (NetQueuePair p : pairs) {
            total += p.counters().get(c);
        }
        return total;
    }

    /** Counter {@code c} of pair {@code pair}. */
    public long pairCounter(int pair, NetCounter c) {
        return pairs[pair].counters().get(c);
    }

    /** The sums, then per pair with a {@code pN.} prefix when there are several. */
    @Override
    public void report(StatsSink sink) {
        List<Counters<NetCounter>> all = new ArrayList<>(pairs.length + 1);
        for (NetQueuePair p : pairs) {
            all.add(p.counters());
        }
        all.add(ctrl.counters());
        Counters.reportSum(NetCounter.class, sink, all);
        if (pairs.length > 1) {
            for (NetQueuePair p : pairs) {
                String prefix = "p" + p.pair() + ".";
                p.counters().report((name, value) -> sink.counter(prefix + name, value));
            }
        }
    }
}
