package io.vireo.dataplane.virtio.transport.pci;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.VirtioFeatures;
import io.vireo.dataplane.virtio.queue.MockGuestDriver;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.vireo.dataplane.virtio.VirtioFeatures.ACKNOWLEDGE;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.COMMON_CFG_OFFSET;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.DEVICE_STATUS;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.LEGACY_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MODERN_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.MSIX_BAR;
import static io.vireo.dataplane.virtio.transport.pci.VirtioPciLayout.NO_VECTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the virtio-PCI transport (issue 18): random sequences of reads and writes of every width (including the
 * invalid ones) at every offset of PCI config space (with the PCI_CFG window), common config, ISR, device config,
 * notify, the MSI-X table and PBA, the legacy registers and unknown BARs, mixed with status writes so the function
 * really goes through FEATURES_OK and DRIVER_OK.
 *
 * <p>After every access: nothing threw; a status of 0 written means the device was reset and is inactive; status bits
 * only grow between resets; FEATURES_OK set (modern) means the negotiated features were offered and include
 * VERSION_1; active means DRIVER_OK (and FEATURES_OK, modern); the device is never activated twice without a reset
 * between; a read returns no bits beyond its width; the read-only IDs never change. After the sequence, a driver reset
 * and a normal initialisation bring the function to DRIVER_OK with its queues.
 */
class TransportFuzzTest {
    private static final AtomicLong CASES = new AtomicLong();
    private static final AtomicLong ACCESSES = new AtomicLong();
    private static final AtomicLong ACTIVATIONS = new AtomicLong();
    private static final AtomicLong[] BY_TARGET = {new AtomicLong(), new AtomicLong(), new AtomicLong(),
        new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};

    private MockGuestDriver ring0;
    private MockGuestDriver ring1;

    enum Target { CONFIG, MODERN, MSIX, LEGACY, OTHER_BAR, STATUS, INIT }

    /**
     * One access. {@code STATUS} is a status write through common config; {@code INIT} is a driver's whole set-up
     * (features {@code value} with VERSION_1 or not, both queues, DRIVER_OK) from wherever the status is.
     */
    record Access(Target target, long offset, int width, boolean write, long value) {
    }

    @Property
    void shouldKeepTheStatusMachineRulesWhateverTheDriverAccesses(@ForAll boolean transitional,
                                                                   @ForAll("sequences") List<Access> seq) {
        CASES.incrementAndGet();
        try (Arena arena = Arena.ofConfined()) {
            GuestMemory memory = TestGuestMemory.create(arena);
            ring0 = MockGuestDriver.linux(memory, 0x10000, 64);
            ring1 = MockGuestDriver.linux(memory, 0x20000, 128);
            List<Integer> raised = new ArrayList<>();
            FakeVirtioDevice device = new FakeVirtioDevice();
            VirtioPciFunction fn = new VirtioPciFunction(device, memory, raised::add, transitional);
            int vendor = fn.readConfig(0, 4);
            int prev = fn.deviceStatus();
            for (Access a : seq) {
                ACCESSES.incrementAndGet();
                BY_TARGET[a.target().ordinal()].incrementAndGet();
                int calls = device.calls.size();
                boolean wroteZero = apply(fn, a, transitional);
                int st = fn.deviceStatus();
                if (wroteZero) {
                    assertEquals(0, st, "status 0 written: reset");
                    assertFalse(fn.isActive());
                    assertNull(fn.activeQueues());
                } else {
                    assertTrue(st == 0 || (prev & ~st) == 0,
                        "status bits only grow between resets: 0x" + Integer.toHexString(prev) + " -> 0x"
                            + Integer.toHexString(st) + " after " + a);
                }
                if (fn.isActive()) {
                    assertTrue((st & DRIVER_OK) != 0, "active without DRIVER_OK");
                }
                if (!transitional && (st & FEATURES_OK) != 0) {
                    long drv = fn.driverFeatures();
                    assertEquals(0, drv & ~fn.offeredFeatures(), "FEATURES_OK with features never offered");
                    assertTrue(VirtioFeatures.has(drv, VirtioFeatures.VERSION_1), "FEATURES_OK without VERSION_1");
                }
                if (!transitional && fn.isActive()) {
                    assertTrue((st & FEATURES_OK) != 0, "active without FEATURES_OK");
                }
                for (String c : device.calls.subList(calls, device.calls.size())) {
                    if (c.equals("activate")) {
                        ACTIVATIONS.incrementAndGet();
                    }
                }
                prev = st;
            }
            assertActivationsAlternateWithResets(device.calls);
            assertEquals(vendor, fn.readConfig(0, 4), "vendor and device IDs are read-only");

            // A driver reset, then a normal initialisation: the function works.
            write(fn, transitional, 0);
            assertEquals(0, fn.deviceStatus());
            write(fn, transitional, ACKNOWLEDGE | DRIVER);
            VirtioPciFunctionTest.driverFeatures(fn, VirtioFeatures.VERSION_1);
            write(fn, transitional, ACKNOWLEDGE | DRIVER | FEATURES_OK);
            assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK, fn.deviceStatus());
            VirtioPciFunctionTest.setupQueue(fn, 0, MockGuestDriver.linux(memory, 0x10000, 64), 0);
            VirtioPciFunctionTest.setupQueue(fn, 1, MockGuestDriver.linux(memory, 0x20000, 64), 1);
            write(fn, transitional, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
            assertTrue(fn.isActive(), "the function activates after a driver reset");
            assertTrue(device.activatedQueues[0].isReady() && device.activatedQueues[1].isReady());
        }
    }

