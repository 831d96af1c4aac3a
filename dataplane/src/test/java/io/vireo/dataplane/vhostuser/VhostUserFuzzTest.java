package io.vireo.dataplane.vhostuser;

import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.sys.Errno;
import io.vireo.sys.Libc;
import io.vireo.sys.Sockets;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.vireo.dataplane.vhostuser.VhostUserLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the vhost-user back end over its real socket (issue 18): each case is a stream of messages sent to a live
 * {@link VhostUserBackendServer}, either a valid session (handshake, memory table, a vring set up and started, config,
 * memory slots, GET_VRING_BASE, RESET_OWNER) with random mutations (request codes, flags, size fields, payload bytes
 * and fields, truncated frames, dropped, duplicated and inserted messages, fds replaced) or wholly random messages;
 * messages carry random fds: eventfds, memfds of random sizes, /dev/null, and an fd number closed and then reused.
 *
 * <p>Per case: the session ends without an exception escaping the server's loop; at most one refusal line per
 * message the server read; a well-behaved front end is served afterwards (GET_FEATURES and GET_PROTOCOL_FEATURES on
 * every case, a GET_ID through a started ring on every 25th); once the sessions are gone, no eventfd, memfd,
 * /dev/null or socket fd more than before the batch is open, and no memfd is mapped. Tries:
 * {@code jqwik.tries.default} (400 in the normal run; {@code -Djqwik.tries.default=100000} for a long one).
 */
class VhostUserFuzzTest {
    private static final long RAM = 1 << 20;
    private static final long UA = 0x7f00_0000_0000L;
    private static final int QSIZE = 16;
    private static final int[] KNOWN = {GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE,
        SET_LOG_BASE, SET_LOG_FD, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK,
        SET_VRING_CALL, SET_VRING_ERR, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE,
        GET_CONFIG, SET_CONFIG, GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG, 0, 19, 20, 21, 22, 23, 26, 39, 40};
    private static final AtomicLong CASES = new AtomicLong();
    private static final AtomicLong FRAMES = new AtomicLong();
    private static final AtomicLong READ = new AtomicLong();
    private static final AtomicLong REFUSED = new AtomicLong();
    private static final AtomicLong FDS = new AtomicLong();
    private static final AtomicLong CUT = new AtomicLong();
    private static final AtomicLong GET_IDS = new AtomicLong();
    private static final AtomicLong MAPS_DELTA = new AtomicLong();

    enum Kind { EVENTFD, MEMFD, DEV_NULL, REUSED }

    /** An fd to attach: {@code size} for memfds. */
    record Fd(Kind kind, long size) {
    }

    /** One frame: {@code sizeField} may disagree with the payload; {@code cut} &gt;= 0 sends only that many bytes. */
    record Msg(int request, int flags, int sizeField, byte[] payload, List<Fd> fds, int cut) {
        Msg(int request, boolean ack, ByteBuffer p, Fd... fds) {
            this(request, VERSION | (ack ? FLAG_NEED_REPLY : 0), p == null ? 0 : p.capacity(),
                p == null ? new byte[0] : p.array(), List.of(fds), -1);
        }

        Msg with(int newRequest, int newFlags, int newSize, byte[] newPayload, List<Fd> newFds, int newCut) {
            return new Msg(newRequest, newFlags, newSize, newPayload, newFds, newCut);
        }
    }

    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong gone = new AtomicLong();
    private TestBlkServer fixture;
    private VhostUserBackendServer server;
    private Path dir;
    private Map<String, Integer> fdsBefore;
    private Map<String, Integer> fdsBaseline;
    private int mapsBefore;
    private int memfdMapsBaseline;

    @BeforeProperty
    void start() throws IOException {
        fdsBefore = openFds();
        mapsBefore = mapsLines();
        dir = Files.createTempDirectory("vireo-vfuzz");
        fixture = new TestBlkServer(dir.resolve("vhu.sock"), line -> {
            if (line.contains("front end gone")) {
                gone.incrementAndGet();
            }
            lines.add(line);
        });
        server = fixture.server;
        // Warm-up: one good session, so that what the first one opens for good (classes, the agent) is in the baseline.
        VhostUserBackendServerTest.serveGoodFrontEnd(server.socket());
        awaitSessionsGone();
        fdsBaseline = openFds();
        memfdMapsBaseline = memfdMappings();
    }

