package io.vireo.dataplane.virtio.device.net;

import io.vireo.dataplane.virtio.device.net.backend.NetFeatures;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.stats.Counters;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.sys.Libc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The control virtqueue (virtio 1.2 §5.1.6.5): {@code {class u8, command u8}, data..., ack u8}. Serves receive mode
 * (CTRL_RX: promiscuous, all-multicast), the MAC tables (CTRL_RX: MAC_TABLE_SET) and the number of queue pairs (MQ:
 * VQ_PAIRS_SET); anything else, or a command whose feature was not negotiated, is answered VIRTIO_NET_ERR. Rare
 * traffic: it may allocate (a new {@link RxFilter} per command).
 */
final class NetCtrlQueue implements PolledQueue {
    static final int CLASS_RX = 0;
    static final int CMD_RX_PROMISC = 0;
    static final int CMD_RX_ALLMULTI = 1;
    static final int CLASS_MAC = 1;
    static final int CMD_MAC_TABLE_SET = 0;
    static final int CLASS_MQ = 4;
    static final int CMD_MQ_VQ_PAIRS_SET = 0;
    static final byte OK = 0;
    static final byte ERR = 1;
    /** The largest command read: two MAC tables of {@link RxFilter#TABLE_MAX}+ entries fit easily. */
    private static final int MAX_COMMAND = 4096;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final VirtioNetDevice device;
    private final int index;
    private final int kickFd;
    private final Counters<NetCounter> counters;
    private final DescriptorChain chain;
    private final MemorySegment command = MemorySegment.ofArray(new byte[MAX_COMMAND]);
    private final MemorySegment ack = MemorySegment.ofArray(new byte[1]);
    private SplitQueue queue;
    private VirtioInterrupt irq;
    private long features;
    private boolean broken;

    NetCtrlQueue(VirtioNetDevice device, int index, int depth, Counters<NetCounter> counters) {
        this.device = device;
        this.index = index;
        this.counters = counters;
        this.chain = new DescriptorChain(depth);
        this.kickFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
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
    public Counters<NetCounter> counters() {
        return counters;
    }

    @Override
    public void suppressNotifications() {
        if (queue != null && !broken) {
            queue.disableNotifications();
        }
    }

    @Override
    public boolean armNotifications() {
        return queue != null && !broken && queue.enableNotificationsAndCheck();
    }

    void activate(SplitQueue split, VirtioInterrupt interrupt, long negotiated) {
        queue = split;
        irq = interrupt;
        features = negotiated;
        broken = false;
    }

    void reset() {
        queue = null;
        irq = null;
    }

    void close() {
        Libc.closeQuietly(kickFd);
    }

    @Override
    public int poll() {
        if (queue == null || broken) {
            return 0;
        }
        int done = 0;
        while (true) {
            QueueError rc = queue.popChain(chain);
            if (rc == QueueError.EMPTY) {
                break;
            }
            if (rc != QueueError.OK && !rc.isRequestError()) {
                broken = true;
                counters.increment(NetCounter.NEEDS_RESET);
                device.logQueueBroken(index, rc, queue.brokenValue());
                irq.needsReset(rc.name());
                break;
            }
            done++;
            counters.increment(NetCounter.CTRL_COMMANDS);
            if (rc != QueueError.OK) {
                counters.increment(NetCounter.CTRL_ERRORS);
                device.logChainError(index, rc, chain);
                queue.pushUsed(chain.headId(), 0);
                continue;
            }
            if (chain.writableCount() == 0) {
                // No room for the ack: nothing can be answered (§5.1.6.5: the ack is the last, writable byte).
                counters.increment(NetCounter.CTRL_ERRORS);
                queue.pushUsed(chain.headId(), 0);
                continue;
            }
            byte status = execute();
            if (status != OK) {
                counters.increment(NetCounter.CTRL_ERRORS);
            }
            ack.set(ValueLayout.JAVA_BYTE, 0, status);
            chain.scatterWritable(0, ack, 0, 1);
            queue.pushUsed(chain.headId(), 1);
        }
        if (queue.nextUsedIdx() != queue.publishedUsedIdx()) {
            counters.increment(NetCounter.BATCHES);
            if (queue.publishUsed()) {
                counters.increment(NetCounter.INTERRUPTS);
                irq.signalUsed(index);
            }
        }
        return done;
    }

    private byte execute() {
        long len = Math.min(chain.totalReadable(), MAX_COMMAND);
        if (len < 2) {
            return ERR;
        }
        chain.gatherReadable(0, command, 0, len);
        int cls = command.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        int cmd = command.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
        long data = len - 2;
        if (cls == CLASS_RX && VirtioFeatures.has(features, NetFeatures.CTRL_RX)) {
            if (data < 1 || (cmd != CMD_RX_PROMISC && cmd != CMD_RX_ALLMULTI)) {
                return ERR;
            }
            boolean on = command.get(ValueLayout.JAVA_BYTE, 2) != 0;
            RxFilter f = device.rxFilter();
            device.rxFilter(cmd == CMD_RX_PROMISC ? f.withPromiscuous(on) : f.withAllMulticast(on));
            return OK;
        }
        if (cls == CLASS_MAC && cmd == CMD_MAC_TABLE_SET && VirtioFeatures.has(features, NetFeatures.CTRL_RX)) {
            return macTables(data);
        }
        if (cls == CLASS_MQ && cmd == CMD_MQ_VQ_PAIRS_SET && VirtioFeatures.has(features, NetFeatures.MQ)) {
            if (data < 2) {
                return ERR;
            }
            int pairs = command.get(LE_SHORT, 2) & 0xffff;
            // §5.1.6.5.5: 1 to max_virtqueue_pairs.
            return device.activePairs(pairs) ? OK : ERR;
        }
        return ERR;
    }

    /** §5.1.6.5.2: {@code le32 entries; u8 macs[entries][6]} for unicast, then the same for multicast. */
    private byte macTables(long data) {
        long at = 2;
        long[][] tables = new long[2][];
        for (int t = 0; t < 2; t++) {
            if (at + 4 > 2 + data) {
                return ERR;
            }
            long entries = command.get(LE_INT, at) & 0xffff_ffffL;
            at += 4;
            if (entries * 6 > 2 + data - at) {
                return ERR;
            }
            if (entries > RxFilter.TABLE_MAX) {
                tables[t] = null; // overflow: accept every address of that kind
            } else {
                long[] macs = new long[(int) entries];
                for (int i = 0; i < entries; i++) {
                    long v = 0;
                    for (int k = 0; k < 6; k++) {
                        v = (v << 8) | (command.get(ValueLayout.JAVA_BYTE, at + i * 6L + k) & 0xff);
                    }
                    macs[i] = v;
                }
                tables[t] = macs;
            }
            at += entries * 6;
        }
        RxFilter f = device.rxFilter();
        boolean uniOverflow = tables[0] == null;
        boolean multiOverflow = tables[1] == null;
        f = f.withTables(uniOverflow ? new long[0] : tables[0], multiOverflow ? new long[0] : tables[1]);
        if (uniOverflow) {
            f = f.withPromiscuous(true);
        }
        if (multiOverflow) {
            f = f.withAllMulticast(true);
        }
        device.rxFilter(f);
        return OK;
    }
}