    @AfterContainer
    static void report() {
        StringBuilder by = new StringBuilder();
        for (Target t : Target.values()) {
            by.append(' ').append(t.name().toLowerCase()).append('=').append(BY_TARGET[t.ordinal()].get());
        }
        System.out.printf("fuzz[transport]: %d cases, %d accesses (%s), %d activations; every invariant held%n",
            CASES.get(), ACCESSES.get(), by.toString().trim(), ACTIVATIONS.get());
    }

    private static void write(VirtioPciFunction fn, boolean transitional, int status) {
        VirtioPciFunctionTest.status(fn, status);
    }

    /** Performs the access; returns whether it was a write of 0 to device_status. */
    private boolean apply(VirtioPciFunction fn, Access a, boolean transitional) {
        int w = a.width();
        switch (a.target()) {
            case CONFIG -> {
                if (a.write()) {
                    fn.writeConfig((int) a.offset(), w, (int) a.value());
                } else {
                    assertFits(Integer.toUnsignedLong(fn.readConfig((int) a.offset(), w)), w);
                }
                return false;
            }
            case INIT -> {
                int st = fn.deviceStatus();
                VirtioPciFunctionTest.status(fn, st | ACKNOWLEDGE | DRIVER);
                VirtioPciFunctionTest.driverFeatures(fn, a.offset() == 0 ? a.value() : VirtioFeatures.VERSION_1);
                VirtioPciFunctionTest.status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);
                VirtioPciFunctionTest.setupQueue(fn, 0, ring0, (int) a.value() & 3);
                VirtioPciFunctionTest.setupQueue(fn, 1, ring1, NO_VECTOR);
                VirtioPciFunctionTest.status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
                return false;
            }
            case STATUS -> {
                fn.writeBar(MODERN_BAR, COMMON_CFG_OFFSET + DEVICE_STATUS, 1, a.value() & 0xff);
                return (a.value() & 0xff) == 0;
            }
            default -> {
                int bar = switch (a.target()) {
                    case MODERN -> MODERN_BAR;
                    case MSIX -> MSIX_BAR;
                    case LEGACY -> LEGACY_BAR;
                    default -> (int) (a.value() >>> 40 & 7);
                };
                if (a.write()) {
                    fn.writeBar(bar, a.offset(), w, a.value());
                    boolean modernStatus = bar == MODERN_BAR && a.offset() == COMMON_CFG_OFFSET + DEVICE_STATUS
                        && w == 1;
                    // Legacy header: device_status is the byte at 18 (§4.1.4.10).
                    boolean legacyStatus = transitional && bar == LEGACY_BAR && a.offset() == 18 && w == 1;
                    return (modernStatus || legacyStatus) && (a.value() & 0xff) == 0;
                }
                long v = fn.readBar(bar, a.offset(), w);
                assertFits(v, w);
                return false;
            }
        }
    }

    private static void assertFits(long v, int width) {
        if (width == 1 || width == 2 || width == 4) {
            assertEquals(0, v >>> (8 * width), "a " + width + "-byte read returned 0x" + Long.toHexString(v));
        }
    }

    private static void assertActivationsAlternateWithResets(List<String> calls) {
        boolean active = false;
        for (String c : calls) {
            if (c.equals("activate")) {
                assertFalse(active, "activated twice without a reset: " + calls);
                active = true;
            } else if (c.equals("reset")) {
                active = false;
            }
        }
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<List<Access>> sequences() {
        return access().list().ofMaxSize(120);
    }

    private static <T> Tuple2<Integer, Arbitrary<? extends T>> weighted(int weight, Arbitrary<? extends T> a) {
        return Tuple.of(weight, a);
    }

    private static Arbitrary<Access> access() {
        Arbitrary<Integer> width = Arbitraries.frequencyOf(
            weighted(10, Arbitraries.of(1, 2, 4)),
            weighted(2, Arbitraries.of(8)),
            weighted(1, Arbitraries.of(0, 3, 5, 16, -1, Integer.MAX_VALUE)));
        Arbitrary<Long> value = Arbitraries.frequencyOf(
            weighted(4, Arbitraries.longs().between(0, 0xff)),
            weighted(3, Arbitraries.of(0L, 1L, 0xffffL, 0xffff_ffffL, -1L, 0x10000L, 0xfee0_0000L,
                VirtioFeatures.VERSION_1 >>> 32, 0x10000L + 0x1000)),
            weighted(3, Arbitraries.longs()));
        Arbitrary<Long> configOffset = Arbitraries.frequencyOf(
            weighted(8, Arbitraries.longs().between(0, 0xff)),
            weighted(1, Arbitraries.longs().between(0x100, 0x1000)),
            weighted(1, Arbitraries.of(-1L, 0x1000L, 0xfffL, Integer.MAX_VALUE + 0L)));
        Arbitrary<Long> modernOffset = Arbitraries.frequencyOf(
            weighted(6, Arbitraries.longs().between(0, 0x40)),
            weighted(2, Arbitraries.of(0x1000L, 0x2000L, 0x3000L).flatMap(b -> Arbitraries.longs()
                .between(b, b + 0x20))),
            weighted(1, Arbitraries.longs().between(0, 0x5000)),
            weighted(1, Arbitraries.of(-1L, Long.MAX_VALUE, Long.MIN_VALUE, 0x3fffL, 0x4000L)));
        Arbitrary<Long> msixOffset = Arbitraries.frequencyOf(
            weighted(6, Arbitraries.longs().between(0, 0x100)),
            weighted(2, Arbitraries.longs().between(0x800, 0x900)),
            weighted(1, Arbitraries.longs().between(0, 0x4000)),
            weighted(1, Arbitraries.of(-1L, Long.MAX_VALUE, Long.MIN_VALUE)));
        Arbitrary<Long> legacyOffset = Arbitraries.frequencyOf(
            weighted(8, Arbitraries.longs().between(0, 0x40)),
            weighted(1, Arbitraries.of(-1L, 0x100L, 0x1000L, Long.MAX_VALUE)));
        Arbitrary<Access> config = Combinators.combine(configOffset, width, Arbitraries.of(true, false), value)
            .as((o, w, wr, v) -> new Access(Target.CONFIG, o, w, wr, v));
        Arbitrary<Access> modern = Combinators.combine(modernOffset, width, Arbitraries.of(true, false), value)
            .as((o, w, wr, v) -> new Access(Target.MODERN, o, w, wr, v));
        Arbitrary<Access> msix = Combinators.combine(msixOffset, width, Arbitraries.of(true, false), value)
            .as((o, w, wr, v) -> new Access(Target.MSIX, o, w, wr, v));
        Arbitrary<Access> legacy = Combinators.combine(legacyOffset, width, Arbitraries.of(true, false), value)
            .as((o, w, wr, v) -> new Access(Target.LEGACY, o, w, wr, v));
        Arbitrary<Access> other = Combinators.combine(Arbitraries.longs().between(0, 0x100), width,
            Arbitraries.of(true, false), value).as((o, w, wr, v) -> new Access(Target.OTHER_BAR, o, w, wr, v));
        Arbitrary<Access> status = Arbitraries.frequencyOf(
                weighted(4, Arbitraries.of(0L, 1L, 3L, 0xbL, 0xfL, 0x7L)),
                weighted(1, Arbitraries.longs().between(0, 0xff)))
            .map(v -> new Access(Target.STATUS, DEVICE_STATUS, 1, true, v));
        Arbitrary<Access> init = Combinators.combine(Arbitraries.of(0L, 1L, 1L, 1L), value)
            .as((o, v) -> new Access(Target.INIT, o, 4, true, v));
        return Arbitraries.frequencyOf(
            weighted(1, init),
            weighted(3, config), weighted(6, modern), weighted(2, msix), weighted(2, legacy), weighted(1, other),
            weighted(3, status));
    }
}
