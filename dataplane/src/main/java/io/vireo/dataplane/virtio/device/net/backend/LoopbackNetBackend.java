package io.vireo.dataplane.virtio.device.net.backend;

import io.vireo.sys.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The network counterpart of {@code null:}: every frame a pair transmits comes back on its receive queue with the
 * destination and source MAC addresses swapped, so the guest sees its own traffic answered and the data plane is
 * measured alone. Each pair has a byte ring of frames (header included); while the ring is nearly full the pair stops
 * taking transmit chains (they wait in the ring), and while the guest posts no receive buffers the frames wait here.
 *
 * <p>Offloads are carried as they are: a frame with a checksum to complete or segments to cut goes back only to a
 * driver that can take it (GUEST_CSUM, GUEST_TSO4/6, GUEST_USO); otherwise it is dropped and counted as a back end
 * drop.
 */
public final class LoopbackNetBackend implements NetBackend {
    /** Bytes of each pair's frame ring. */
    public static final int RING_BYTES = 1 << 20;
    private static final int RECORD_HEADER = 8;
    private static final long MAX_RECORD = RECORD_HEADER + NetHeaderLayout.SIZE + NetHeaderLayout.MAX_GSO_FRAME + 8;

    private final Arena arena = Arena.ofShared();
    private final Port[] ports;
    private volatile long guestFeatures;

    /** @param pairs the queue pairs it serves */
    public LoopbackNetBackend(int pairs) {
        ports = new Port[pairs];
        for (int p = 0; p < pairs; p++) {
            ports[p] = new Port(arena.allocate(RING_BYTES, 8));
        }
    }

    @Override
    public int maxPairs() {
        return ports.length;
    }

    @Override
    public long offloadFeatures() {
        return NetFeatures.CSUM_AND_TSO | NetFeatures.USO;
    }

    @Override
    public NetPort port(int pair) {
        return ports[pair];
    }

    @Override
    public void negotiated(long features) {
        guestFeatures = features;
    }

    @Override
    public void activePairs(int pairs) {
        // Frames return on the pair that sent them: nothing waits on a pair the driver does not use.
    }

    @Override
    public String describe() {
        return "loopback (" + ports.length + " pair" + (ports.length == 1 ? "" : "s") + ", MACs swapped)";
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Frames waiting in pair {@code pair}'s ring (tests). */
    public int waiting(int pair) {
        return ports[pair].frames;
    }

    /** Whether the driver can take a frame whose header says {@code flags} and {@code gso}. */
    private boolean receivable(int flags, int gso) {
        long f = guestFeatures;
        if ((flags & NetHeaderLayout.F_NEEDS_CSUM) != 0 && (f & NetFeatures.GUEST_CSUM) == 0) {
            return false;
        }
        return switch (gso & ~NetHeaderLayout.GSO_ECN) {
            case NetHeaderLayout.GSO_NONE -> true;
            case NetHeaderLayout.GSO_TCPV4 -> (f & NetFeatures.GUEST_TSO4) != 0;
            case NetHeaderLayout.GSO_TCPV6 -> (f & NetFeatures.GUEST_TSO6) != 0;
            case NetHeaderLayout.GSO_UDP_L4 -> (f & (NetFeatures.GUEST_USO4 | NetFeatures.GUEST_USO6)) != 0;
            default -> false;
        };
    }

    /**
     * One pair's ring: records {@code [len u32, pad u32, bytes padded to 8]} between {@code head} (next to receive)
     * and {@code tail} (next to send), both running byte counts; a record that would cross the end is preceded by a
     * wrap marker (len -1). Owner thread only.
     */
    private final class Port implements NetPort {
        private final MemorySegment ring;
        private long head;
        private long tail;
        private int frames;

        Port(MemorySegment ring) {
            this.ring = ring;
        }

        @Override
        public boolean canSend() {
            // Room for the largest record, and for the wrap gap before it.
            return RING_BYTES - (tail - head) >= 2 * MAX_RECORD;
        }

        @Override
        public int send(MemorySegment iov, int iovCount, long bytes) {
            if (!canSend() || bytes > MAX_RECORD - RECORD_HEADER - 8) {
                return -Errno.EAGAIN;
            }
            int pos = (int) (tail % RING_BYTES);
            long total = RECORD_HEADER + align8(bytes);
            if (RING_BYTES - pos < total) {
                ring.set(ValueLayout.JAVA_INT, pos, -1);
                tail += RING_BYTES - pos;
                pos = 0;
            }
            GuestIovecs.gather(iov, iovCount, bytes, ring, pos + RECORD_HEADER);
            long h = pos + RECORD_HEADER;
            int flags = ring.get(ValueLayout.JAVA_BYTE, h + NetHeaderLayout.FLAGS_OFFSET) & 0xff;
            int gso = ring.get(ValueLayout.JAVA_BYTE, h + NetHeaderLayout.GSO_TYPE_OFFSET) & 0xff;
            if (!receivable(flags, gso)) {
                return -Errno.EINVAL;
            }
            // Swap destination and source MAC: the reply goes back to its sender.
            long frame = h + NetHeaderLayout.size(guestFeatures);
            for (int k = 0; k < 6; k++) {
                byte d = ring.get(ValueLayout.JAVA_BYTE, frame + k);
                ring.set(ValueLayout.JAVA_BYTE, frame + k, ring.get(ValueLayout.JAVA_BYTE, frame + 6 + k));
                ring.set(ValueLayout.JAVA_BYTE, frame + 6 + k, d);
            }
            ring.set(ValueLayout.JAVA_INT, pos, (int) bytes);
            tail += total;
            frames++;
            return 0;
        }

        /** Position of the next record, past a wrap marker; -1 when the ring is empty. */
        private int front() {
            if (head == tail) {
                return -1;
            }
            int pos = (int) (head % RING_BYTES);
            if (ring.get(ValueLayout.JAVA_INT, pos) < 0) {
                head += RING_BYTES - pos;
                pos = 0;
            }
            return pos;
        }

        @Override
        public long nextFrameBytes() {
            int pos = front();
            return pos < 0 ? 0 : ring.get(ValueLayout.JAVA_INT, pos);
        }

        @Override
        public long receive(MemorySegment iov, int iovCount) {
            int pos = front();
            if (pos < 0) {
                return 0;
            }
            int len = ring.get(ValueLayout.JAVA_INT, pos);
            long copied = GuestIovecs.scatter(ring, pos + RECORD_HEADER, len, iov, iovCount);
            dropNext();
            return copied == len ? len : -Errno.EFAULT;
        }

        @Override
        public void dropNext() {
            int pos = front();
            if (pos >= 0) {
                head += RECORD_HEADER + align8(ring.get(ValueLayout.JAVA_INT, pos));
                frames--;
            }
        }

        @Override
        public int readinessFd() {
            return -1;
        }
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
