package io.vireo.sys;

/**
 * KVM API constants (x86-64, {@code <linux/kvm.h>}, API version 12): ioctl numbers, exit reasons, capabilities
 * and flags. Struct layouts are in the {@code Kvm*Layout} classes; {@code AbiConstantsTest} checks every value
 * here against the C headers.
 *
 * <p>ioctl numbers are built as in {@code <asm-generic/ioctl.h>}: {@code dir << 30 | size << 16 | type << 8 | nr},
 * where dir is none (0), write (1, user space to kernel) or read (2), and the type of every KVM ioctl is 0xAE.
 */
public final class Kvm {

    public static final int KVM_API_VERSION = 12;
    /** The ioctl "type" byte of every KVM ioctl. */
    public static final int KVMIO = 0xAE;

    // ---- the vCPU mmap (KVM_GET_VCPU_MMAP_SIZE bytes): kvm_run in page 0, then these pages ----
    /** Page of the vCPU mmap that holds KVM_EXIT_IO data (kvm_run.io.data_offset points into it). */
    public static final int KVM_PIO_PAGE_OFFSET = 1;
    /** Page of the vCPU mmap that holds the coalesced MMIO ring ({@link KvmCoalescedMmioRingLayout}). */
    public static final int KVM_COALESCED_MMIO_PAGE_OFFSET = 2;
    public static final int KVM_NR_INTERRUPTS = 256;

