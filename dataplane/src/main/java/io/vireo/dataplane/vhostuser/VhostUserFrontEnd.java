package io.vireo.dataplane.vhostuser;

import static io.vireo.dataplane.vhostuser.VhostUserLayout.*;

import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.PollFdLayout;
import io.vireo.sys.Sockets;
import io.vireo.sys.SysException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;

/**
 * The front end side of one vhost-user connection (QEMU {@code docs/interop/vhost-user.rst}): sends requests with
 * their fds (SCM_RIGHTS) and reads the back end's replies, one request at a time, on the caller's thread (the control
 * path). The back end is a hostile peer: every reply is checked before it is used (flags exactly VERSION|REPLY, the
 * request it answers, its exact payload size, no fds, the vring index it names) and waited for at most
 * {@link #REPLY_TIMEOUT_MS}; anything else is a {@link VhostUserPeerException} with one line, and the connection is
 * closed. With REPLY_ACK negotiated, every request that has no reply of its own asks for an ack, so a refusal is seen
 * at the request that caused it.
 *
 * <p>A watcher thread sleeps in {@code poll(POLLRDHUP)} on the socket and tells {@link #onLost} once when the back end
 * goes away between requests (closed, killed): it never reads, so it cannot steal a reply.
 */
public final class VhostUserFrontEnd implements AutoCloseable {
    /** The longest a reply may take: a back end that answers slower is treated as gone. */
    public static final int REPLY_TIMEOUT_MS = 5_000;
    private static final short POLLRDHUP = 0x2000;
    private static final short POLLNVAL = 0x20;

    private final Path socket;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment out = arena.allocate(HEADER_SIZE + MAX_PAYLOAD, 8);
    private final MemorySegment in = arena.allocate(HEADER_SIZE + MAX_PAYLOAD, 8);
    private final int[] replyFds = new int[MAX_FDS + 1];
    private final int fd;
    private volatile boolean closed;
    /** close() holds one reference, a running watcher another: the last one out closes the fd and the buffers. */
    private final AtomicInteger references = new AtomicInteger(1);
    private boolean closeCalled;
    private volatile Runnable onLost;
    private long protocolFeatures;

    private VhostUserFrontEnd(Path socket, int fd) {
        this.socket = socket;
        this.fd = fd;
    }

    /**
     * Connects to the back end listening on {@code socket}.
     *
     * @throws VhostUserPeerException one line: nobody listens there, or the path is not a socket
     */
    public static VhostUserFrontEnd connect(Path socket) {
        int fd = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        try {
            Sockets.connectUnix(fd, socket.toString());
        } catch (SysException | IllegalArgumentException e) {
            Libc.closeQuietly(fd);
            String why = e instanceof SysException s && s.errno() == Errno.ECONNREFUSED ? "nobody listens there"
                : e instanceof SysException s && s.errno() == Errno.ENOENT ? "no such socket" : e.getMessage();
            throw new VhostUserPeerException("vhost-user " + socket + ": cannot connect (" + why + ")");
        }
        return new VhostUserFrontEnd(socket, fd);
    }

    public Path socket() {
        return socket;
    }

    /** False once the connection failed or was closed: every further request throws. */
    public boolean isOpen() {
        return !closed;
    }

    /** Protocol features both sides agreed on ({@link #setProtocolFeatures}). */
    public long protocolFeatures() {
        return protocolFeatures;
    }

    /** Starts the watcher: {@code lost} runs once, on the watcher's thread, if the back end goes away. */
    public synchronized void watch(String name, Runnable lost) {
        if (closed) {
            return;
        }
        onLost = lost;
        references.incrementAndGet();
        Thread.ofPlatform().name("vireo-vhost-user-watch-" + name).daemon(true).start(this::watchLoop);
    }

    private void watchLoop() {
        try {
            watchUntilGone();
        } finally {
            release();
        }
    }