    @AfterProperty
    void stop() throws IOException {
        fixture.close();
        Files.deleteIfExists(dir);
        assertEquals(fdsBefore, openFds(), "the server, its sessions and the data plane closed every fd they opened");
        MAPS_DELTA.set(mapsLines() - mapsBefore);
    }

    @Property
    void shouldRefuseOnceAndKeepServingWithoutLeaksWhateverTheFrontEndSends(@ForAll long seed,
                                                                           @ForAll @IntRange(max = 2) int mode,
                                                                           @ForAll @IntRange(max = 6) int mutations) {
        long n = CASES.incrementAndGet();
        Random rnd = new Random(seed);
        List<Msg> stream = switch (mode) {
            case 0 -> mutate(validSession(rnd.nextInt(3)), mutations + 1, rnd);
            case 1 -> mutate(validSession(rnd.nextInt(2)), mutations, rnd);
            default -> randomStream(rnd);
        };
        int firstLine = lines.size();
        long readBefore = server.messages();
        sendAndHangUp(stream);
        awaitSessionsGone();
        List<String> now = caseLines(firstLine);
        long read = server.messages() - readBefore;
        READ.addAndGet(read);
        long refused = now.stream().filter(l -> l.startsWith("vhost-user: refused")).count();
        REFUSED.addAndGet(refused);
        assertTrue(now.stream().noneMatch(l -> l.contains("session failed")), () -> "an exception escaped: " + now);
        // Messages the server handled, plus the one that ended the session (a refused frame is not counted).
        assertTrue(refused <= read + 1, () -> refused + " refusal lines for " + read + " messages read: " + now);

        try (TestFrontEnd fe = new TestFrontEnd(server.socket())) {
            fe.send(GET_FEATURES, false, null);
            assertTrue((fe.u64(GET_FEATURES) & F_PROTOCOL_FEATURES) != 0);
            fe.send(GET_PROTOCOL_FEATURES, false, null);
            assertEquals(VhostUserBackendSession.OFFERED_PROTOCOL_FEATURES, fe.u64(GET_PROTOCOL_FEATURES));
        }
        if (n % 25 == 0) {
            VhostUserBackendServerTest.serveGoodFrontEnd(server.socket());
            GET_IDS.incrementAndGet();
        }
        awaitSessionsGone();
        assertEquals(fdsBaseline, openFds(), "fds open once the sessions are gone");
        assertEquals(memfdMapsBaseline, memfdMappings(), "memfd mappings once the sessions are gone");
    }