    // ---- system ioctls (on the /dev/kvm fd) ----
    public static final long KVM_GET_API_VERSION = io(0x00);
    public static final long KVM_CREATE_VM = io(0x01);
    public static final long KVM_GET_MSR_INDEX_LIST = iowr(0x02, KvmMsrListLayout.SIZE);
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    public static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, KvmCpuid2Layout.SIZE);
    public static final long KVM_GET_EMULATED_CPUID = iowr(0x09, KvmCpuid2Layout.SIZE);
    public static final long KVM_GET_MSR_FEATURE_INDEX_LIST = iowr(0x0a, KvmMsrListLayout.SIZE);

    // ---- VM ioctls ----
    public static final long KVM_CREATE_VCPU = io(0x41);
    /** struct kvm_dirty_log is 16 bytes. */
    public static final long KVM_GET_DIRTY_LOG = iow(0x42, 16);
    public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, KvmUserspaceMemoryRegionLayout.SIZE);
    public static final long KVM_SET_TSS_ADDR = io(0x47);
    public static final long KVM_SET_IDENTITY_MAP_ADDR = iow(0x48, Long.BYTES);
    public static final long KVM_CREATE_IRQCHIP = io(0x60);
    public static final long KVM_IRQ_LINE = iow(0x61, KvmIrqLevelLayout.SIZE);
    /** struct kvm_irqchip is 520 bytes. */
    public static final long KVM_GET_IRQCHIP = iowr(0x62, 520);
    /** Declared _IOR in the kernel headers although data flows in; the number is what counts. */
    public static final long KVM_SET_IRQCHIP = ior(0x63, 520);
    public static final long KVM_IRQ_LINE_STATUS = iowr(0x67, KvmIrqLevelLayout.SIZE);
    public static final long KVM_REGISTER_COALESCED_MMIO = iow(0x67, KvmCoalescedMmioZoneLayout.SIZE);
    public static final long KVM_UNREGISTER_COALESCED_MMIO = iow(0x68, KvmCoalescedMmioZoneLayout.SIZE);
    public static final long KVM_SET_GSI_ROUTING = iow(0x6a, KvmIrqRoutingLayout.SIZE);
    public static final long KVM_IRQFD = iow(0x76, KvmIrqfdLayout.SIZE);
    public static final long KVM_CREATE_PIT2 = iow(0x77, KvmPitConfigLayout.SIZE);
    public static final long KVM_SET_BOOT_CPU_ID = io(0x78);
    public static final long KVM_IOEVENTFD = iow(0x79, KvmIoeventfdLayout.SIZE);
    /** struct kvm_clock_data is 48 bytes. */
    public static final long KVM_SET_CLOCK = iow(0x7b, 48);
    public static final long KVM_GET_CLOCK = ior(0x7c, 48);
    /** struct kvm_pit_state2 is 112 bytes. */
    public static final long KVM_GET_PIT2 = ior(0x9f, 112);
    public static final long KVM_SET_PIT2 = iow(0xa0, 112);
    public static final long KVM_SIGNAL_MSI = iow(0xa5, KvmMsiLayout.SIZE);
    /** nr 0xa3 is also KVM_GET_TSC_KHZ (a vCPU ioctl); direction and size tell them apart. */
    public static final long KVM_ENABLE_CAP = iow(0xa3, KvmEnableCapLayout.SIZE);
    public static final long KVM_GET_STATS_FD = io(0xce);

    // ---- vCPU ioctls ----
    public static final long KVM_RUN = io(0x80);
    public static final long KVM_GET_REGS = ior(0x81, KvmRegsLayout.SIZE);
    public static final long KVM_SET_REGS = iow(0x82, KvmRegsLayout.SIZE);
    public static final long KVM_GET_SREGS = ior(0x83, KvmSregsLayout.SIZE);
    public static final long KVM_SET_SREGS = iow(0x84, KvmSregsLayout.SIZE);
    /** struct kvm_interrupt is 4 bytes. */
    public static final long KVM_INTERRUPT = iow(0x86, Integer.BYTES);
    public static final long KVM_GET_MSRS = iowr(0x88, KvmMsrsLayout.SIZE);
    public static final long KVM_SET_MSRS = iow(0x89, KvmMsrsLayout.SIZE);
    public static final long KVM_SET_SIGNAL_MASK = iow(0x8b, KvmSignalMaskLayout.SIZE);
    public static final long KVM_GET_FPU = ior(0x8c, KvmFpuLayout.SIZE);
    public static final long KVM_SET_FPU = iow(0x8d, KvmFpuLayout.SIZE);
    public static final long KVM_GET_LAPIC = ior(0x8e, KvmLapicStateLayout.SIZE);
    public static final long KVM_SET_LAPIC = iow(0x8f, KvmLapicStateLayout.SIZE);
    public static final long KVM_SET_CPUID2 = iow(0x90, KvmCpuid2Layout.SIZE);
    public static final long KVM_GET_CPUID2 = iowr(0x91, KvmCpuid2Layout.SIZE);
    public static final long KVM_GET_MP_STATE = ior(0x98, KvmMpStateLayout.SIZE);
    public static final long KVM_SET_MP_STATE = iow(0x99, KvmMpStateLayout.SIZE);
    public static final long KVM_NMI = io(0x9a);
    public static final long KVM_SET_GUEST_DEBUG = iow(0x9b, KvmGuestDebugLayout.SIZE);
    public static final long KVM_GET_VCPU_EVENTS = ior(0x9f, KvmVcpuEventsLayout.SIZE);
    public static final long KVM_SET_VCPU_EVENTS = iow(0xa0, KvmVcpuEventsLayout.SIZE);
    public static final long KVM_SET_TSC_KHZ = io(0xa2);
    public static final long KVM_GET_TSC_KHZ = io(0xa3);
    /** struct kvm_xsave is 4096 bytes (KVM_GET_XSAVE2 may need more: ask KVM_CAP_XSAVE2). */
    public static final long KVM_GET_XSAVE = ior(0xa4, 4096);
    public static final long KVM_SET_XSAVE = iow(0xa5, 4096);
    /** struct kvm_xcrs is 392 bytes. */
    public static final long KVM_GET_XCRS = ior(0xa6, 392);
    public static final long KVM_SET_XCRS = iow(0xa7, 392);
    public static final long KVM_KVMCLOCK_CTRL = io(0xad);

    // ---- exit reasons (kvm_run.exit_reason) ----
    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HYPERCALL = 3;
    public static final int KVM_EXIT_DEBUG = 4;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_IRQ_WINDOW_OPEN = 7;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_SET_TPR = 11;
    public static final int KVM_EXIT_TPR_ACCESS = 12;
    public static final int KVM_EXIT_NMI = 16;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;
    public static final int KVM_EXIT_SYSTEM_EVENT = 24;
    public static final int KVM_EXIT_IOAPIC_EOI = 26;
    public static final int KVM_EXIT_HYPERV = 27;
    public static final int KVM_EXIT_X86_RDMSR = 29;
    public static final int KVM_EXIT_X86_WRMSR = 30;
    public static final int KVM_EXIT_DIRTY_RING_FULL = 31;
    public static final int KVM_EXIT_AP_RESET_HOLD = 32;
    public static final int KVM_EXIT_X86_BUS_LOCK = 33;
    public static final int KVM_EXIT_XEN = 34;
    public static final int KVM_EXIT_NOTIFY = 37;

    public static final int KVM_EXIT_IO_IN = 0;
    public static final int KVM_EXIT_IO_OUT = 1;

    public static final int KVM_INTERNAL_ERROR_EMULATION = 1;
    public static final int KVM_INTERNAL_ERROR_SIMUL_EX = 2;
    public static final int KVM_INTERNAL_ERROR_DELIVERY_EV = 3;
    public static final int KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON = 4;

    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1;
    public static final int KVM_SYSTEM_EVENT_RESET = 2;
    public static final int KVM_SYSTEM_EVENT_CRASH = 3;
    public static final int KVM_SYSTEM_EVENT_WAKEUP = 4;
    public static final int KVM_SYSTEM_EVENT_SUSPEND = 5;

    // ---- capabilities (KVM_CHECK_EXTENSION, KVM_ENABLE_CAP) ----
    public static final int KVM_CAP_IRQCHIP = 0;
    public static final int KVM_CAP_HLT = 1;
    public static final int KVM_CAP_USER_MEMORY = 3;
    public static final int KVM_CAP_SET_TSS_ADDR = 4;
    public static final int KVM_CAP_EXT_CPUID = 7;
    public static final int KVM_CAP_NR_VCPUS = 9;
    public static final int KVM_CAP_NR_MEMSLOTS = 10;
    public static final int KVM_CAP_PIT = 11;
    public static final int KVM_CAP_MP_STATE = 14;
    public static final int KVM_CAP_COALESCED_MMIO = 15;
    public static final int KVM_CAP_SYNC_MMU = 16;
    public static final int KVM_CAP_SET_GUEST_DEBUG = 23;
    public static final int KVM_CAP_IRQ_ROUTING = 25;
    public static final int KVM_CAP_IRQ_INJECT_STATUS = 26;
    public static final int KVM_CAP_IRQFD = 32;
    public static final int KVM_CAP_PIT2 = 33;
    public static final int KVM_CAP_PIT_STATE2 = 35;
    public static final int KVM_CAP_IOEVENTFD = 36;
    public static final int KVM_CAP_SET_IDENTITY_MAP_ADDR = 37;
    public static final int KVM_CAP_ADJUST_CLOCK = 39;
    public static final int KVM_CAP_INTERNAL_ERROR_DATA = 40;
    public static final int KVM_CAP_VCPU_EVENTS = 41;
    public static final int KVM_CAP_ENABLE_CAP = 54;
    public static final int KVM_CAP_XSAVE = 55;
    public static final int KVM_CAP_XCRS = 56;
    public static final int KVM_CAP_TSC_CONTROL = 60;
    public static final int KVM_CAP_GET_TSC_KHZ = 61;
    public static final int KVM_CAP_MAX_VCPUS = 66;
    public static final int KVM_CAP_ONE_REG = 70;
    public static final int KVM_CAP_TSC_DEADLINE_TIMER = 72;
    public static final int KVM_CAP_SYNC_REGS = 74;
    public static final int KVM_CAP_KVMCLOCK_CTRL = 76;
    public static final int KVM_CAP_SIGNAL_MSI = 77;
    public static final int KVM_CAP_READONLY_MEM = 81;
    public static final int KVM_CAP_IRQFD_RESAMPLE = 82;
    public static final int KVM_CAP_ENABLE_CAP_VM = 98;
    public static final int KVM_CAP_IOEVENTFD_NO_LENGTH = 100;
    public static final int KVM_CAP_CHECK_EXTENSION_VM = 105;
    public static final int KVM_CAP_SPLIT_IRQCHIP = 121;
    public static final int KVM_CAP_IOEVENTFD_ANY_LENGTH = 122;
    public static final int KVM_CAP_MAX_VCPU_ID = 128;
    public static final int KVM_CAP_X2APIC_API = 129;
    public static final int KVM_CAP_MSI_DEVID = 131;
    public static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    public static final int KVM_CAP_X86_DISABLE_EXITS = 143;
    public static final int KVM_CAP_COALESCED_PIO = 162;
    public static final int KVM_CAP_EXCEPTION_PAYLOAD = 164;
    public static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    public static final int KVM_CAP_HALT_POLL = 182;
    public static final int KVM_CAP_X86_USER_SPACE_MSR = 188;
    public static final int KVM_CAP_X86_MSR_FILTER = 189;
    public static final int KVM_CAP_DIRTY_LOG_RING = 192;
    public static final int KVM_CAP_X86_BUS_LOCK_EXIT = 193;
    public static final int KVM_CAP_SET_GUEST_DEBUG2 = 195;
    public static final int KVM_CAP_SREGS2 = 200;
    public static final int KVM_CAP_BINARY_STATS_FD = 203;
    public static final int KVM_CAP_EXIT_ON_EMULATION_FAILURE = 204;
    public static final int KVM_CAP_XSAVE2 = 208;
    public static final int KVM_CAP_SYSTEM_EVENT_DATA = 215;
    public static final int KVM_CAP_X86_TRIPLE_FAULT_EVENT = 218;
    public static final int KVM_CAP_X86_NOTIFY_VMEXIT = 219;
    public static final int KVM_CAP_DIRTY_LOG_RING_ACQ_REL = 223;

    // ---- KVM_CAP_X86_DISABLE_EXITS arguments ----
    public static final int KVM_X86_DISABLE_EXITS_MWAIT = 1 << 0;
    public static final int KVM_X86_DISABLE_EXITS_HLT = 1 << 1;
    public static final int KVM_X86_DISABLE_EXITS_PAUSE = 1 << 2;
    public static final int KVM_X86_DISABLE_EXITS_CSTATE = 1 << 3;

    // ---- memory slots ----
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
    public static final int KVM_MEM_READONLY = 1 << 1;

    // ---- interrupts ----
    public static final int KVM_IRQCHIP_PIC_MASTER = 0;
    public static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    public static final int KVM_IRQCHIP_IOAPIC = 2;
    public static final int KVM_IRQ_ROUTING_IRQCHIP = 1;
    public static final int KVM_IRQ_ROUTING_MSI = 2;
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1 << 0;
    public static final int KVM_IRQFD_FLAG_RESAMPLE = 1 << 1;
    public static final int KVM_MSI_VALID_DEVID = 1 << 0;
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    // ---- ioeventfd flags ----
    public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1 << 0;
    public static final int KVM_IOEVENTFD_FLAG_PIO = 1 << 1;
    public static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 1 << 2;

    // ---- vCPU state ----
    public static final int KVM_MP_STATE_RUNNABLE = 0;
    public static final int KVM_MP_STATE_UNINITIALIZED = 1;
    public static final int KVM_MP_STATE_INIT_RECEIVED = 2;
    public static final int KVM_MP_STATE_HALTED = 3;
    public static final int KVM_MP_STATE_SIPI_RECEIVED = 4;
    public static final int KVM_MP_STATE_STOPPED = 5;
    public static final int KVM_MP_STATE_CHECK_STOP = 6;
    public static final int KVM_MP_STATE_OPERATING = 7;
    public static final int KVM_MP_STATE_LOAD = 8;
    public static final int KVM_MP_STATE_AP_RESET_HOLD = 9;
    public static final int KVM_MP_STATE_SUSPENDED = 10;

    public static final int KVM_GUESTDBG_ENABLE = 0x00000001;
    public static final int KVM_GUESTDBG_SINGLESTEP = 0x00000002;
    public static final int KVM_GUESTDBG_USE_SW_BP = 0x00010000;
    public static final int KVM_GUESTDBG_USE_HW_BP = 0x00020000;
    public static final int KVM_GUESTDBG_INJECT_DB = 0x00040000;
    public static final int KVM_GUESTDBG_INJECT_BP = 0x00080000;

    public static final int KVM_VCPUEVENT_VALID_NMI_PENDING = 0x01;
    public static final int KVM_VCPUEVENT_VALID_SIPI_VECTOR = 0x02;
    public static final int KVM_VCPUEVENT_VALID_SHADOW = 0x04;
    public static final int KVM_VCPUEVENT_VALID_SMM = 0x08;
    public static final int KVM_VCPUEVENT_VALID_PAYLOAD = 0x10;

    public static final int KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1 << 0;

    // ---- binary stats (KVM_GET_STATS_FD): kvm_stats_desc.flags ----
    public static final int KVM_STATS_TYPE_SHIFT = 0;
    public static final int KVM_STATS_TYPE_MASK = 0xF << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_TYPE_CUMULATIVE = 0x0 << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_TYPE_INSTANT = 0x1 << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_TYPE_PEAK = 0x2 << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_TYPE_LINEAR_HIST = 0x3 << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_TYPE_LOG_HIST = 0x4 << KVM_STATS_TYPE_SHIFT;
    public static final int KVM_STATS_UNIT_SHIFT = 4;
    public static final int KVM_STATS_UNIT_MASK = 0xF << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_UNIT_NONE = 0x0 << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_UNIT_BYTES = 0x1 << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_UNIT_SECONDS = 0x2 << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_UNIT_CYCLES = 0x3 << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_UNIT_BOOLEAN = 0x4 << KVM_STATS_UNIT_SHIFT;
    public static final int KVM_STATS_BASE_SHIFT = 8;
    public static final int KVM_STATS_BASE_MASK = 0xF << KVM_STATS_BASE_SHIFT;
    public static final int KVM_STATS_BASE_POW10 = 0x0 << KVM_STATS_BASE_SHIFT;
    public static final int KVM_STATS_BASE_POW2 = 0x1 << KVM_STATS_BASE_SHIFT;

    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    private Kvm() {
    }

    /** @return the C name of an exit reason, e.g. {@code "KVM_EXIT_MMIO"}, or {@code "KVM_EXIT_?<n>"} */
    public static String exitReasonName(final int exitReason) {
        return switch (exitReason) {
            case KVM_EXIT_UNKNOWN -> "KVM_EXIT_UNKNOWN";
            case KVM_EXIT_EXCEPTION -> "KVM_EXIT_EXCEPTION";
            case KVM_EXIT_IO -> "KVM_EXIT_IO";
            case KVM_EXIT_HYPERCALL -> "KVM_EXIT_HYPERCALL";
            case KVM_EXIT_DEBUG -> "KVM_EXIT_DEBUG";
            case KVM_EXIT_HLT -> "KVM_EXIT_HLT";
            case KVM_EXIT_MMIO -> "KVM_EXIT_MMIO";
            case KVM_EXIT_IRQ_WINDOW_OPEN -> "KVM_EXIT_IRQ_WINDOW_OPEN";
            case KVM_EXIT_SHUTDOWN -> "KVM_EXIT_SHUTDOWN";
            case KVM_EXIT_FAIL_ENTRY -> "KVM_EXIT_FAIL_ENTRY";
            case KVM_EXIT_INTR -> "KVM_EXIT_INTR";
            case KVM_EXIT_SET_TPR -> "KVM_EXIT_SET_TPR";
            case KVM_EXIT_TPR_ACCESS -> "KVM_EXIT_TPR_ACCESS";
            case KVM_EXIT_NMI -> "KVM_EXIT_NMI";
            case KVM_EXIT_INTERNAL_ERROR -> "KVM_EXIT_INTERNAL_ERROR";
            case KVM_EXIT_SYSTEM_EVENT -> "KVM_EXIT_SYSTEM_EVENT";
            case KVM_EXIT_IOAPIC_EOI -> "KVM_EXIT_IOAPIC_EOI";
            case KVM_EXIT_HYPERV -> "KVM_EXIT_HYPERV";
            case KVM_EXIT_X86_RDMSR -> "KVM_EXIT_X86_RDMSR";
            case KVM_EXIT_X86_WRMSR -> "KVM_EXIT_X86_WRMSR";
            case KVM_EXIT_DIRTY_RING_FULL -> "KVM_EXIT_DIRTY_RING_FULL";
            case KVM_EXIT_AP_RESET_HOLD -> "KVM_EXIT_AP_RESET_HOLD";
            case KVM_EXIT_X86_BUS_LOCK -> "KVM_EXIT_X86_BUS_LOCK";
            case KVM_EXIT_XEN -> "KVM_EXIT_XEN";
            case KVM_EXIT_NOTIFY -> "KVM_EXIT_NOTIFY";
            default -> "KVM_EXIT_?" + exitReason;
        };
    }

    private static long ioc(final int dir, final int nr, final long size) {
        if (size < 0 || size >= 1 << 14) {
            throw new IllegalArgumentException("ioctl size does not fit in 14 bits: nr=0x"
                + Integer.toHexString(nr) + ", size=" + size);
        }
        return ((long) dir << 30) | (size << 16) | ((long) KVMIO << 8) | nr;
    }

    /** {@code _IO(KVMIO, nr)}: no argument struct. */
    private static long io(final int nr) {
        return ioc(IOC_NONE, nr, 0);
    }

    /** {@code _IOR(KVMIO, nr, type)}: the kernel writes a struct of {@code size} bytes. */
    private static long ior(final int nr, final long size) {
        return ioc(IOC_READ, nr, size);
    }

    /** {@code _IOW(KVMIO, nr, type)}: the kernel reads a struct of {@code size} bytes. */
    private static long iow(final int nr, final long size) {
        return ioc(IOC_WRITE, nr, size);
    }

    /** {@code _IOWR(KVMIO, nr, type)}: both ways. */
    private static long iowr(final int nr, final long size) {
        return ioc(IOC_READ | IOC_WRITE, nr, size);
    }
}
