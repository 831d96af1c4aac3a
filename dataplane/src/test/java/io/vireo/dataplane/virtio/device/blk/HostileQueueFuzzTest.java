package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.dataplane.virtio.queue.DescriptorChain;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf;
import io.vireo.dataplane.virtio.queue.MockGuestDriver.UsedElem;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.SplitRingLayout;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.lifecycle.AfterContainer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_INDIRECT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_NEXT;
import static io.vireo.dataplane.virtio.queue.SplitRingLayout.VIRTQ_DESC_F_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the queue layer ({@code SplitQueue}, {@code DescriptorChain}) through a real virtio-blk device, as a hostile
 * driver would lay out its rings (issue 18): arbitrary descriptor tables and indirect tables (loops, huge lengths,
 * nested indirect, addresses at and across the edges of RAM, of the hole and of the address space, into the rings
 * themselves), arbitrary avail heads and indices, indices near the u16 wrap.
 *
 * <p>Invariants, per case: no exception escapes the device; nothing outside guest RAM is touched (canary bytes
 * around each region stay intact; an access beyond a region's segment would throw); every popped chain is completed
 * exactly once or the device asked for DEVICE_NEEDS_RESET; no head is completed more often than it was popped; after a
 * driver reset the device serves a good request again. Tries: {@code jqwik.tries.default} (400 in the normal run;
 * {@code -Djqwik.tries.default=100000} for a long one).
 */
class HostileQueueFuzzTest {
    private static final long LOW_SIZE = 4L << 20;
    private static final long HIGH_GPA = 1L << 32;
    private static final long HIGH_SIZE = 1L << 20;
    private static final long CANARY = 64 * 1024;
    private static final byte CANARY_BYTE = (byte) 0xc5;
    private static final long RING_GPA = 0x1000;
    private static final long TABLE_GPA = 0x80000;
    private static final int TABLES = 3;
    private static final long DATA_GPA = 1L << 20;
    private static final int DISK_BYTES = 1 << 20;
    private static final long GOOD_HDR = 0x300000;
    private static final ValueLayout.OfShort LE_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private static final AtomicLong CASES = new AtomicLong();
    private static final AtomicLong NEEDS_RESET = new AtomicLong();
    private static final AtomicLong POPPED = new AtomicLong();
    private static final AtomicLong WRAPPED = new AtomicLong();

    /** One descriptor: where it goes (slot) and what it says. */
    record Desc(int slot, long addr, int len, int flags, int next) {
    }

    /** One hostile queue state. */
    record Scenario(int sizeLog, boolean indirect, boolean eventIdx, boolean wrap, List<Desc> descs,
                    List<List<Desc>> tables, List<Integer> heads, int availDelta) {
    }

    @Property
    void shouldKeepEveryInvariantWhenTheDriverIsHostile(@ForAll("scenarios") Scenario s) {
        CASES.incrementAndGet();
        int size = 1 << s.sizeLog();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment lowBlock = arena.allocate(LOW_SIZE + 2 * CANARY, 4096);
            MemorySegment highBlock = arena.allocate(HIGH_SIZE + 2 * CANARY, 4096);
            lowBlock.fill(CANARY_BYTE);
            highBlock.fill(CANARY_BYTE);
            MemorySegment low = lowBlock.asSlice(CANARY, LOW_SIZE);
            MemorySegment high = highBlock.asSlice(CANARY, HIGH_SIZE);
            low.fill((byte) 0);
            high.fill((byte) 0);
            GuestMemory mem = new GuestMemory(List.of(new GuestRegion(0, low, 0), new GuestRegion(HIGH_GPA, high,
                LOW_SIZE)));
            HeapBackend backend = new HeapBackend(new byte[DISK_BYTES]);
            RecordingInterrupt irq = new RecordingInterrupt();
            VirtioBlkDevice dev = new VirtioBlkDevice(backend, "fuzz");
            SplitQueue queue = new SplitQueue(mem, VirtioBlkDevice.QUEUE_MAX_SIZE);
            MockGuestDriver driver = MockGuestDriver.linux(mem, RING_GPA, size);
            driver.configure(queue, s.eventIdx(), s.indirect());
            assertEquals(QueueError.OK, queue.enable());
            if (s.wrap()) {
                advanceNearWrap(driver, queue);
            }
            long features = dev.deviceFeatures() & ~(s.indirect() ? 0 : 1L << 28) & ~(s.eventIdx() ? 0 : 1L << 29);
            dev.activate(features, new SplitQueue[] {queue}, irq);

            int start = queue.lastAvailIdx();
            int startUsed = queue.nextUsedIdx();
            layOut(driver, s, size);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> dev.processQueue(0), "the device never idles");

            int popped = (queue.lastAvailIdx() - start) & 0xffff;
            int completed = (queue.nextUsedIdx() - startUsed) & 0xffff;
            POPPED.addAndGet(popped);
            boolean reset = !irq.resets.isEmpty();
            if (reset) {
                NEEDS_RESET.incrementAndGet();
                assertTrue(completed <= popped, "completed " + completed + " of " + popped + " popped");
            } else {
                assertEquals(popped, completed, "every popped chain is completed (or NEEDS_RESET)");
                assertEquals(0, queue.inFlight());
            }
            if (!ringsTargeted(s, size)) {
                assertNoHeadCompletedMoreThanPopped(driver, s, start, popped, completed, size);
            }
            assertCanaries(lowBlock, LOW_SIZE);
            assertCanaries(highBlock, HIGH_SIZE);

            // The driver resets the device (status 0: device and queues) and sets it up again: it serves.
            dev.reset();
            queue.reset();
            MockGuestDriver fresh = MockGuestDriver.linux(mem, RING_GPA, 16);
            fresh.configure(queue, true, true);
            assertEquals(QueueError.OK, queue.enable());
            irq.resets.clear();
            dev.activate(dev.deviceFeatures(), new SplitQueue[] {queue}, irq);
            MemorySegment hdr = mem.slice(GOOD_HDR, 16);
            hdr.fill((byte) 0);
            mem.slice(GOOD_HDR + 0x100, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
            int head = fresh.addChain(List.of(Buf.readable(GOOD_HDR, 16), Buf.writable(GOOD_HDR + 0x200, 512),
                Buf.writable(GOOD_HDR + 0x100, 1)));
            fresh.kick(true);
            dev.processQueue(0);
            UsedElem u = fresh.takeUsed();
            assertEquals(new UsedElem(head, 513), u, "the device serves again after a driver reset");
            assertEquals(BlkRequest.S_OK, mem.slice(GOOD_HDR + 0x100, 1).get(ValueLayout.JAVA_BYTE, 0));
            assertTrue(irq.resets.isEmpty());
            dev.close();
        }
    }

    @AfterContainer
    static void report() {
        System.out.printf("fuzz[queue]: %d cases, %d chains popped, %d NEEDS_RESET, %d near the u16 wrap;"
            + " every invariant held%n", CASES.get(), POPPED.get(), NEEDS_RESET.get(), WRAPPED.get());
    }

    /** Pushes the indices to just below 65536 with good one-descriptor chains, so the case runs across the wrap. */
    private static void advanceNearWrap(MockGuestDriver d, SplitQueue q) {
        WRAPPED.incrementAndGet();
        d.writeDesc(0, DATA_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
        DescriptorChain c = new DescriptorChain(VirtioBlkDevice.QUEUE_MAX_SIZE);
        int target = 65536 - 3;
        while (q.lastAvailIdx() != target) {
            d.submitHead(0);
            d.setAvailIdxRelease(d.availIdx());
            assertEquals(QueueError.OK, q.popChain(c));
            q.pushUsed(0, 0);
            q.publishUsed();
            d.takeUsed();
        }
    }

    private static void layOut(MockGuestDriver d, Scenario s, int size) {
        for (Desc x : s.descs()) {
            d.writeDesc(x.slot() & (size - 1), x.addr(), x.len(), x.flags(), x.next());
        }
        for (int t = 0; t < s.tables().size(); t++) {
            List<Desc> table = s.tables().get(t);
            for (int i = 0; i < table.size(); i++) {
                Desc x = table.get(i);
                d.writeTableDesc(TABLE_GPA + t * 4096L, i, x.addr(), x.len(), x.flags(), x.next());
            }
        }
        int base = d.availIdx();
        for (int h : s.heads()) {
            d.submitHead(h);
        }
        d.setAvailIdxRelease((base + s.availDelta()) & 0xffff);
    }

    /** Whether a descriptor points into the rings (then the device may overwrite the used ring with data). */
    private static boolean ringsTargeted(Scenario s, int size) {
        long end = RING_GPA + MockGuestDriver.linuxLayoutBytes(size);
        for (Desc x : s.descs()) {
            if (overlaps(x, RING_GPA, end)) {
                return true;
            }
        }
        for (List<Desc> t : s.tables()) {
            for (Desc x : t) {
                if (overlaps(x, RING_GPA, end)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean overlaps(Desc x, long from, long to) {
        long len = Integer.toUnsignedLong(x.len());
        return x.addr() < to && x.addr() + len > from || x.addr() + len < x.addr();
    }

    private static void assertNoHeadCompletedMoreThanPopped(MockGuestDriver d, Scenario s, int start, int popped,
                                                           int completed, int size) {
        Map<Integer, Integer> poppedHeads = new HashMap<>();
        MemorySegment avail = d.memory().slice(d.availGpa(), SplitRingLayout.availRingSizeBytes(size, true));
        for (int i = 0; i < popped; i++) {
            int head = avail.get(LE_SHORT, SplitRingLayout.AVAIL_RING_OFFSET + 2L * ((start + i) & (size - 1)))
                & 0xffff;
            poppedHeads.merge(head, 1, Integer::sum);
        }
        Map<Integer, Integer> completedHeads = new HashMap<>();
        for (int i = 0; i < completed; i++) {
            UsedElem u = d.takeUsed();
            assertTrue(u != null, "used idx covers every completion");
            completedHeads.merge(u.id(), 1, Integer::sum);
        }
        completedHeads.forEach((head, n) -> assertTrue(n <= poppedHeads.getOrDefault(head, 0),
            "head " + head + " completed " + n + " times, popped " + poppedHeads.getOrDefault(head, 0)));
    }

    private static void assertCanaries(MemorySegment block, long size) {
        for (long off : new long[] {0, CANARY + size}) {
            MemorySegment c = block.asSlice(off, CANARY);
            long bad = c.mismatch(MemorySegment.ofArray(filled((int) CANARY)));
            assertEquals(-1, bad, "a byte outside guest RAM changed at canary offset " + bad);
        }
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, CANARY_BYTE);
        return b;
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Integer> sizeLog = Arbitraries.integers().between(0, 8);
        return sizeLog.flatMap(log -> {
            int size = 1 << log;
            Arbitrary<Desc> desc = desc(size);
            return Combinators.combine(Arbitraries.just(log), Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 7).map(i -> i == 0), desc.list().ofMaxSize(2 * size + 2),
                desc.list().ofMaxSize(20).list().ofMaxSize(TABLES), head(size).list().ofMinSize(1).ofMaxSize(size + 2),
                Arbitraries.frequencyOf(weighted(8, Arbitraries.integers().between(0, size + 1)),
                    weighted(1, Arbitraries.integers().between(0, 0xffff))))
                .as(Scenario::new);
        });
    }

    private static <T> Tuple2<Integer, Arbitrary<? extends T>> weighted(int weight, Arbitrary<? extends T> a) {
        return Tuple.of(weight, a);
    }

    private static Arbitrary<Integer> head(int size) {
        return Arbitraries.frequencyOf(
            weighted(12, Arbitraries.integers().between(0, size - 1)),
            weighted(1, Arbitraries.integers().between(0, 0xffff)));
    }

    private static Arbitrary<Desc> desc(int size) {
        Arbitrary<Integer> slot = Arbitraries.integers().between(0, size - 1);
        Arbitrary<Integer> flags = Arbitraries.frequencyOf(
            weighted(6, Arbitraries.integers().between(0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE)),
            weighted(2, Arbitraries.of(VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT,
                VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE)),
            weighted(1, Arbitraries.integers().between(0, 0xffff)));
        Arbitrary<Integer> next = Arbitraries.frequencyOf(
            weighted(8, Arbitraries.integers().between(0, Math.max(size, 20))),
            weighted(1, Arbitraries.integers().between(0, 0xffff)));
        return Combinators.combine(slot, address(), length(), flags, next).as(Desc::new);
    }

    private static Arbitrary<Long> address() {
        long[] edges = {0, LOW_SIZE, HIGH_GPA, HIGH_GPA + HIGH_SIZE, -1L, Long.MIN_VALUE, 1L << 47, RING_GPA,
            0xfee0_0000L, 0xe000_0000L};
        Arbitrary<Long> nearEdge = nearEdge(edges);
        Arbitrary<Long> table = Arbitraries.integers().between(0, TABLES - 1).map(t -> TABLE_GPA + t * 4096L);
        Arbitrary<Long> data = Arbitraries.longs().between(DATA_GPA, DATA_GPA + (1 << 20));
        return Arbitraries.frequencyOf(
            weighted(6, data),
            weighted(4, nearEdge),
            weighted(2, table),
            weighted(1, Arbitraries.longs()));
    }

    private static Arbitrary<Integer> length() {
        return Arbitraries.frequencyOf(
            weighted(6, Arbitraries.of(0, 1, 15, 16, 17, 32, 48, 512, 513, 4096, 1 << 20)),
            weighted(3, Arbitraries.integers().between(0, 1 << 16)),
            weighted(1, Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE, -1, -16, (1 << 20) + 1)));
    }

    /** Addresses within a few pages of an edge, both sides. */
    private static Arbitrary<Long> nearEdge(long[] edges) {
        Arbitrary<Long> edge = Arbitraries.of(Arrays.stream(edges).boxed().toList());
        Arbitrary<Long> delta = Arbitraries.frequencyOf(
            weighted(3, Arbitraries.of(0L, -1L, -15L, -16L, -512L, 1L, 16L)),
            weighted(1, Arbitraries.longs().between(-8192, 8192)));
        return Combinators.combine(edge, delta).as(Long::sum);
    }
}
