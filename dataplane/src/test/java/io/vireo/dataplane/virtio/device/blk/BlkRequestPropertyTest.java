package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import static io.vireo.dataplane.virtio.device.blk.BlkRig.LE_INT;
import static io.vireo.dataplane.virtio.device.blk.BlkRig.LE_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random requests, well-formed and not (seeded, so a failure replays), cut into random descriptors: the device's
 * status, used length, guest memory and disk always match a simple model of §5.2.6 over the gathered bytes, whatever
 * the framing (§2.7.4.1), and nothing throws.
 */
class BlkRequestPropertyTest {
    private static final int DISK_BYTES = 256 * 1024;
    private static final long CAPACITY = DISK_BYTES / 512;
    private static final long AREA = 256 * 1024;
    private static final String SERIAL = "prop-serial-0123";

    /** One request: its readable bytes R (header, data) and writable bytes W (data, status), each contiguous. */
    private record Req(int head, long rGpa, byte[] r, long wGpa, int wLen) {
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 7, 42, 0xb10cL})
    void shouldMatchTheModelWhenRequestsAreRandom(long seed) {
        Random rnd = new Random(seed);
        byte[] model = new byte[DISK_BYTES];
        rnd.nextBytes(model);
        HeapBackend be = new HeapBackend(model.clone());
        // DISCARD and WRITE_ZEROES withheld: the model treats every type but IN/OUT/FLUSH/GET_ID as unsupported.
        try (BlkRig rig = new BlkRig(be, SERIAL, BlkFeatures.DISCARD | BlkFeatures.WRITE_ZEROES, rnd.nextBoolean())) {
            for (int batch = 0; batch < 60; batch++) {
                List<Req> reqs = new ArrayList<>();
                int n = 1 + rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    reqs.add(add(rig, rnd, BlkRig.DATA + i * AREA));
                }
                rig.driver.kick(rig.eventIdx);
                rig.dev.processQueue(0);
                // Completions may come out of order (§2.7.8: the used ring is not FIFO): match them by head id.
                Map<Integer, UsedElem> used = new HashMap<>();
                for (int i = 0; i < reqs.size(); i++) {
                    UsedElem u = rig.driver.takeUsed();
                    used.put(u.id(), u);
                }
                for (Req q : reqs) {
                    UsedElem u = used.get(q.head());
                    assertNotNull(u, "completion of head " + q.head());
                    check(rig, q, u, model);
                }
                assertArrayEquals(model, be.disk, "disk after batch " + batch);
            }
            // The mix reached every outcome, so the model was really compared against each path.
            VirtioBlkDevice d = rig.dev;
            assertTrue(d.reads() > 0 && d.writes() > 0 && d.getIds() > 0 && d.ioErrors() > 0 && d.unsupported() > 0
                && d.errors(BlkRequestError.NO_STATUS) > 0, "reads=" + d.reads() + ", writes=" + d.writes()
                + ", getIds=" + d.getIds() + ", ioErrors=" + d.ioErrors() + ", unsupported=" + d.unsupported());
        }
    }

    private static Req add(BlkRig rig, Random rnd, long base) {
        int type = switch (rnd.nextInt(6)) {
            case 0, 1 -> BlkRequest.T_IN;
            case 2, 3 -> BlkRequest.T_OUT;
            case 4 -> rnd.nextBoolean() ? BlkRequest.T_FLUSH : BlkRequest.T_GET_ID;
            default -> rnd.nextInt(20);
        };
        long sector = switch (rnd.nextInt(8)) {
            case 0 -> rnd.nextLong();
            case 1 -> CAPACITY - rnd.nextInt(4);
            default -> rnd.nextInt((int) CAPACITY);
        };
        int dataLen = rnd.nextInt(5) == 0 ? rnd.nextInt(3000) : 512 * rnd.nextInt(9);
        boolean toDevice = type == BlkRequest.T_OUT;
        if (rnd.nextInt(10) == 0) {
            toDevice = !toDevice;
        }
        int headerLen = rnd.nextInt(12) == 0 ? rnd.nextInt(16) : 16;
        int rLen = headerLen + (toDevice ? dataLen : 0);
        int wLen = (toDevice ? 0 : dataLen) + (rnd.nextInt(12) == 0 ? 0 : 1);

        byte[] r = new byte[rLen];
        rnd.nextBytes(r);
        MemorySegment rs = MemorySegment.ofArray(r);
        if (rLen >= 4) {
            rs.set(LE_INT, 0, type);
        }
        if (rLen >= 16) {
            rs.set(LE_LONG, 8, sector);
        }
        long rGpa = base;
        long wGpa = base + AREA / 2;
        MemorySegment.copy(r, 0, rig.at(rGpa, Math.max(rLen, 1)), ValueLayout.JAVA_BYTE, 0, rLen);
        rig.at(wGpa, Math.max(wLen, 1)).fill((byte) 0x5a);

        List<Buf> bufs = new ArrayList<>();
        cut(rnd, rGpa, rLen, false, bufs);
        cut(rnd, wGpa, wLen, true, bufs);
        if (bufs.isEmpty()) {
            // A chain needs a descriptor: one readable byte, so the request has neither header nor status.
            bufs.add(Buf.readable(rGpa, 1));
            r = rig.at(rGpa, 1).toArray(ValueLayout.JAVA_BYTE);
        }
        int head = rnd.nextBoolean() ? rig.driver.addChain(bufs)
            : rig.driver.addIndirectChain(BlkRig.TABLE + (base - BlkRig.DATA) / AREA * 4096, bufs);
        return new Req(head, rGpa, r, wGpa, wLen);
    }

    /** Cuts [gpa, gpa+len) into 1 to 5 non-empty buffers. */
    private static void cut(Random rnd, long gpa, int len, boolean writable, List<Buf> out) {
        if (len == 0) {
            return;
        }
        TreeSet<Integer> cuts = new TreeSet<>();
        int pieces = rnd.nextInt(5);
        for (int i = 0; i < pieces; i++) {
            cuts.add(1 + rnd.nextInt(Math.max(len - 1, 1)));
        }
        cuts.add(len);
        int from = 0;
        for (int to : cuts) {
            if (to > from && to <= len) {
                out.add(new Buf(gpa + from, to - from, writable));
                from = to;
            }
        }
    }

    /** The model: what §5.2.6 says the device does with these gathered bytes. */
    private static void check(BlkRig rig, Req q, UsedElem u, byte[] model) {
        byte[] r = q.r();
        int wLen = q.wLen();
        byte[] w = rig.at(q.wGpa(), Math.max(wLen, 1)).toArray(ValueLayout.JAVA_BYTE);
        if (wLen == 0) {
            assertEquals(0, u.len(), "no status byte: used len 0");
            return;
        }
        int status = w[wLen - 1] & 0xff;
        if (r.length < 16) {
            assertStatus(BlkRequest.S_IOERR, status, u);
            return;
        }
        MemorySegment rs = MemorySegment.ofArray(r);
        int type = rs.get(LE_INT, 0);
        long sector = rs.get(LE_LONG, 8);
        int rData = r.length - 16;
        int wData = wLen - 1;
        switch (type) {
            case BlkRequest.T_IN -> {
                if (rData != 0 || !inRange(sector, wData)) {
                    assertStatus(BlkRequest.S_IOERR, status, u);
                    return;
                }
                assertEquals(BlkRequest.S_OK, status);
                assertEquals(wData + 1, u.len());
                int off = (int) sector * 512;
                assertArrayEquals(Arrays.copyOfRange(model, off, off + wData), Arrays.copyOf(w, wData));
            }
            case BlkRequest.T_OUT -> {
                if (wData != 0 || !inRange(sector, rData)) {
                    assertStatus(BlkRequest.S_IOERR, status, u);
                    return;
                }
                assertEquals(BlkRequest.S_OK, status);
                assertEquals(1, u.len());
                System.arraycopy(r, 16, model, (int) sector * 512, rData);
            }
            case BlkRequest.T_FLUSH -> {
                assertEquals(BlkRequest.S_OK, status);
                assertEquals(1, u.len());
            }
            case BlkRequest.T_GET_ID -> {
                if (rData != 0) {
                    assertStatus(BlkRequest.S_IOERR, status, u);
                    return;
                }
                int n = Math.min(wData, 20);
                assertEquals(BlkRequest.S_OK, status);
                assertEquals(n + 1, u.len());
                assertArrayEquals(Arrays.copyOf(Arrays.copyOf(SERIAL.getBytes(), 20), n), Arrays.copyOf(w, n));
            }
            default -> assertStatus(BlkRequest.S_UNSUPP, status, u);
        }
    }

    private static boolean inRange(long sector, int len) {
        return len % 512 == 0 && sector >= 0 && sector <= CAPACITY && len / 512 <= CAPACITY - sector;
    }

    private static void assertStatus(int want, int status, UsedElem u) {
        assertEquals(want, status);
        assertEquals(1, u.len());
    }

    // ------------------------------------------------------------------ jqwik: typed errors only (issue 18)

    private static final AtomicLong PARSER_CASES = new AtomicLong();
    private static final AtomicLong PARSER_ERRORS = new AtomicLong();
    private static final AtomicLong PARSER_NO_STATUS = new AtomicLong();

    /**
     * Random headers (any type, sector, reserved word; short, exact or long) and random chains (readable payloads,
     * writable buffers including zero-length ones, direct or indirect) with a random subset of the optional types
     * negotiated: the device answers with a typed error only. Either exactly one {@link BlkRequestError} counter rises
     * and the status byte carries that error's status, or the request succeeds (S_OK); with no status byte, used
     * length 0 and nothing written; never a used length beyond the writable bytes; never an exception.
     */
    @Property
    void shouldGiveTypedErrorsOnlyWhenHeadersAndChainsAreRandom(
        @ForAll("types") int type, @ForAll("sectors") long sector, @ForAll int reserved,
        @ForAll @IntRange(min = 0, max = 40) int headerLen, @ForAll @IntRange(min = 0, max = 2048) int payload,
        @ForAll @Size(max = 4) List<@IntRange(min = 0, max = 1536) Integer> writable, @ForAll boolean indirect,
        @ForAll @IntRange(min = 0, max = 7) int withheldMask, @ForAll boolean eventIdx) {
        PARSER_CASES.incrementAndGet();
        long withheld = ((withheldMask & 1) != 0 ? BlkFeatures.DISCARD : 0)
            | ((withheldMask & 2) != 0 ? BlkFeatures.WRITE_ZEROES : 0)
            | ((withheldMask & 4) != 0 ? BlkFeatures.FLUSH : 0);
        try (BlkRig rig = new BlkRig(new HeapBackend(new byte[DISK_BYTES]), SERIAL, withheld, eventIdx)) {
            long rGpa = BlkRig.DATA;
            long wGpa = BlkRig.DATA + AREA;
            int rLen = headerLen + payload;
            MemorySegment r = rig.at(rGpa, Math.max(rLen, 1));
            r.fill((byte) 0x33);
            if (rLen >= 4) {
                r.set(LE_INT, 0, type);
            }
            if (rLen >= 8) {
                r.set(LE_INT, 4, reserved);
            }
            if (rLen >= 16) {
                r.set(LE_LONG, 8, sector);
            }
            List<Buf> bufs = new ArrayList<>();
            if (rLen > 0) {
                bufs.add(Buf.readable(rGpa, Math.min(rLen, headerLen == 0 ? rLen : headerLen)));
                if (headerLen > 0 && payload > 0) {
                    bufs.add(Buf.readable(rGpa + headerLen, payload));
                }
            }
            long wTotal = 0;
            long at = wGpa;
            for (int len : writable) {
                bufs.add(Buf.writable(at, len));
                at += len;
                wTotal += len;
            }
            rig.at(wGpa, Math.max(wTotal, 1)).fill((byte) 0x5a);
            if (bufs.isEmpty()) {
                bufs.add(Buf.readable(rGpa, 1));
            }
            long errorsBefore = errorSum(rig.dev);
            int head = indirect ? rig.driver.addIndirectChain(BlkRig.TABLE, bufs) : rig.driver.addChain(bufs);
            UsedElem u = rig.runOne(head);

            long errors = errorSum(rig.dev) - errorsBefore;
            assertTrue(errors <= 1, "at most one error per request: " + errors);
            assertTrue(Integer.toUnsignedLong(u.len()) <= wTotal, "used length " + u.len() + " > writable " + wTotal);
            boolean lastIsStatus = !writable.isEmpty() && writable.getLast() > 0;
            if (!lastIsStatus) {
                PARSER_NO_STATUS.incrementAndGet();
                assertEquals(0, u.len(), "no status byte: used length 0");
                assertEquals(1, errors);
                byte[] poison = new byte[(int) Math.max(wTotal, 1)];
                Arrays.fill(poison, (byte) 0x5a);
                assertArrayEquals(poison, rig.at(wGpa, Math.max(wTotal, 1)).toArray(ValueLayout.JAVA_BYTE),
                    "nothing written without a status byte");
                return;
            }
            int status = rig.status(wGpa + wTotal - 1);
            assertTrue(status == BlkRequest.S_OK || status == BlkRequest.S_IOERR || status == BlkRequest.S_UNSUPP,
                "status " + status);
            assertTrue(u.len() >= 1, "the status byte was written");
            if (status == BlkRequest.S_OK) {
                assertEquals(0, errors, "S_OK with an error counted");
            } else {
                PARSER_ERRORS.incrementAndGet();
                assertEquals(1, errors, "an error status without a typed error");
                assertEquals(1, u.len(), "an error writes only the status byte");
                assertEquals(status, lastError(rig.dev).status());
            }
        }
    }

    @AfterContainer
    static void reportParser() {
        System.out.printf("fuzz[blk-parser]: %d cases, %d typed errors, %d without a status byte;"
            + " every invariant held%n", PARSER_CASES.get(), PARSER_ERRORS.get(), PARSER_NO_STATUS.get());
    }

    @Provide
    Arbitrary<Integer> types() {
        return Arbitraries.oneOf(Arbitraries.of(BlkRequest.T_IN, BlkRequest.T_OUT, BlkRequest.T_FLUSH,
            BlkRequest.T_GET_ID, 11, 13), Arbitraries.integers());
    }

    @Provide
    Arbitrary<Long> sectors() {
        return Arbitraries.oneOf(Arbitraries.of(0L, 1L, CAPACITY - 1, CAPACITY, CAPACITY + 1, -1L, Long.MIN_VALUE,
            Long.MAX_VALUE, 1L << 55), Arbitraries.longs().between(0, CAPACITY), Arbitraries.longs());
    }

    private static long errorSum(VirtioBlkDevice d) {
        long n = 0;
        for (BlkRequestError e : BlkRequestError.values()) {
            if (e != BlkRequestError.OK) {
                n += d.errors(e);
            }
        }
        return n;
    }

    /** The one error counted by a fresh device (the caller checked there is exactly one). */
    private static BlkRequestError lastError(VirtioBlkDevice d) {
        for (BlkRequestError e : BlkRequestError.values()) {
            if (e != BlkRequestError.OK && d.errors(e) > 0) {
                return e;
            }
        }
        throw new AssertionError("no error counted");
    }
}
