package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
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
}
