package io.vireo.dataplane.vhostuser;

import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Test: the front end side of a vhost-user socket, byte by byte, so tests can send anything (hostile too). */
final class TestFrontEnd implements AutoCloseable {
    private final int fd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(8192, 8);

    TestFrontEnd(Path socket) {
        fd = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        Sockets.connectUnix(fd, socket.toString());
    }

    static ByteBuffer payload(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    void sendRaw(byte[] bytes, int[] fds) {
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        long r = Sockets.sendmsgRaw(fd, buf, bytes.length, fds);
        if (r != bytes.length) {
            throw new IllegalStateException("sendmsg: " + r);
        }
    }

    /** Sends a message; {@code needReply} sets NEED_REPLY. */
    void send(int request, boolean needReply, ByteBuffer payload, int... fds) {
        byte[] p = payload == null ? new byte[0] : payload.array();
        ByteBuffer m = payload(VhostUserLayout.HEADER_SIZE + p.length);
        m.putInt(request).putInt(VhostUserLayout.VERSION | (needReply ? VhostUserLayout.FLAG_NEED_REPLY : 0))
            .putInt(p.length).put(p);
        sendRaw(m.array(), fds);
    }

    /** Reads one reply; null if the back end closed the connection. Checks flags 0x5 and the request. */
    ByteBuffer reply(int request) {
        ByteBuffer h = read(VhostUserLayout.HEADER_SIZE);
        if (h == null) {
            return null;
        }
        int req = h.getInt();
        int flags = h.getInt();
        int size = h.getInt();
        if (req != request || flags != (VhostUserLayout.VERSION | VhostUserLayout.FLAG_REPLY)) {
            throw new IllegalStateException("bad reply header: request=" + req + " flags=0x"
                + Integer.toHexString(flags));
        }
        return size == 0 ? payload(0) : read(size);
    }

    long u64(int request) {
        ByteBuffer r = reply(request);
        if (r == null || r.capacity() != 8) {
            throw new IllegalStateException("no u64 reply to " + VhostUserLayout.name(request));
        }
        return r.getLong();
    }

    /** A message with NEED_REPLY, answered with the u64 ack (0 = success). */
    long call(int request, ByteBuffer payload, int... fds) {
        send(request, true, payload, fds);
        return u64(request);
    }

    private ByteBuffer read(int n) {
        int got = 0;
        while (got < n) {
            long r = Sockets.recvmsgRaw(fd, buf.asSlice(got), n - got, new int[1]);
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                return null;
            }
            got += (int) r;
        }
        ByteBuffer b = payload(n);
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b.array(), 0, n);
        return b;
    }

    /** The peer closed: a read returns end of stream. */
    boolean closedByPeer() {
        return read(1) == null;
    }

    void shutdownWrite() {
        Sockets.shutdownRaw(fd, 1);
    }

    static ByteBuffer state(int index, int num) {
        return payload(8).putInt(index).putInt(num);
    }

    static ByteBuffer u64Payload(long v) {
        return payload(8).putLong(v);
    }

    @Override
    public void close() {
        Libc.closeQuietly(fd);
        arena.close();
    }
}
