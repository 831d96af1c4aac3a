package io.vireo.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * UNIX-domain stream sockets with descriptor passing ({@code SCM_RIGHTS}): what the JDK's {@code SocketChannel}
 * cannot do. socket/bind/listen/accept4/connect/socketpair/shutdown, and sendmsg/recvmsg with a control buffer of
 * file descriptors. Control-path calls: each may allocate (a confined arena per call).
 */
public final class Sockets {
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 04000;
    public static final int SOCK_CLOEXEC = 02000000;
    public static final int SOL_SOCKET = 1;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RDWR = 2;

    private static final MethodHandle SOCKET = Native.capturing("socket",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = Native.capturing("socketpair",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle BIND = Native.capturing("bind",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = Native.capturing("connect",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Native.capturing("listen",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Native.capturing("accept4",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Native.capturing("shutdown",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SENDMSG = Native.capturing("sendmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = Native.capturing("recvmsg",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    private Sockets() {
    }

    /** {@code socket(AF_UNIX, type, 0)}; {@code type} may carry SOCK_CLOEXEC / SOCK_NONBLOCK. */
    public static int socketUnix(final int type) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try {
            fd = (int) SOCKET.invokeExact(capture, AF_UNIX, type, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("socket(AF_UNIX)", Native.errno(capture));
        }
        return fd;
    }

    /** {@code socket(domain, type, 0)} (interface ioctls want an AF_INET datagram socket). */
    public static int socket(final int domain, final int type) {
        final MemorySegment capture = Native.capture();
        final int fd;
        try {
            fd = (int) SOCKET.invokeExact(capture, domain, type, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new SysException("socket(" + domain + ", " + type + ")", Native.errno(capture));
        }
        return fd;
    }

    /** A connected pair of UNIX stream sockets (close-on-exec). */
    public static int[] socketPair() {
        final MemorySegment capture = Native.capture();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment sv = arena.allocate(JAVA_INT, 2);
            final int rc;
            try {
                rc = (int) SOCKETPAIR.invokeExact(capture, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc < 0) {
                throw new SysException("socketpair(AF_UNIX)", Native.errno(capture));
            }
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * Binds {@code fd} to a filesystem path.
     *
     * @throws IllegalArgumentException when the path does not fit sun_path (107 bytes and a NUL)
     */
    public static void bindUnix(final int fd, final String path) {
        addressCall(BIND, "bind", fd, path);
    }

    /** Connects {@code fd} to the socket at {@code path}. */
    public static void connectUnix(final int fd, final String path) {
        addressCall(CONNECT, "connect", fd, path);
    }

    private static void addressCall(final MethodHandle call, final String name, final int fd, final String path) {
        final byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        final long room = SockaddrUnLayout.SIZE - SockaddrUnLayout.SUN_PATH_OFFSET;
        if (bytes.length == 0 || bytes.length >= room) {
            throw new IllegalArgumentException("socket path must be 1 to " + (room - 1) + " bytes: length="
                + bytes.length + ", path=" + path);
        }
        final MemorySegment capture = Native.capture();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment addr = arena.allocate(SockaddrUnLayout.LAYOUT);
            addr.set(JAVA_SHORT, SockaddrUnLayout.SUN_FAMILY_OFFSET, (short) AF_UNIX);
            MemorySegment.copy(bytes, 0, addr, JAVA_BYTE, SockaddrUnLayout.SUN_PATH_OFFSET, bytes.length);
            final int rc;
            try {
                rc = (int) call.invokeExact(capture, fd, addr, (int) SockaddrUnLayout.SIZE);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc < 0) {
                throw new SysException(name + "(" + path + ")", Native.errno(capture));
            }
        }
    }

    public static void listen(final int fd, final int backlog) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) LISTEN.invokeExact(capture, fd, backlog);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (rc < 0) {
            throw new SysException("listen(" + fd + ")", Native.errno(capture));
        }
    }

    /** {@code accept4(fd, NULL, NULL, flags)}: the new descriptor, or {@code -errno}. */
    public static int accept4Raw(final int fd, final int flags) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) ACCEPT4.invokeExact(capture, fd, MemorySegment.NULL, MemorySegment.NULL, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : rc;
    }

    /** {@code shutdown(fd, how)}: 0 or {@code -errno} (a socket already gone is no error worth throwing). */
    public static int shutdownRaw(final int fd, final int how) {
        final MemorySegment capture = Native.capture();
        final int rc;
        try {
            rc = (int) SHUTDOWN.invokeExact(capture, fd, how);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return rc < 0 ? -Native.errno(capture) : 0;
    }

    /**
     * Sends {@code len} bytes of {@code buf} and, when {@code fds} is not empty, those descriptors as one SCM_RIGHTS
     * message (MSG_NOSIGNAL: a vanished peer is {@code -EPIPE}, not a signal).
     *
     * @return bytes sent, or {@code -errno}
     */
    public static long sendmsgRaw(final int fd, final MemorySegment buf, final long len, final int[] fds) {
        final MemorySegment capture = Native.capture();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment msg = message(arena, buf, len);
            if (fds.length > 0) {
                final long data = (long) fds.length * Integer.BYTES;
                final MemorySegment control = arena.allocate(CmsgHdrLayout.space(data), 8);
                control.set(JAVA_LONG, CmsgHdrLayout.CMSG_LEN_OFFSET, CmsgHdrLayout.SIZE + data);
                control.set(JAVA_INT, CmsgHdrLayout.CMSG_LEVEL_OFFSET, SOL_SOCKET);
                control.set(JAVA_INT, CmsgHdrLayout.CMSG_TYPE_OFFSET, SCM_RIGHTS);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, CmsgHdrLayout.SIZE + (long) i * Integer.BYTES, fds[i]);
                }
                msg.set(JAVA_LONG, MsgHdrLayout.MSG_CONTROL_OFFSET, control.address());
                msg.set(JAVA_LONG, MsgHdrLayout.MSG_CONTROLLEN_OFFSET, control.byteSize());
            }
            final long rc;
            try {
                rc = (long) SENDMSG.invokeExact(capture, fd, msg, MSG_NOSIGNAL);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            return rc < 0 ? -Native.errno(capture) : rc;
        }
    }

    /**
     * Receives up to {@code len} bytes into {@code buf} and any SCM_RIGHTS descriptors into {@code fds}
     * (close-on-exec); unused entries are set to -1. At most {@code fds.length} descriptors are kept: the rest are
     * closed. A caller that accepts N descriptors passes an array of N + 1 to see that there were too many.
     *
     * @return bytes received (0 = the peer closed), or {@code -errno}
     */
    public static long recvmsgRaw(final int fd, final MemorySegment buf, final long len, final int[] fds) {
        Arrays.fill(fds, -1);
        final MemorySegment capture = Native.capture();
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment msg = message(arena, buf, len);
            final long room = CmsgHdrLayout.space((long) fds.length * Integer.BYTES);
            final MemorySegment control = arena.allocate(room, 8);
            msg.set(JAVA_LONG, MsgHdrLayout.MSG_CONTROL_OFFSET, control.address());
            msg.set(JAVA_LONG, MsgHdrLayout.MSG_CONTROLLEN_OFFSET, control.byteSize());
            final long rc;
            try {
                rc = (long) RECVMSG.invokeExact(capture, fd, msg, MSG_CMSG_CLOEXEC);
            } catch (Throwable t) {
                throw Native.rethrow(t);
            }
            if (rc < 0) {
                return -Native.errno(capture);
            }
            collectFds(msg, control, fds);
            return rc;
        }
    }

    private static void collectFds(final MemorySegment msg, final MemorySegment control, final int[] fds) {
        final long controlLen = msg.get(JAVA_LONG, MsgHdrLayout.MSG_CONTROLLEN_OFFSET);
        long at = 0;
        int n = 0;
        // CMSG_FIRSTHDR / CMSG_NXTHDR: walk every ancillary message the kernel filled in.
        while (at + CmsgHdrLayout.SIZE <= controlLen) {
            final long cmsgLen = control.get(JAVA_LONG, at + CmsgHdrLayout.CMSG_LEN_OFFSET);
            if (cmsgLen < CmsgHdrLayout.SIZE || at + cmsgLen > controlLen) {
                break;
            }
            if (control.get(JAVA_INT, at + CmsgHdrLayout.CMSG_LEVEL_OFFSET) == SOL_SOCKET
                && control.get(JAVA_INT, at + CmsgHdrLayout.CMSG_TYPE_OFFSET) == SCM_RIGHTS) {
                final long count = (cmsgLen - CmsgHdrLayout.SIZE) / Integer.BYTES;
                for (long i = 0; i < count; i++) {
                    final int got = control.get(JAVA_INT, at + CmsgHdrLayout.SIZE + i * Integer.BYTES);
                    if (n < fds.length) {
                        fds[n++] = got;
                    } else {
                        Libc.closeQuietly(got);
                    }
                }
            }
            at += (cmsgLen + 7) & ~7L;
        }
    }

    private static MemorySegment message(final Arena arena, final MemorySegment buf, final long len) {
        if (len < 0 || len > buf.byteSize()) {
            throw new IllegalArgumentException("length outside the buffer: len=" + len + ", byteSize="
                + buf.byteSize());
        }
        final MemorySegment iov = arena.allocate(IoVecLayout.LAYOUT);
        iov.set(JAVA_LONG, IoVecLayout.IOV_BASE_OFFSET, buf.address());
        iov.set(JAVA_LONG, IoVecLayout.IOV_LEN_OFFSET, len);
        final MemorySegment msg = arena.allocate(MsgHdrLayout.LAYOUT);
        msg.set(JAVA_LONG, MsgHdrLayout.MSG_IOV_OFFSET, iov.address());
        msg.set(JAVA_LONG, MsgHdrLayout.MSG_IOVLEN_OFFSET, 1);
        return msg;
    }
}
