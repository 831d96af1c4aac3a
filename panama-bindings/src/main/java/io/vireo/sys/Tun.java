package io.vireo.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * The tun/tap driver ({@code <linux/if_tun.h>}) and the two interface ioctls a tap needs (its MTU): open a tap queue
 * with a virtio-net header, set the header size and the offloads the guest can take, attach and detach queues of a
 * multi-queue tap. Control path only (each call may allocate a confined arena); the data path is
 * {@link Libc#readvRaw}/{@link Libc#writevRaw} on the fd.
 */
public final class Tun {
    public static final String DEVICE = "/dev/net/tun";

    public static final int IFF_TAP = 0x0002;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;
    public static final int IFF_MULTI_QUEUE = 0x0100;
    public static final int IFF_ATTACH_QUEUE = 0x0200;
    public static final int IFF_DETACH_QUEUE = 0x0400;

    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    public static final long TUNSETIFF = 0x400454caL;
    public static final long TUNSETOFFLOAD = 0x400454d0L;
    public static final long TUNGETIFF = 0x800454d2L;
    public static final long TUNSETVNETHDRSZ = 0x400454d8L;
    public static final long TUNSETQUEUE = 0x400454d9L;

    public static final long SIOCGIFMTU = 0x8921L;
    public static final long SIOCSIFMTU = 0x8922L;

    private Tun() {
    }

    /**
     * Opens {@code /dev/net/tun} (non-blocking, close-on-exec) and attaches it to tap {@code name} with
     * {@code flags} (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, maybe IFF_MULTI_QUEUE), creating the tap when it does not
     * exist (which needs CAP_NET_ADMIN). Returns the fd.
     *
     * @throws SysException naming the call and errno (EPERM: no permission; EINVAL: the tap exists with other flags,
     *                      e.g. multi-queue or not; EBUSY: a single-queue tap already in use)
     */
    public static int openTap(final String name, final int flags) {
        final int fd = Libc.open(DEVICE, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ifr = ifreq(arena, name);
            ifr.set(JAVA_SHORT, IfReqLayout.IFR_FLAGS_OFFSET, (short) flags);
            Libc.ioctl(fd, TUNSETIFF, ifr, "TUNSETIFF " + name);
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
        return fd;
    }

    /** TUNGETIFF: the flags the tap was attached with (IFF_MULTI_QUEUE, IFF_VNET_HDR, ...). */
    public static int flags(final int fd) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ifr = arena.allocate(IfReqLayout.LAYOUT);
            Libc.ioctl(fd, TUNGETIFF, ifr, "TUNGETIFF");
            return ifr.get(JAVA_SHORT, IfReqLayout.IFR_FLAGS_OFFSET) & 0xffff;
        }
    }

    /** TUNSETVNETHDRSZ: the bytes of virtio-net header before each frame (12 for virtio 1.x). */
    public static void setVnetHeaderSize(final int fd, final int bytes) {
        final int rc = setVnetHeaderSizeRaw(fd, bytes);
        if (rc < 0) {
            throw SysException.fromRaw("ioctl(TUNSETVNETHDRSZ)", rc);
        }
    }

    /** TUNSETVNETHDRSZ; returns 0 or {@code -errno} (the control path of a running device: no exception). */
    public static int setVnetHeaderSizeRaw(final int fd, final int bytes) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment v = arena.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, bytes);
            return (int) Libc.ioctlRaw(fd, TUNSETVNETHDRSZ, v);
        }
    }

    /** TUNSETOFFLOAD with {@code TUN_F_*} bits (passed by value); returns 0 or {@code -errno}. */
    public static int setOffloadRaw(final int fd, final int offloads) {
        return (int) Libc.ioctlRaw(fd, TUNSETOFFLOAD, offloads);
    }

    /** TUNSETQUEUE with IFF_ATTACH_QUEUE or IFF_DETACH_QUEUE; returns 0 or {@code -errno}. */
    public static int setQueueRaw(final int fd, final int flag) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ifr = arena.allocate(IfReqLayout.LAYOUT);
            ifr.set(JAVA_SHORT, IfReqLayout.IFR_FLAGS_OFFSET, (short) flag);
            return (int) Libc.ioctlRaw(fd, TUNSETQUEUE, ifr);
        }
    }

    /** SIOCGIFMTU on an AF_INET datagram socket: the interface's MTU. */
    public static int mtu(final String name) {
        return mtuCall(name, SIOCGIFMTU, 0);
    }

    /** SIOCSIFMTU: sets the interface's MTU (CAP_NET_ADMIN). */
    public static void setMtu(final String name, final int mtu) {
        mtuCall(name, SIOCSIFMTU, mtu);
    }

    private static int mtuCall(final String name, final long request, final int mtu) {
        final int sock = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM | Sockets.SOCK_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment ifr = ifreq(arena, name);
            ifr.set(JAVA_INT, IfReqLayout.IFR_MTU_OFFSET, mtu);
            Libc.ioctl(sock, request, ifr, (request == SIOCGIFMTU ? "SIOCGIFMTU " : "SIOCSIFMTU ") + name);
            return ifr.get(JAVA_INT, IfReqLayout.IFR_MTU_OFFSET);
        } finally {
            Libc.closeQuietly(sock);
        }
    }

    private static MemorySegment ifreq(final Arena arena, final String name) {
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length == 0 || bytes.length >= IfReqLayout.NAME_BYTES) {
            throw new IllegalArgumentException("interface name must be 1.." + (IfReqLayout.NAME_BYTES - 1)
                + " bytes: '" + name + "'");
        }
        final MemorySegment ifr = arena.allocate(IfReqLayout.LAYOUT);
        MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, IfReqLayout.IFR_NAME_OFFSET, bytes.length);
        return ifr;
    }
}