    /**
     * Found by this suite: a header whose size field promises more payload than its frame has swallows the frames
     * after it; the fds of the second and later segments of that read were overwritten by the next recvmsg and never
     * closed (three memfds and an eventfd leaked in the first failing case).
     */
    @Example
    void regressionAPayloadThatSwallowedLaterFramesLeakedTheirFds() {
        ByteBuffer lying = p(8).putInt(0).putInt(QSIZE);
        List<Msg> stream = List.of(new Msg(SET_VRING_NUM, 0x1, 3000, lying.array(), List.of(), -1),
            new Msg(ADD_MEM_REG, true, region(p(SINGLE_REGION_SIZE).putLong(0), 0, RAM, UA, 0), new Fd(Kind.MEMFD,
                RAM)),
            new Msg(SET_VRING_CALL, true, p(8).putLong(0), new Fd(Kind.EVENTFD, 0)),
            new Msg(SET_MEM_TABLE, true, region(p(8 + 32).putInt(1).putInt(0), 0, RAM, UA, 0), new Fd(Kind.MEMFD,
                RAM), new Fd(Kind.DEV_NULL, 0)));
        int firstLine = lines.size();
        sendAndHangUp(stream);
        awaitSessionsGone();
        List<String> now = caseLines(firstLine);
        assertTrue(now.stream().anyMatch(l -> l.contains("SET_VRING_NUM: fds inside the payload; closing")),
            now::toString);
        assertEquals(fdsBaseline, openFds(), "the swallowed frames' fds are closed");
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz[vhost-user]: %d cases, %d frames sent (%d cut short, %d fds attached), %d messages"
                + " read, %d refused, %d GET_ID round trips; every invariant held (maps lines %+d over the run)%n",
            CASES.get(), FRAMES.get(), CUT.get(), FDS.get(), READ.get(), REFUSED.get(), GET_IDS.get(),
            MAPS_DELTA.get());
    }

    // ------------------------------------------------------------------ streams

    private static ByteBuffer p(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer region(ByteBuffer b, long gpa, long size, long ua, long offset) {
        return b.putLong(gpa).putLong(size).putLong(ua).putLong(offset);
    }

    /** A session a good front end would have with queue {@code q} (2: an index out of range). */
    static List<Msg> validSession(int q) {
        Fd ram = new Fd(Kind.MEMFD, RAM);
        Fd ev = new Fd(Kind.EVENTFD, 0);
        List<Msg> s = new ArrayList<>();
        s.add(new Msg(GET_FEATURES, false, null));
        s.add(new Msg(GET_PROTOCOL_FEATURES, false, null));
        s.add(new Msg(SET_PROTOCOL_FEATURES, false,
            p(8).putLong(VhostUserBackendSession.OFFERED_PROTOCOL_FEATURES)));
        s.add(new Msg(SET_FEATURES, true, p(8).putLong(VirtioFeatures.VERSION_1 | F_PROTOCOL_FEATURES)));
        s.add(new Msg(SET_OWNER, true, null));
        s.add(new Msg(GET_QUEUE_NUM, false, null));
        s.add(new Msg(GET_MAX_MEM_SLOTS, false, null));
        s.add(new Msg(SET_MEM_TABLE, true, region(p(8 + 32).putInt(1).putInt(0), 0, RAM, UA, 0), ram));
        s.add(new Msg(SET_VRING_NUM, true, p(8).putInt(q).putInt(QSIZE)));
        s.add(new Msg(SET_VRING_BASE, true, p(8).putInt(q).putInt(0)));
        s.add(new Msg(SET_VRING_ADDR, true, p(VRING_ADDR_SIZE).putInt(q).putInt(0).putLong(UA + 0x10000)
            .putLong(UA + 0x12000).putLong(UA + 0x11000).putLong(0)));
        s.add(new Msg(SET_VRING_CALL, true, p(8).putLong(q), ev));
        s.add(new Msg(SET_VRING_ERR, true, p(8).putLong(q), ev));
        s.add(new Msg(SET_VRING_KICK, true, p(8).putLong(q), ev));
        s.add(new Msg(SET_VRING_ENABLE, true, p(8).putInt(q).putInt(1)));
        s.add(new Msg(GET_CONFIG, false, p(12 + 8).putInt(0).putInt(8).putInt(0)));
        s.add(new Msg(ADD_MEM_REG, true, region(p(SINGLE_REGION_SIZE).putLong(0), RAM, RAM, UA + RAM, 0), ram));
        s.add(new Msg(SET_MEM_TABLE, true, region(region(p(8 + 64).putInt(2).putInt(0), 0, RAM, UA, 0), RAM, RAM,
            UA + RAM, 0), ram, ram));
        s.add(new Msg(REM_MEM_REG, true, region(p(SINGLE_REGION_SIZE).putLong(0), RAM, RAM, UA + RAM, 0)));
        s.add(new Msg(SET_CONFIG, true, p(12 + 4).putInt(0).putInt(4).putInt(0).putInt(0)));
        s.add(new Msg(GET_VRING_BASE, false, p(8).putInt(q).putInt(0)));
        s.add(new Msg(RESET_OWNER, true, null));
        return s;
    }

    private static int anyRequest(Random rnd) {
        return rnd.nextInt(4) == 0 ? rnd.nextInt() : KNOWN[rnd.nextInt(KNOWN.length)];
    }

    private static Fd anyFd(Random rnd) {
        Kind k = Kind.values()[rnd.nextInt(Kind.values().length)];
        long size = switch (rnd.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 4096L * rnd.nextInt(1, 300);
            case 2 -> rnd.nextInt(1, 3 * 4096);
            default -> RAM;
        };
        return new Fd(k, size);
    }

    private static List<Fd> anyFds(Random rnd) {
        int n = switch (rnd.nextInt(5)) {
            case 0, 1 -> 0;
            case 2 -> 1;
            case 3 -> rnd.nextInt(2, 5);
            default -> rnd.nextInt(8, 13);
        };
        List<Fd> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(anyFd(rnd));
        }
        return l;
    }

    private static long interesting(Random rnd) {
        return switch (rnd.nextInt(9)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Long.MAX_VALUE;
            case 3 -> 4096L * rnd.nextInt(512);
            case 4 -> UA + rnd.nextLong(2 * RAM);
            case 5 -> UA + RAM - rnd.nextInt(64);
            case 6 -> rnd.nextInt(0x10000);
            case 7 -> 1L << rnd.nextInt(64);
            default -> rnd.nextLong();
        };
    }

    private static Msg randomMessage(Random rnd) {
        int req = anyRequest(rnd);
        int len = switch (rnd.nextInt(4)) {
            case 0 -> 0;
            case 1 -> new int[] {8, 12, 20, 40, 72, 8 + 32 * 8}[rnd.nextInt(6)];
            case 2 -> rnd.nextInt(64);
            default -> rnd.nextInt(MAX_PAYLOAD + 1);
        };
        ByteBuffer b = p(len);
        for (int at = 0; at + 8 <= len; at += 8) {
            b.putLong(at, rnd.nextInt(3) == 0 ? rnd.nextLong() : interesting(rnd));
        }
        int flags = rnd.nextInt(5) == 0 ? rnd.nextInt() : VERSION | (rnd.nextBoolean() ? FLAG_NEED_REPLY : 0);
        return new Msg(req, flags, len, b.array(), anyFds(rnd), -1);
    }

    private static List<Msg> randomStream(Random rnd) {
        List<Msg> s = new ArrayList<>();
        if (rnd.nextBoolean()) {
            s.addAll(validSession(0).subList(0, 4));
        }
        int n = rnd.nextInt(1, 16);
        for (int i = 0; i < n; i++) {
            s.add(randomMessage(rnd));
        }
        return s;
    }

    private static List<Msg> mutate(List<Msg> base, int count, Random rnd) {
        List<Msg> s = new ArrayList<>(base);
        for (int k = 0; k < count && !s.isEmpty(); k++) {
            int i = rnd.nextInt(s.size());
            Msg m = s.get(i);
            byte[] pl = m.payload().clone();
            switch (rnd.nextInt(10)) {
                case 0 -> s.set(i, m.with(anyRequest(rnd), m.flags(), m.sizeField(), pl, m.fds(), m.cut()));
                case 1 -> s.set(i, m.with(m.request(), switch (rnd.nextInt(3)) {
                    case 0 -> m.flags() ^ (1 << rnd.nextInt(32));
                    case 1 -> VERSION | FLAG_REPLY;
                    default -> rnd.nextInt();
                }, m.sizeField(), pl, m.fds(), m.cut()));
                case 2 -> s.set(i, m.with(m.request(), m.flags(), switch (rnd.nextInt(4)) {
                    case 0 -> -1;
                    case 1 -> MAX_PAYLOAD + rnd.nextInt(1, 100);
                    case 2 -> Math.max(0, pl.length + rnd.nextInt(-8, 9));
                    default -> rnd.nextInt(MAX_PAYLOAD + 1);
                }, pl, m.fds(), m.cut()));
                case 3 -> {
                    for (int j = rnd.nextInt(1, 4); j > 0 && pl.length > 0; j--) {
                        pl[rnd.nextInt(pl.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    s.set(i, m.with(m.request(), m.flags(), m.sizeField(), pl, m.fds(), m.cut()));
                }
                case 4 -> {
                    if (pl.length >= 4) {
                        ByteBuffer b = ByteBuffer.wrap(pl).order(ByteOrder.LITTLE_ENDIAN);
                        int at = rnd.nextInt(pl.length / 4) * 4;
                        if (at + 8 <= pl.length && rnd.nextBoolean()) {
                            b.putLong(at, interesting(rnd));
                        } else {
                            b.putInt(at, (int) interesting(rnd));
                        }
                    }
                    s.set(i, m.with(m.request(), m.flags(), m.sizeField(), pl, m.fds(), m.cut()));
                }
                case 5 -> s.set(i, m.with(m.request(), m.flags(), m.sizeField(), pl, anyFds(rnd), m.cut()));
                case 6 -> {
                    s.set(i, m.with(m.request(), m.flags(), m.sizeField(), pl, m.fds(),
                        rnd.nextInt(HEADER_SIZE + pl.length)));
                    if (rnd.nextBoolean()) {
                        s.subList(i + 1, s.size()).clear();
                    }
                }
                case 7 -> s.remove(i);
                case 8 -> s.add(i, m);
                default -> s.add(i, randomMessage(rnd));
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ the wire

    /** Sends the stream (fds made fresh per frame), half-closes, drains every reply, then closes every fd it made. */
    private void sendAndHangUp(List<Msg> stream) {
        int sock = Sockets.socketUnix(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC);
        List<Integer> mine = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            Sockets.connectUnix(sock, server.socket().toString());
            MemorySegment buf = arena.allocate(HEADER_SIZE + MAX_PAYLOAD + 64, 8);
            for (Msg m : stream) {
                int len = HEADER_SIZE + m.payload().length;
                buf.set(ValueLayout.JAVA_INT_UNALIGNED, REQUEST_OFFSET, m.request());
                buf.set(ValueLayout.JAVA_INT_UNALIGNED, FLAGS_OFFSET, m.flags());
                buf.set(ValueLayout.JAVA_INT_UNALIGNED, SIZE_OFFSET, m.sizeField());
                MemorySegment.copy(m.payload(), 0, buf, ValueLayout.JAVA_BYTE, HEADER_SIZE, m.payload().length);
                int[] fds = new int[m.fds().size()];
                for (int i = 0; i < fds.length; i++) {
                    fds[i] = open(m.fds().get(i));
                    mine.add(fds[i]);
                }
                int send = m.cut() >= 0 ? m.cut() : len;
                FRAMES.incrementAndGet();
                FDS.addAndGet(fds.length);
                if (m.cut() >= 0) {
                    CUT.incrementAndGet();
                }
                if (send == 0) {
                    continue;
                }
                long r = Sockets.sendmsgRaw(sock, buf, send, fds);
                if (r < 0) {
                    // The back end closed the session (EPIPE, ECONNRESET): the rest goes nowhere.
                    break;
                }
            }
            Sockets.shutdownRaw(sock, 1);
            int[] stray = new int[16];
            while (true) {
                long r = Sockets.recvmsgRaw(sock, buf, buf.byteSize(), stray);
                for (int fd : stray) {
                    Libc.closeQuietly(fd);
                }
                if (r == -Errno.EINTR) {
                    continue;
                }
                if (r <= 0) {
                    break;
                }
            }
        } finally {
            Libc.closeQuietly(sock);
            mine.forEach(Libc::closeQuietly);
        }
    }

    private static int open(Fd f) {
        return switch (f.kind()) {
            case EVENTFD -> Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            case MEMFD -> memfd(f.size());
            case DEV_NULL -> Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
            case REUSED -> {
                // An eventfd's number, closed, then taken by a memfd: the back end must judge the fd, not the number.
                Libc.close(Libc.eventfd(0, Libc.EFD_CLOEXEC));
                yield memfd(f.size());
            }
        };
    }

    private static int memfd(long size) {
        int fd = Libc.memfdCreate("vfuzz", Libc.MFD_CLOEXEC);
        Libc.ftruncate(fd, size);
        return fd;
    }

    // ------------------------------------------------------------------ observation

    private void awaitSessionsGone() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (gone.get() < server.sessions() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        assertEquals(server.sessions(), gone.get(), () -> "a session did not end: " + caseLines(0));
    }

    private List<String> caseLines(int from) {
        synchronized (lines) {
            return List.copyOf(lines.subList(from, lines.size()));
        }
    }

    /** Open fds of the kinds a session receives or owns (eventfd, memfd, /dev/null, socket), by kind. */
    static Map<String, Integer> openFds() {
        Map<String, Integer> count = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                String t;
                try {
                    t = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // the directory's own fd, gone by now
                }
                String kind = t.startsWith("socket:") ? "socket" : t.startsWith("/memfd:") ? t.replaceAll(" .*", "")
                    : t.equals("/dev/null") || t.startsWith("anon_inode:") ? t : null;
                if (kind != null) {
                    count.merge(kind, 1, Integer::sum);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count;
    }

    private static int memfdMappings() {
        return (int) maps().filter(l -> l.contains("/memfd:")).count();
    }

    private static int mapsLines() {
        return (int) maps().count();
    }

    private static Stream<String> maps() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
