package io.vireo.dataplane.virtio.device.blk;

import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.agent.QueueAgent;
import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;
import io.vireo.sys.Libc;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * virtio-blk served by real {@link QueueAgent} threads: two queues on two agents, polled while busy (the guest is told
 * not to kick), asleep in epoll when idle (kicks re-enabled), woken by a kick through the queue's eventfd.
 */
class VirtioBlkAgentTest {
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int SIZE = VirtioBlkDevice.QUEUE_MAX_SIZE;
    private static final long RING1 = TestGuestMemory.RING_GPA + 0x10000;
    private static final long BUFS = TestGuestMemory.DATA_GPA;

    private static final class CountingInterrupt implements VirtioInterrupt {
        final AtomicInteger used = new AtomicInteger();
        final AtomicInteger resets = new AtomicInteger();

        @Override
        public void signalUsed(int queue) {
            used.incrementAndGet();
        }

        @Override
        public void signalConfigChange() {
        }

        @Override
        public void needsReset(String why) {
            resets.incrementAndGet();
        }
    }

    @Test
    void shouldServeTwoQueuesOnTwoAgentsPollingWhileBusyAndSleepingWhenIdle() throws Exception {
        byte[] disk = new byte[1 << 20];
        HeapBackend backend = new HeapBackend(disk);
        try (Arena arena = Arena.ofShared()) {
            GuestMemory mem = TestGuestMemory.create(arena);
            MockGuestDriver[] drivers = {
                MockGuestDriver.linux(mem, TestGuestMemory.RING_GPA, SIZE), MockGuestDriver.linux(mem, RING1, SIZE)};
            SplitQueue[] queues = new SplitQueue[2];
            for (int q = 0; q < 2; q++) {
                queues[q] = drivers[q].configure(new SplitQueue(mem, SIZE), true, true);
                assertEquals(QueueError.OK, queues[q].enable());
            }
            VirtioBlkDevice dev = new VirtioBlkDevice(backend, "agents", 2);
            DataPlane dp = new DataPlane(DataPlane.Threads.PER_QUEUE, new int[0]);
            PolledQueue[] polled = {dev.polledQueue(0), dev.polledQueue(1)};
            QueueAgent[] owners = dp.place("d", polled, 2_000_000);
            assertTrue(owners[0] != owners[1], "one agent per queue");
            AgentOwnedDevice device = new AgentOwnedDevice(dev, owners);
            CountingInterrupt irq = new CountingInterrupt();
            dp.start();
            try {
                device.activate(dev.deviceFeatures(), queues, irq);
                // A write on each queue, then a read of it back: the first kick wakes the sleeping agent.
                for (int q = 0; q < 2; q++) {
                    write(mem, drivers[q], dev, q, 8L * (q + 1), (byte) (0x40 + q));
                }
                for (int q = 0; q < 2; q++) {
                    assertEquals(4096, read(mem, drivers[q], dev, q, 8L * (q + 1)).len() - 1);
                    byte[] want = new byte[4096];
                    java.util.Arrays.fill(want, (byte) (0x40 + q));
                    assertArrayEquals(want, mem.slice(BUFS + 0x100000L * q + 0x1000, 4096)
                        .toArray(ValueLayout.JAVA_BYTE));
                    byte[] onDisk = java.util.Arrays.copyOfRange(disk, (q + 1) * 4096, (q + 2) * 4096);
                    assertArrayEquals(want, onDisk, "queue " + q + " wrote its sectors");
                }
                // Busy: right after the work the agent polls and has told the driver not to kick (EVENT_IDX: the
                // avail_event no longer follows avail idx). Idle for longer than the budget: it re-arms and sleeps.
                Thread.sleep(50);
                Map<String, Long> stats = new HashMap<>();
                dp.report((name, value) -> stats.put(name, value));
                assertTrue(stats.get("idle_sleeps") >= 2, "agents slept: " + stats);
                for (int q = 0; q < 2; q++) {
                    assertEquals(drivers[q].availIdx(), drivers[q].availEvent(), "queue " + q + " asks for kicks");
                }
                // Asleep: a new request needs a kick, and the kick (the ioeventfd's eventfd) wakes the agent.
                write(mem, drivers[1], dev, 1, 100, (byte) 0x77);
                assertEquals((byte) 0x77, disk[100 * 512]);
                assertEquals(0, irq.resets.get());
                // EVENT_IDX with used_event left at 0: one interrupt per queue, the first completion's.
                assertEquals(2, irq.used.get(), "interrupts");
            } finally {
                device.reset();
                dp.close();
                dev.close();
            }
        }
    }

    private static MockGuestDriver.UsedElem write(GuestMemory mem, MockGuestDriver d, VirtioBlkDevice dev, int q,
                                                  long sector, byte fill) throws InterruptedException {
        long base = BUFS + 0x100000L * q;
        header(mem, base, BlkRequest.T_OUT, sector);
        mem.slice(base + 0x1000, 4096).fill(fill);
        int head = d.addChain(List.of(readable(base, 16), readable(base + 0x1000, 4096), writable(base + 0x800, 1)));
        return await(d, dev, q, head);
    }

    private static MockGuestDriver.UsedElem read(GuestMemory mem, MockGuestDriver d, VirtioBlkDevice dev, int q,
                                                 long sector) throws InterruptedException {
        long base = BUFS + 0x100000L * q;
        header(mem, base, BlkRequest.T_IN, sector);
        mem.slice(base + 0x1000, 4096).fill((byte) 0);
        int head = d.addChain(List.of(readable(base, 16), writable(base + 0x1000, 4096), writable(base + 0x800, 1)));
        return await(d, dev, q, head);
    }

    private static void header(GuestMemory mem, long gpa, int type, long sector) {
        MemorySegment h = mem.slice(gpa, 16);
        h.set(LE_INT, 0, type);
        h.set(LE_INT, 4, 0);
        h.set(LE_LONG, 8, sector);
        mem.slice(gpa + 0x800, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
    }

    /** Publishes, kicks through the eventfd when the device asks for kicks, and waits for the completion. */
    private static MockGuestDriver.UsedElem await(MockGuestDriver d, VirtioBlkDevice dev, int q, int head)
        throws InterruptedException {
        if (d.kick(true)) {
            MemorySegment one = Arena.global().allocate(8, 8);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Libc.write(dev.polledQueue(q).kickEventFd(), one, 8);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        MockGuestDriver.UsedElem u;
        while ((u = d.takeUsed()) == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertNotNull(u, "completion on queue " + q);
        assertEquals(head, u.id());
        long status = d.memory().slice(BUFS + 0x100000L * q + 0x800, 1).get(ValueLayout.JAVA_BYTE, 0);
        assertEquals(BlkRequest.S_OK, status);
        return u;
    }
}
