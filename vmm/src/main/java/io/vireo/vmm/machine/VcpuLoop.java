package io.vireo.vmm.machine;

import io.vireo.nativeaccel.VcpuKick;
import io.vireo.sys.Errno;
import io.vireo.sys.Kvm;
import io.vireo.sys.KvmRunLayout;
import io.vireo.vmm.devices.PortIoBus;
import io.vireo.vmm.kvm.Vcpu;
import io.vireo.vmm.pci.MmioBus;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

/**
 * The body of one vCPU thread: KVM_RUN, dispatch the exit, repeat until the machine stops.
 * Port I/O goes to the {@link PortIoBus}; everything else that ends the run is reported to the
 * {@link Machine}. Allocation-free per exit.
 */
final class VcpuLoop implements Runnable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Machine machine;
    private final Vcpu vcpu;
    private final PortIoBus pio;
    private final MmioBus mmio;
    private final MemorySegment run;
    final ExitCounters counters = new ExitCounters();
    /** pthread handle for the kick; 0 until the thread has blocked the kick signal. */
    volatile long threadHandle;
    /** This thread's CPU time when its loop ended (the kernel forgets a dead thread's); 0 while it runs. */
    private volatile long finalCpuNs;
    private volatile Thread thread;

    VcpuLoop(Machine machine, Vcpu vcpu, PortIoBus pio, MmioBus mmio) {
        this.machine = machine;
        this.vcpu = vcpu;
        this.pio = pio;
        this.mmio = mmio;
        this.run = vcpu.runPage();
    }

    /** Makes KVM_RUN return at once, now or at its next entry. Any thread. */
    void kick() {
        long h = threadHandle;
        if (h != 0) {
            VcpuKick.kick(h, run);
        }
    }

    /** The vCPU thread's CPU time, in ns (the kernel's per-thread clock). Any thread. */
    long cpuNs() {
        long done = finalCpuNs;
        Thread t = thread;
        if (done != 0 || t == null) {
            return done;
        }
        long ns = ManagementFactory.getThreadMXBean().getThreadCpuTime(t.threadId());
        return ns < 0 ? finalCpuNs : ns;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            runLoop();
        } finally {
            finalCpuNs = Math.max(1, ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
        }
    }

    private void runLoop() {
        try {
            threadHandle = VcpuKick.prepareCurrentThread(vcpu.fd());
            // ORDERING: threadHandle (volatile) is published before we read stopping() and pauseRequested(); the
            // stopper (pauser) writes its flag before it reads threadHandle, so one of us sees the other.
            while (!machine.stopping()) {
                if (machine.pauseRequested()) {
                    // Out of KVM_RUN, between two exits: the vCPU's state is whole (a pending I/O completes at
                    // the next entry). Parks until the resume.
                    machine.parkVcpu();
                    continue;
                }
                long r = vcpu.run();
                if (r < 0) {
                    if (-r == Errno.EINTR || -r == Errno.EAGAIN) {
                        counters.counts[ExitCounters.INTR]++;
                        VcpuKick.acknowledge(run);
                        continue;
                    }
                    machine.fail("vcpu" + vcpu.index() + ": KVM_RUN: " + Errno.name((int) -r) + " (" + -r + ")");
                    return;
                }
                handleExit();
            }
        } catch (RuntimeException | Error e) {
            machine.fail("vcpu" + vcpu.index() + ": " + e, e);
        }
    }

    private void handleExit() {
        int reason = run.get(U32, KvmRunLayout.EXIT_REASON_OFFSET);
        counters.counts[ExitCounters.kindOf(reason)]++;
        switch (reason) {
            case Kvm.KVM_EXIT_IO -> handleIo();
            case Kvm.KVM_EXIT_MMIO -> handleMmio();
            case Kvm.KVM_EXIT_INTR -> { }
            case Kvm.KVM_EXIT_HLT -> machine.halted(vcpu.index());
            case Kvm.KVM_EXIT_SHUTDOWN -> {
                // Where the guest was: a triple fault's own line says only that it happened.
                System.getLogger(VcpuLoop.class.getName()).log(System.Logger.Level.WARNING, "vcpu" + vcpu.index()
                    + " at the triple fault: " + vcpu.stateSummary());
                machine.tripleFault(vcpu.index());
            }
            case Kvm.KVM_EXIT_SYSTEM_EVENT -> handleSystemEvent();
            case Kvm.KVM_EXIT_INTERNAL_ERROR -> machine.fail("vcpu" + vcpu.index() + ": KVM internal error, suberror "
                + run.get(U32, KvmRunLayout.INTERNAL_SUBERROR_OFFSET));
            case Kvm.KVM_EXIT_FAIL_ENTRY -> machine.fail("vcpu" + vcpu.index() + ": VM entry failed, reason 0x"
                + Long.toHexString(run.get(U64, KvmRunLayout.FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON_OFFSET)));
            default -> machine.fail("vcpu" + vcpu.index() + ": unexpected exit " + Kvm.exitReasonName(reason)
                + " (" + reason + ")");
        }
    }

    private void handleIo() {
        int dir = run.get(ValueLayout.JAVA_BYTE, KvmRunLayout.IO_DIRECTION_OFFSET);
        int size = run.get(ValueLayout.JAVA_BYTE, KvmRunLayout.IO_SIZE_OFFSET);
        int port = Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT_UNALIGNED, KvmRunLayout.IO_PORT_OFFSET));
        int count = run.get(U32, KvmRunLayout.IO_COUNT_OFFSET);
        long data = run.get(U64, KvmRunLayout.IO_DATA_OFFSET_OFFSET);
        // SAFETY: KVM fills size, count and data_offset; a rep in/out of count items lies inside the run
        // page by construction, but check anyway so that a KVM bug cannot make us read out of bounds.
        if (size != 1 && size != 2 && size != 4 || count < 0 || data < 0
            || data + (long) size * count > run.byteSize()) {
            machine.fail("vcpu" + vcpu.index() + ": malformed I/O exit: port 0x" + Integer.toHexString(port)
                + " size " + size + " count " + count);
            return;
        }
        for (int i = 0; i < count; i++) {
            long at = data + (long) i * size;
            if (dir == Kvm.KVM_EXIT_IO_OUT) {
                pio.write(port, size, load(at, size));
            } else {
                store(at, size, pio.read(port, size));
            }
        }
    }

    /** MMIO to PCI config (ECAM) and BARs; unmapped reads see all ones, unmapped writes are dropped. */
    private void handleMmio() {
        long gpa = run.get(U64, KvmRunLayout.MMIO_PHYS_ADDR_OFFSET);
        int len = run.get(U32, KvmRunLayout.MMIO_LEN_OFFSET);
        // SAFETY: KVM gives len 1, 2, 4 or 8; anything else would be a KVM bug, treated as 8 at most.
        int size = len == 1 || len == 2 || len == 4 ? len : 8;
        if (run.get(ValueLayout.JAVA_BYTE, KvmRunLayout.MMIO_IS_WRITE_OFFSET) != 0) {
            mmio.write(gpa, size, run.get(U64, KvmRunLayout.MMIO_DATA_OFFSET) & mask(size));
        } else {
            run.set(U64, KvmRunLayout.MMIO_DATA_OFFSET, mmio.read(gpa, size) & mask(size));
        }
    }

    private static long mask(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    private void handleSystemEvent() {
        int type = run.get(U32, KvmRunLayout.SYSTEM_EVENT_TYPE_OFFSET);
        switch (type) {
            case Kvm.KVM_SYSTEM_EVENT_SHUTDOWN -> machine.powerOff();
            case Kvm.KVM_SYSTEM_EVENT_RESET -> machine.reset("KVM system event");
            default -> machine.fail("vcpu" + vcpu.index() + ": system event " + type + " (guest crash)");
        }
    }

    private int load(long at, int size) {
        return switch (size) {
            case 1 -> Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, at));
            case 2 -> Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
            default -> run.get(U32, at);
        };
    }

    private void store(long at, int size, int value) {
        switch (size) {
            case 1 -> run.set(ValueLayout.JAVA_BYTE, at, (byte) value);
            case 2 -> run.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) value);
            default -> run.set(U32, at, value);
        }
    }
}
