package io.vireo.dataplane.virtio.queue;

import io.vireo.dataplane.memory.GuestMemory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.vireo.dataplane.virtio.queue.TestGuestMemory.DATA_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.HIGH_GPA;
import static io.vireo.dataplane.virtio.queue.TestGuestMemory.RING_GPA;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random valid traffic (seeded, so a failure replays): whatever the driver adds, direct or indirect, in whatever
 * batches, the device pops exactly that, and the driver gets back exactly the completions in device order.
 */
class SplitQueuePropertyTest {
    private static final int SIZE = 64;
    private static final long TABLES_GPA = 0x40000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 0xdecafL})
    void shouldPopExactlyWhatWasAddedWhenChainsAreRandom(long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory mem = TestGuestMemory.create(arena);
            MockGuestDriver d = MockGuestDriver.linux(mem, RING_GPA, SIZE);
            boolean eventIdx = rnd.nextBoolean();
            SplitQueue q = d.configure(new SplitQueue(mem, SIZE), eventIdx, true);
            assertEquals(QueueError.OK, q.enable());
            DescriptorChain c = new DescriptorChain(SIZE);
            Map<Integer, List<MockGuestDriver.Buf>> added = new HashMap<>();
            ArrayDeque<Integer> order = new ArrayDeque<>();
            int nextTable = 0;
            int popped = 0;

            for (int round = 0; round < 3000; round++) {
                int batch = 1 + rnd.nextInt(8);
                for (int b = 0; b < batch; b++) {
                    boolean indirect = rnd.nextInt(4) == 0;
                    List<MockGuestDriver.Buf> bufs = randomChain(rnd, indirect ? 12 : 6);
                    if (!indirect && bufs.size() > d.freeDescriptors() || indirect && d.freeDescriptors() == 0) {
                        break;
                    }
                    int head;
                    if (indirect) {
                        long table = TABLES_GPA + (nextTable++ % SIZE) * 16L * 16;
                        head = d.addIndirectChain(table, bufs);
                    } else {
                        head = d.addChain(bufs);
                    }
                    added.put(head, bufs);
                }
                d.kick(eventIdx);

                // Pop all of it, completing a random subset in a shuffled order, the rest later.
                QueueError rc;
                while ((rc = q.popChain(c)) == QueueError.OK) {
                    List<MockGuestDriver.Buf> want = added.get(c.headId());
                    assertChain(want, c);
                    order.add(c.headId());
                    popped++;
                }
                assertEquals(QueueError.EMPTY, rc);
                int complete = rnd.nextInt(order.size() + 1);
                List<Integer> completed = new ArrayList<>();
                for (int i = 0; i < complete; i++) {
                    int head = rnd.nextBoolean() ? order.pollFirst() : order.pollLast();
                    q.pushUsed(head, head * 3);
                    completed.add(head);
                }
                q.publishUsed();
                for (int head : completed) {
                    MockGuestDriver.UsedElem u = d.takeUsed();
                    assertEquals(new MockGuestDriver.UsedElem(head, head * 3), u);
                    added.remove(head);
                }
                assertEquals(null, d.takeUsed());
            }
            assertEquals(order.size(), q.inFlight());
            assertEquals(popped & 0xffff, q.lastAvailIdx());
        }
    }

    private static List<MockGuestDriver.Buf> randomChain(Random rnd, int maxLen) {
        int n = 1 + rnd.nextInt(maxLen);
        int readable = rnd.nextInt(n + 1);
        List<MockGuestDriver.Buf> bufs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long base = rnd.nextBoolean() ? DATA_GPA : HIGH_GPA;
            long gpa = base + rnd.nextInt(1 << 16);
            int len = rnd.nextInt(4096);
            bufs.add(new MockGuestDriver.Buf(gpa, len, i >= readable));
        }
        return bufs;
    }

    private static void assertChain(List<MockGuestDriver.Buf> want, DescriptorChain c) {
        assertEquals(want.size(), c.count());
        long readable = 0;
        long writable = 0;
        for (int i = 0; i < want.size(); i++) {
            MockGuestDriver.Buf b = want.get(i);
            assertEquals(b.gpa(), c.addr(i));
            assertEquals(b.len(), c.len(i));
            assertEquals(b.writable(), c.isWritable(i));
            if (b.writable()) {
                writable += b.len();
            } else {
                readable += b.len();
            }
        }
        assertEquals(readable, c.totalReadable());
        assertEquals(writable, c.totalWritable());
    }
}
