package io.vireo.examples;

import io.vireo.dataplane.agent.DataPlane;
import io.vireo.dataplane.agent.PolledQueue;
import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.agent.AgentOwnedDevice;
import io.vireo.dataplane.virtio.device.blk.BlkRequest;
import io.vireo.dataplane.virtio.device.blk.VirtioBlkDevice;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringOptions;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.QueueError;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.sys.Libc;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.readable;
import static io.vireo.dataplane.virtio.queue.MockGuestDriver.Buf.writable;

/**
 * Vireo's data plane embedded without the VMM: no KVM, no PCI bus, no vCPU. The program maps its own "guest" RAM,
 * puts a virtio-blk device over a disk image, lets a queue agent thread serve the device's queue, and plays the
 * guest's virtio driver itself with {@link MockGuestDriver}: a write, a read back, a flush and GET_ID, each a
 * descriptor chain in the split ring, exactly as a Linux guest lays them out.
 *
 * <p>Run: {@code examples/run [IMAGE]} (a 1 MiB temporary image by default).
 */
public final class EmbedVirtioBlk {
    private static final long RAM_BYTES = 16L << 20;
    private static final long RING_GPA = 0x1000;       // the virtqueue: descriptors, avail ring, used ring
    private static final long HEADER_GPA = 0x10_0000;  // one request: 16-byte header, data, 1-byte status
    private static final long STATUS_GPA = HEADER_GPA + 0x800;
    private static final long DATA_GPA = HEADER_GPA + 0x1000;
    private static final int QUEUE_SIZE = 256;
    private static final long POLL_NS = 32_000;        // the agent spins this long after work, then sleeps in epoll
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private EmbedVirtioBlk() {
    }

    public static void main(String[] args) throws Exception {
        Path image = args.length > 0 ? Path.of(args[0]) : Files.createTempFile("vireo-example", ".img");
        if (args.length == 0) {
            Files.write(image, new byte[1 << 20]).toFile().deleteOnExit();
        }
        run(image, System.out);
    }

    /** Does the work, printing one line per step on {@code out}. */
    public static void run(Path image, PrintStream out) throws InterruptedException {
        AtomicInteger interrupts = new AtomicInteger();
        VirtioInterrupt irq = new VirtioInterrupt() { // a VMM writes an MSI-X irqfd here; we count
            @Override
            public void signalUsed(int queue) {
                interrupts.incrementAndGet();
            }

            @Override
            public void signalConfigChange() { }

            @Override
            public void needsReset(String why) {
                out.println("device needs reset: " + why);
            }
        };
        // 1. Guest RAM: a memfd mapped MAP_SHARED (what a VMM would also hand to KVM). 2. The disk: io_uring over
        // the image. 3. The device, one request queue. 4. The data plane: one agent thread per device.
        try (MemfdGuestMemory ram = MemfdGuestMemory.allocate(RAM_BYTES);
             BlockBackend disk = IoUringBackend.open(image, IoUringOptions.defaults());
             VirtioBlkDevice blk = new VirtioBlkDevice(disk, "vireo-example", 1);
             DataPlane dataPlane = new DataPlane(DataPlane.Threads.PER_DEVICE, new int[0])) {
            out.println("guest RAM: " + (RAM_BYTES >> 20) + " MiB; disk: " + disk.describe() + ", "
                + blk.capacitySectors() + " sectors");
            AgentOwnedDevice device = new AgentOwnedDevice(blk,
                dataPlane.place("disk0", new PolledQueue[] {blk.polledQueue(0)}, POLL_NS));
            dataPlane.start();

            // 5. The driver's side: a split ring in guest RAM, its addresses given to the device as a transport would.
            MockGuestDriver driver = MockGuestDriver.linux(ram, RING_GPA, QUEUE_SIZE);
            SplitQueue queue = driver.configure(new SplitQueue(ram, QUEUE_SIZE), true, true);
            if (queue.enable() != QueueError.OK) {
                throw new IllegalStateException("ring layout refused: " + queue.enable());
            }
            device.activate(blk.deviceFeatures(), new SplitQueue[] {queue}, irq);
            try {
                byte[] text = "written by EmbedVirtioBlk through a virtqueue\n".getBytes(StandardCharsets.US_ASCII);
                MemorySegment data = ram.slice(DATA_GPA, 4096);
                data.fill((byte) 0);
                MemorySegment.copy(text, 0, data, ValueLayout.JAVA_BYTE, 0, text.length);
                request(ram, driver, blk, BlkRequest.T_OUT, 8, readable(DATA_GPA, 4096), out, "write 4096 bytes");
                data.fill((byte) 0);
                request(ram, driver, blk, BlkRequest.T_IN, 8, writable(DATA_GPA, 4096), out, "read 4096 bytes");
                out.println("read back: " + new String(data.asSlice(0, text.length).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII).strip());
                request(ram, driver, blk, BlkRequest.T_FLUSH, 0, null, out, "flush");
                request(ram, driver, blk, BlkRequest.T_GET_ID, 0, writable(DATA_GPA, 20), out, "get id");
                out.println("serial: " + new String(data.asSlice(0, 13).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII));
            } finally {
                device.reset(); // through the agent: it stops touching the ring before this returns
            }
            StringBuilder counters = new StringBuilder("disk0:");
            blk.report((name, value) -> counters.append(' ').append(name).append('=').append(value));
            out.println(counters);
            out.println("interrupts: " + interrupts.get());
        }
    }

    /** One request: header, optional data buffer, status; published, kicked if the device asks, awaited. */
    private static void request(MemfdGuestMemory ram, MockGuestDriver driver, VirtioBlkDevice blk, int type,
                                long sector, MockGuestDriver.Buf data, PrintStream out, String what)
        throws InterruptedException {
        MemorySegment header = ram.slice(HEADER_GPA, BlkRequest.HEADER_SIZE);
        header.set(LE_INT, 0, type);
        header.set(LE_INT, 4, 0);
        header.set(LE_LONG, 8, sector);
        ram.slice(STATUS_GPA, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0xff);
        int head = driver.addChain(data == null
            ? List.of(readable(HEADER_GPA, BlkRequest.HEADER_SIZE), writable(STATUS_GPA, 1))
            : List.of(readable(HEADER_GPA, BlkRequest.HEADER_SIZE), data, writable(STATUS_GPA, 1)));
        // While the agent polls it has told the driver not to kick; once asleep, the kick eventfd wakes it
        // (a VMM registers this eventfd as KVM's ioeventfd for the queue's notify address).
        boolean kicked = driver.kick(true);
        if (kicked) {
            MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            Libc.write(blk.polledQueue(0).kickEventFd(), one, 8);
        }
        MockGuestDriver.UsedElem used;
        for (long deadline = System.nanoTime() + 10_000_000_000L; (used = driver.takeUsed()) == null; ) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": no completion in 10 s");
            }
            Thread.sleep(1);
        }
        int status = ram.slice(STATUS_GPA, 1).get(ValueLayout.JAVA_BYTE, 0);
        out.println(what + ": head " + head + " used (id " + used.id() + ", len " + used.len() + "), status "
            + (status == BlkRequest.S_OK ? "OK" : status) + (kicked ? ", kicked" : ", no kick needed"));
    }
}