    private void watchUntilGone() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(PollFdLayout.LAYOUT);
            while (!closed) {
                pfd.set(ValueLayout.JAVA_INT, PollFdLayout.FD_OFFSET, fd);
                pfd.set(ValueLayout.JAVA_SHORT, PollFdLayout.EVENTS_OFFSET, POLLRDHUP);
                pfd.set(ValueLayout.JAVA_SHORT, PollFdLayout.REVENTS_OFFSET, (short) 0);
                if (Libc.poll(pfd, 1, 500) <= 0) {
                    continue;
                }
                short revents = pfd.get(ValueLayout.JAVA_SHORT, PollFdLayout.REVENTS_OFFSET);
                if ((revents & (POLLRDHUP | Libc.POLLHUP | Libc.POLLERR | POLLNVAL)) != 0) {
                    break;
                }
            }
        }
        if (!closed) {
            closed = true;
            Runnable r = onLost;
            if (r != null) {
                r.run();
            }
        }
    }

    // ------------------------------------------------------------------ requests

    public synchronized long getFeatures() {
        return requestU64(GET_FEATURES);
    }

    public synchronized void setFeatures(long features) {
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE, features);
        send(SET_FEATURES, U64_SIZE, NO_FDS);
    }

    public synchronized long getProtocolFeatures() {
        return requestU64(GET_PROTOCOL_FEATURES);
    }

    /** Agrees on {@code features}; REPLY_ACK among them makes every later request acked. */
    public synchronized void setProtocolFeatures(long features) {
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE, features);
        send(SET_PROTOCOL_FEATURES, U64_SIZE, NO_FDS);
        protocolFeatures = features;
    }

    public synchronized void setOwner() {
        send(SET_OWNER, 0, NO_FDS);
    }

    public synchronized long getQueueNum() {
        return requestU64(GET_QUEUE_NUM);
    }

    /** GET_CONFIG for {@code size} bytes from offset 0: the reply must carry exactly what was asked for. */
    public synchronized byte[] getConfig(int size) {
        if (size < 1 || size > MAX_CONFIG_SIZE) {
            throw new IllegalArgumentException("config size " + size + " outside 1-" + MAX_CONFIG_SIZE);
        }
        out.asSlice(HEADER_SIZE, CONFIG_HEADER_SIZE + size).fill((byte) 0);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, size);
        write(GET_CONFIG, 0, CONFIG_HEADER_SIZE + size, NO_FDS);
        readReply(GET_CONFIG, CONFIG_HEADER_SIZE + size);
        int offset = in.get(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE);
        int got = in.get(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4);
        if (offset != 0 || got != size) {
            throw fail("GET_CONFIG reply for offset " + offset + ", size " + got + " (asked for 0, " + size + ")");
        }
        byte[] config = new byte[size];
        MemorySegment.copy(in, ValueLayout.JAVA_BYTE, HEADER_SIZE + CONFIG_HEADER_SIZE, config, 0, size);
        return config;
    }

    /** SET_MEM_TABLE: each region's gpa, size, our address and offset in {@code memfd}, which goes with each. */
    public synchronized void setMemTable(List<GuestRegion> regions, int memfd) {
        if (regions.isEmpty() || regions.size() > MAX_TABLE_REGIONS) {
            throw new IllegalArgumentException("1 to " + MAX_TABLE_REGIONS + " regions: " + regions.size());
        }
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE, regions.size());
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, 0);
        int[] fds = new int[regions.size()];
        for (int i = 0; i < regions.size(); i++) {
            GuestRegion r = regions.get(i);
            if (r.fileOffset() < 0) {
                throw new IllegalArgumentException("region at 0x" + Long.toHexString(r.gpa()) + " has no memfd");
            }
            long at = HEADER_SIZE + TABLE_HEADER_SIZE + (long) i * REGION_SIZE;
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, at, r.gpa());
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 8, r.sizeBytes());
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 16, r.segment().address());
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 24, r.fileOffset());
            fds[i] = memfd;
        }
        send(SET_MEM_TABLE, TABLE_HEADER_SIZE + regions.size() * REGION_SIZE, fds);
    }

    public synchronized void setVringNum(int index, int num) {
        vringState(SET_VRING_NUM, index, num);
    }

    public synchronized void setVringBase(int index, int base) {
        vringState(SET_VRING_BASE, index, base);
    }

    /** Ring addresses as this process's virtual addresses (no IOMMU: the back end translates them by user_addr). */
    public synchronized void setVringAddr(int index, long descUa, long usedUa, long availUa) {
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE, index);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, 0);
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE + 8, descUa);
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE + 16, usedUa);
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE + 24, availUa);
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE + 32, 0L);
        send(SET_VRING_ADDR, VRING_ADDR_SIZE, NO_FDS);
    }

    public synchronized void setVringKick(int index, int eventFd) {
        vringFile(SET_VRING_KICK, index, eventFd);
    }

    public synchronized void setVringCall(int index, int eventFd) {
        vringFile(SET_VRING_CALL, index, eventFd);
    }

    public synchronized void setVringEnable(int index, boolean enable) {
        vringState(SET_VRING_ENABLE, index, enable ? 1 : 0);
    }

    /** Stops the ring (the back end drains it first) and returns the next avail index it would have processed. */
    public synchronized int getVringBase(int index) {
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE, index);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, 0);
        write(GET_VRING_BASE, 0, VRING_STATE_SIZE, NO_FDS);
        readReply(GET_VRING_BASE, VRING_STATE_SIZE);
        int got = in.get(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE);
        int base = in.get(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4);
        if (got != index || base < 0 || base > 0xffff) {
            throw fail("GET_VRING_BASE reply names vring " + Integer.toUnsignedString(got) + " base "
                + Integer.toUnsignedString(base) + " (asked for vring " + index + ", a u16 base)");
        }
        return base;
    }

    private void vringState(int request, int index, int num) {
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE, index);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, HEADER_SIZE + 4, num);
        send(request, VRING_STATE_SIZE, NO_FDS);
    }

    private void vringFile(int request, int index, int eventFd) {
        if (index < 0 || index > VRING_INDEX_MASK) {
            throw new IllegalArgumentException("vring index " + index);
        }
        out.set(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE, eventFd >= 0 ? index : index | VRING_NOFD);
        send(request, U64_SIZE, eventFd >= 0 ? new int[] {eventFd} : NO_FDS);
    }

    // ------------------------------------------------------------------ framing

    private static final int[] NO_FDS = new int[0];

    private long requestU64(int request) {
        write(request, 0, 0, NO_FDS);
        readReply(request, U64_SIZE);
        return in.get(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE);
    }

    /** A request without a reply of its own: acked (and the ack checked) when REPLY_ACK was agreed. */
    private void send(int request, int size, int[] fds) {
        boolean ack = (protocolFeatures & PROTOCOL_F_REPLY_ACK) != 0;
        write(request, ack ? FLAG_NEED_REPLY : 0, size, fds);
        if (ack) {
            readReply(request, U64_SIZE);
            long status = in.get(ValueLayout.JAVA_LONG_UNALIGNED, HEADER_SIZE);
            if (status != 0) {
                throw fail(name(request) + " refused (ack status " + status + ")");
            }
        }
    }

    private void write(int request, int flags, int size, int[] fds) {
        if (closed) {
            throw new VhostUserPeerException("vhost-user " + socket + ": connection is closed (" + name(request)
                + ")");
        }
        out.set(ValueLayout.JAVA_INT_UNALIGNED, REQUEST_OFFSET, request);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, FLAGS_OFFSET, VERSION | flags);
        out.set(ValueLayout.JAVA_INT_UNALIGNED, SIZE_OFFSET, size);
        long total = HEADER_SIZE + size;
        long sent = 0;
        int[] withFds = fds;
        while (sent < total) {
            long r = Sockets.sendmsgRaw(fd, out.asSlice(sent), total - sent, withFds);
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                throw fail("sending " + name(request) + " failed: " + (r == 0 ? "nothing sent" : Errno.name((int) -r)));
            }
            sent += r;
            withFds = NO_FDS; // the fds travel with the first byte only
        }
    }

    /** Reads the reply to {@code request}: exactly {@code size} payload bytes, flags VERSION|REPLY, no fds. */
    private void readReply(int request, int size) {
        readExact(0, HEADER_SIZE, request);
        int got = in.get(ValueLayout.JAVA_INT_UNALIGNED, REQUEST_OFFSET);
        int flags = in.get(ValueLayout.JAVA_INT_UNALIGNED, FLAGS_OFFSET);
        int len = in.get(ValueLayout.JAVA_INT_UNALIGNED, SIZE_OFFSET);
        if (got != request) {
            throw fail("reply to " + name(request) + " is for " + name(got));
        }
        // vhost-user.rst "Header": a reply has the version and the REPLY flag, nothing else.
        if (flags != (VERSION | FLAG_REPLY)) {
            throw fail("reply to " + name(request) + " has flags 0x" + Integer.toHexString(flags) + " (not 0x5)");
        }
        if (len != size) {
            throw fail("reply to " + name(request) + " has " + Integer.toUnsignedString(len) + " payload bytes, not "
                + size);
        }
        if (size > 0) {
            readExact(HEADER_SIZE, size, request);
        }
    }

    private void readExact(int at, int len, int request) {
        int got = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(PollFdLayout.LAYOUT);
            long deadline = System.nanoTime() + REPLY_TIMEOUT_MS * 1_000_000L;
            while (got < len) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw fail("no reply to " + name(request) + " within " + REPLY_TIMEOUT_MS + " ms");
                }
                pfd.set(ValueLayout.JAVA_INT, PollFdLayout.FD_OFFSET, fd);
                pfd.set(ValueLayout.JAVA_SHORT, PollFdLayout.EVENTS_OFFSET, Libc.POLLIN);
                pfd.set(ValueLayout.JAVA_SHORT, PollFdLayout.REVENTS_OFFSET, (short) 0);
                if (Libc.poll(pfd, 1, (int) Math.min(left, Integer.MAX_VALUE)) <= 0) {
                    continue;
                }
                long r = Sockets.recvmsgRaw(fd, in.asSlice(at + got), len - got, replyFds);
                int fds = 0;
                for (int i = 0; i < replyFds.length; i++) {
                    if (replyFds[i] >= 0) {
                        Libc.closeQuietly(replyFds[i]);
                        replyFds[i] = -1;
                        fds++;
                    }
                }
                if (fds > 0) {
                    throw fail("reply to " + name(request) + " carries " + fds + " fds (none expected)");
                }
                if (r == -Errno.EINTR || r == -Errno.EAGAIN) {
                    continue;
                }
                if (r <= 0) {
                    throw fail("back end gone while waiting for the reply to " + name(request) + " ("
                        + (r == 0 ? "closed" : Errno.name((int) -r)) + ")");
                }
                got += (int) r;
            }
        }
    }

    /** Closes the connection and returns the exception to throw: after nonsense, nothing more is read from it. */
    private VhostUserPeerException fail(String why) {
        shutdown();
        return new VhostUserPeerException("vhost-user " + socket + ": " + why);
    }

    private void shutdown() {
        closed = true;
        Sockets.shutdownRaw(fd, Sockets.SHUT_RDWR);
    }

    /**
     * Closes the connection; the watcher, if any, ends without calling {@code onLost} (within its poll interval: not
     * waited for, so that a caller holding a lock {@code onLost} takes cannot deadlock with it).
     */
    @Override
    public void close() {
        synchronized (this) {
            shutdown();
            if (closeCalled) {
                return;
            }
            closeCalled = true;
        }
        release();
    }

    private void release() {
        if (references.decrementAndGet() == 0) {
            Libc.closeQuietly(fd);
            arena.close();
        }
    }
}
