package io.vireo.dataplane.virtio.device.net.backend;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;
import io.vireo.sys.Tun;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A tap interface ({@code /dev/net/tun}, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, and IFF_MULTI_QUEUE for more than one
 * pair): one tap queue fd per queue pair, a 12-byte virtio-net header on every frame (TUNSETVNETHDRSZ), the offloads
 * the driver can receive set with TUNSETOFFLOAD from its GUEST_* features. Frames move with one {@code writev} /
 * {@code readv} each, straight on guest buffers; each fd is slept on by its pair's agent (edge-triggered), and queues
 * of pairs the driver does not use are detached (TUNSETQUEUE) so no frame waits where nobody reads.
 */
public final class TapNetBackend implements NetBackend {
    private static final System.Logger LOG = System.getLogger(TapNetBackend.class.getName());

    private final String name;
    private final int[] fds;
    private final boolean multiQueue;
    private final long offloads;
    private final int mtu;
    private final boolean[] attached;
    private final Port[] ports;
    private final Arena arena = Arena.ofShared();

    private TapNetBackend(String name, int[] fds, boolean multiQueue, long offloads, int mtu) {
        this.name = name;
        this.fds = fds;
        this.multiQueue = multiQueue;
        this.offloads = offloads;
        this.mtu = mtu;
        this.attached = new boolean[fds.length];
        java.util.Arrays.fill(attached, true);
        this.ports = new Port[fds.length];
        MemorySegment scratch = arena.allocate(NetHeaderLayout.SIZE + NetHeaderLayout.MAX_GSO_FRAME, 8);
        MemorySegment scratchIov = arena.allocate(16, 8);
        scratchIov.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, scratch.address());
        scratchIov.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, scratch.byteSize());
        for (int q = 0; q < fds.length; q++) {
            ports[q] = new Port(fds[q], scratchIov.asSlice(0, 16));
        }
    }

    /**
     * Opens tap {@code name} with {@code queues} queues (creating it when it does not exist) and, when {@code mtu} is
     * not 0, sets its MTU.
     *
     * @throws IllegalArgumentException one line naming the tap and the reason (no permission, bad name, exists with
     *                                  other flags)
     */
    public static TapNetBackend open(String name, int queues, int mtu) {
        if (queues < 1) {
            throw new IllegalArgumentException("tap " + name + ": queues must be at least 1: " + queues);
        }
        int flags = Tun.IFF_TAP | Tun.IFF_NO_PI | Tun.IFF_VNET_HDR | (queues > 1 ? Tun.IFF_MULTI_QUEUE : 0);
        int[] fds = new int[queues];
        int opened = 0;
        try {
            for (int q = 0; q < queues; q++) {
                fds[q] = Tun.openTap(name, flags);
                opened++;
                Tun.setVnetHeaderSize(fds[q], NetHeaderLayout.SIZE);
            }
            long offloads = 0;
            if (Tun.setOffloadRaw(fds[0], Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6) == 0) {
                offloads = NetFeatures.CSUM_AND_TSO;
                if (Tun.setOffloadRaw(fds[0], Tun.TUN_F_CSUM | Tun.TUN_F_USO4 | Tun.TUN_F_USO6) == 0) {
                    offloads |= NetFeatures.USO;
                }
            }
            // Nothing offloaded towards the guest until its features say it can take it.
            Tun.setOffloadRaw(fds[0], 0);
            if (mtu != 0) {
                Tun.setMtu(name, mtu);
            }
            int actual = Tun.mtu(name);
            return new TapNetBackend(name, fds, queues > 1, offloads, actual);
        } catch (SysException e) {
            for (int q = 0; q < opened; q++) {
                Libc.closeQuietly(fds[q]);
            }
            throw new IllegalArgumentException(explain(name, queues, e), e);
        } catch (IllegalArgumentException e) {
            for (int q = 0; q < opened; q++) {
                Libc.closeQuietly(fds[q]);
            }
            throw new IllegalArgumentException("tap " + name + ": " + e.getMessage(), e);
        }
    }

    private static String explain(String name, int queues, SysException e) {
        String why = switch (e.errno()) {
            case Errno.EPERM, Errno.EACCES -> "no permission (opening or creating a tap needs CAP_NET_ADMIN)";
            case Errno.ENOENT, Errno.ENODEV -> "no /dev/net/tun (is the tun module loaded?)";
            case Errno.EINVAL -> queues > 1 ? "exists without multi_queue, or is not a tap (queues=" + queues
                + " needs 'ip tuntap add " + name + " mode tap multi_queue')" : "exists as a multi-queue tap or is "
                + "not a tap (give queues=N, or use another name)";
            case Errno.EBUSY -> "already in use by another process";
            default -> e.getMessage();
        };
        return "tap " + name + ": " + why + " [" + e.getMessage() + "]";
    }

    /** The tap's MTU when it was opened (set, or as it was). */
    public int mtu() {
        return mtu;
    }

    public String name() {
        return name;
    }

    @Override
    public int maxPairs() {
        return fds.length;
    }

    @Override
    public long offloadFeatures() {
        return offloads;
    }

    @Override
    public NetPort port(int pair) {
        return ports[pair];
    }

    @Override
    public void negotiated(long features) {
        for (int fd : fds) {
            // 12 bytes for virtio 1.x (or MRG_RXBUF), 10 for a legacy driver without it (pitfall: the tap's default).
            int rc = Tun.setVnetHeaderSizeRaw(fd, NetHeaderLayout.size(features));
            if (rc < 0) {
                LOG.log(Level.WARNING, "tap " + name + ": TUNSETVNETHDRSZ failed: " + Errno.name(-rc));
            }
        }
        int tun = 0;
        // Pitfall: TUNSETOFFLOAD says what the guest can receive, so it follows the GUEST_* bits it acked; segments
        // need the checksum offload too.
        if ((features & NetFeatures.GUEST_CSUM) != 0) {
            tun |= Tun.TUN_F_CSUM;
            tun |= (features & NetFeatures.GUEST_TSO4) != 0 ? Tun.TUN_F_TSO4 : 0;
            tun |= (features & NetFeatures.GUEST_TSO6) != 0 ? Tun.TUN_F_TSO6 : 0;
            tun |= (features & NetFeatures.GUEST_USO4) != 0 ? Tun.TUN_F_USO4 : 0;
            tun |= (features & NetFeatures.GUEST_USO6) != 0 ? Tun.TUN_F_USO6 : 0;
        }
        int rc = Tun.setOffloadRaw(fds[0], tun);
        if (rc < 0) {
            LOG.log(Level.WARNING, "tap " + name + ": TUNSETOFFLOAD 0x" + Integer.toHexString(tun) + " failed: "
                + Errno.name(-rc) + "; the guest gets no receive offloads");
            Tun.setOffloadRaw(fds[0], 0);
        }
    }

    @Override
    public synchronized void activePairs(int pairs) {
        if (!multiQueue) {
            return;
        }
        for (int q = 0; q < fds.length; q++) {
            boolean want = q < pairs;
            if (want != attached[q]) {
                int rc = Tun.setQueueRaw(fds[q], want ? Tun.IFF_ATTACH_QUEUE : Tun.IFF_DETACH_QUEUE);
                if (rc < 0) {
                    LOG.log(Level.WARNING, "tap " + name + ": TUNSETQUEUE " + (want ? "attach" : "detach")
                        + " queue " + q + " failed: " + Errno.name(-rc));
                } else {
                    attached[q] = want;
                }
            }
        }
    }

    @Override
    public String describe() {
        return "tap " + name + " (" + fds.length + " queue" + (fds.length == 1 ? "" : "s") + ", mtu " + mtu
            + (offloads != 0 ? ", offloads" : "") + ")";
    }

    @Override
    public void close() {
        for (int fd : fds) {
            Libc.closeQuietly(fd);
        }
        arena.close();
    }

    /** One tap queue. The agent's thread only. */
    private static final class Port implements NetPort {
        private final int fd;
        private final MemorySegment scratchIov;

        Port(int fd, MemorySegment scratchIov) {
            this.fd = fd;
            this.scratchIov = scratchIov;
        }

        @Override
        public boolean canSend() {
            return true;
        }

        @Override
        public int send(MemorySegment iov, int iovCount, long bytes) {
            long rc = Libc.writevRaw(fd, iov, iovCount);
            return rc < 0 ? (int) rc : 0;
        }

        @Override
        public long nextFrameBytes() {
            return -1;
        }

        @Override
        public long receive(MemorySegment iov, int iovCount) {
            long rc = Libc.readvRaw(fd, iov, iovCount);
            return rc == -Errno.EAGAIN ? 0 : rc;
        }

        @Override
        public void dropNext() {
            Libc.readvRaw(fd, scratchIov, 1);
        }

        @Override
        public int readinessFd() {
            return fd;
        }
    }
}
