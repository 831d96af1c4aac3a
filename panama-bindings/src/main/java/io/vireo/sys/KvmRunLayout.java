package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

/**
 * {@code struct kvm_run}, the page shared with KVM at offset 0 of the vCPU mmap (2352 bytes on x86-64):
 *
 * <pre>
 *   0    request_interrupt_window u8     12  ready_for_interrupt_injection u8
 *   1    immediate_exit u8               13  if_flag u8
 *   2    padding1[6]                     14  flags u16
 *   8    exit_reason u32                 16  cr8 u64, 24 apic_base u64
 *   32   union (256 bytes): the exit's details, by exit_reason (io, mmio, system_event, internal, ...)
 *   288  kvm_valid_regs u64, 296 kvm_dirty_regs u64, 304 s (sync regs, 2048 bytes)
 * </pre>
 *
 * <p>The union members are named here as in C; the anonymous union itself is called {@code exit}.
 */
public final class KvmRunLayout {

    private static final StructLayout HW = structLayout(
        JAVA_LONG.withName("hardware_exit_reason")).withName("hw");
    private static final StructLayout FAIL_ENTRY = structLayout(
        JAVA_LONG.withName("hardware_entry_failure_reason"),
        JAVA_INT.withName("cpu"),
        paddingLayout(4)).withName("fail_entry");
    private static final StructLayout EX = structLayout(
        JAVA_INT.withName("exception"),
        JAVA_INT.withName("error_code")).withName("ex");
    private static final StructLayout IO = structLayout(
        JAVA_BYTE.withName("direction"),
        JAVA_BYTE.withName("size"),
        JAVA_SHORT.withName("port"),
        JAVA_INT.withName("count"),
        JAVA_LONG.withName("data_offset")).withName("io");
    private static final StructLayout DEBUG = structLayout(
        KvmDebugExitArchLayout.LAYOUT.withName("arch")).withName("debug");
    private static final StructLayout MMIO = structLayout(
        JAVA_LONG.withName("phys_addr"),
        sequenceLayout(8, JAVA_BYTE).withName("data"),
        JAVA_INT.withName("len"),
        JAVA_BYTE.withName("is_write"),
        paddingLayout(3)).withName("mmio");
    private static final StructLayout HYPERCALL = structLayout(
        JAVA_LONG.withName("nr"),
        sequenceLayout(6, JAVA_LONG).withName("args"),
        JAVA_LONG.withName("ret"),
        JAVA_INT.withName("longmode"),
        JAVA_INT.withName("pad")).withName("hypercall");
    private static final StructLayout INTERNAL = structLayout(
        JAVA_INT.withName("suberror"),
        JAVA_INT.withName("ndata"),
        sequenceLayout(16, JAVA_LONG).withName("data")).withName("internal");
    private static final StructLayout EMULATION_FAILURE = structLayout(
        JAVA_INT.withName("suberror"),
        JAVA_INT.withName("ndata"),
        JAVA_LONG.withName("flags"),
        JAVA_BYTE.withName("insn_size"),
        sequenceLayout(15, JAVA_BYTE).withName("insn_bytes")).withName("emulation_failure");
    private static final StructLayout SYSTEM_EVENT = structLayout(
        JAVA_INT.withName("type"),
        JAVA_INT.withName("ndata"),
        unionLayout(
            JAVA_LONG.withName("flags"),
            sequenceLayout(16, JAVA_LONG).withName("data")).withName("u")).withName("system_event");
    private static final StructLayout EOI = structLayout(
        JAVA_BYTE.withName("vector")).withName("eoi");
    private static final StructLayout MSR = structLayout(
        JAVA_BYTE.withName("error"),
        sequenceLayout(7, JAVA_BYTE).withName("pad"),
        JAVA_INT.withName("reason"),
        JAVA_INT.withName("index"),
        JAVA_LONG.withName("data")).withName("msr");

    private static final UnionLayout EXIT = unionLayout(HW, FAIL_ENTRY, EX, IO, DEBUG, MMIO, HYPERCALL, INTERNAL,
        EMULATION_FAILURE, SYSTEM_EVENT, EOI, MSR, sequenceLayout(256, JAVA_BYTE).withName("padding"))
        .withName("exit");

    public static final StructLayout LAYOUT = structLayout(
        JAVA_BYTE.withName("request_interrupt_window"),
        JAVA_BYTE.withName("immediate_exit"),
        paddingLayout(6),
        JAVA_INT.withName("exit_reason"),
        JAVA_BYTE.withName("ready_for_interrupt_injection"),
        JAVA_BYTE.withName("if_flag"),
        JAVA_SHORT.withName("flags"),
        JAVA_LONG.withName("cr8"),
        JAVA_LONG.withName("apic_base"),
        EXIT,
        JAVA_LONG.withName("kvm_valid_regs"),
        JAVA_LONG.withName("kvm_dirty_regs"),
        sequenceLayout(2048, JAVA_BYTE).withName("s")).withName("kvm_run");

    public static final long SIZE = LAYOUT.byteSize();

    public static final long REQUEST_INTERRUPT_WINDOW_OFFSET = Layouts.offset(LAYOUT, "request_interrupt_window");
    public static final long IMMEDIATE_EXIT_OFFSET = Layouts.offset(LAYOUT, "immediate_exit");
    public static final long EXIT_REASON_OFFSET = Layouts.offset(LAYOUT, "exit_reason");
    public static final long READY_FOR_INTERRUPT_INJECTION_OFFSET =
        Layouts.offset(LAYOUT, "ready_for_interrupt_injection");
    public static final long IF_FLAG_OFFSET = Layouts.offset(LAYOUT, "if_flag");
    public static final long FLAGS_OFFSET = Layouts.offset(LAYOUT, "flags");
    public static final long CR8_OFFSET = Layouts.offset(LAYOUT, "cr8");
    public static final long APIC_BASE_OFFSET = Layouts.offset(LAYOUT, "apic_base");
    public static final long EXIT_OFFSET = Layouts.offset(LAYOUT, "exit");
    public static final long KVM_VALID_REGS_OFFSET = Layouts.offset(LAYOUT, "kvm_valid_regs");
    public static final long KVM_DIRTY_REGS_OFFSET = Layouts.offset(LAYOUT, "kvm_dirty_regs");
    public static final long S_OFFSET = Layouts.offset(LAYOUT, "s");

    public static final long HW_HARDWARE_EXIT_REASON_OFFSET = exit("hw", "hardware_exit_reason");
    public static final long FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON_OFFSET =
        exit("fail_entry", "hardware_entry_failure_reason");
    public static final long FAIL_ENTRY_CPU_OFFSET = exit("fail_entry", "cpu");
    public static final long EX_EXCEPTION_OFFSET = exit("ex", "exception");
    public static final long EX_ERROR_CODE_OFFSET = exit("ex", "error_code");
    public static final long IO_DIRECTION_OFFSET = exit("io", "direction");
    public static final long IO_SIZE_OFFSET = exit("io", "size");
    public static final long IO_PORT_OFFSET = exit("io", "port");
    public static final long IO_COUNT_OFFSET = exit("io", "count");
    /** Offset of {@code io.data_offset}, which itself holds the offset of the I/O data from the start of kvm_run. */
    public static final long IO_DATA_OFFSET_OFFSET = exit("io", "data_offset");
    public static final long DEBUG_ARCH_OFFSET = exit("debug", "arch");
    public static final long MMIO_PHYS_ADDR_OFFSET = exit("mmio", "phys_addr");
    public static final long MMIO_DATA_OFFSET = exit("mmio", "data");
    public static final long MMIO_LEN_OFFSET = exit("mmio", "len");
    public static final long MMIO_IS_WRITE_OFFSET = exit("mmio", "is_write");
    public static final long HYPERCALL_NR_OFFSET = exit("hypercall", "nr");
    public static final long HYPERCALL_ARGS_OFFSET = exit("hypercall", "args");
    public static final long HYPERCALL_RET_OFFSET = exit("hypercall", "ret");
    public static final long INTERNAL_SUBERROR_OFFSET = exit("internal", "suberror");
    public static final long INTERNAL_NDATA_OFFSET = exit("internal", "ndata");
    public static final long INTERNAL_DATA_OFFSET = exit("internal", "data");
    public static final long EMULATION_FAILURE_FLAGS_OFFSET = exit("emulation_failure", "flags");
    public static final long EMULATION_FAILURE_INSN_SIZE_OFFSET = exit("emulation_failure", "insn_size");
    public static final long EMULATION_FAILURE_INSN_BYTES_OFFSET = exit("emulation_failure", "insn_bytes");
    public static final long SYSTEM_EVENT_TYPE_OFFSET = exit("system_event", "type");
    public static final long SYSTEM_EVENT_NDATA_OFFSET = exit("system_event", "ndata");
    public static final long SYSTEM_EVENT_FLAGS_OFFSET = exit("system_event", "u", "flags");
    public static final long SYSTEM_EVENT_DATA_OFFSET = exit("system_event", "u", "data");
    public static final long EOI_VECTOR_OFFSET = exit("eoi", "vector");
    public static final long MSR_ERROR_OFFSET = exit("msr", "error");
    public static final long MSR_REASON_OFFSET = exit("msr", "reason");
    public static final long MSR_INDEX_OFFSET = exit("msr", "index");
    public static final long MSR_DATA_OFFSET = exit("msr", "data");

    private KvmRunLayout() {
    }

    private static long exit(final String... path) {
        final String[] full = new String[path.length + 1];
        full[0] = "exit";
        System.arraycopy(path, 0, full, 1, path.length);
        return Layouts.offset(LAYOUT, full);
    }

    /** @return {@code kvm_run.exit_reason}, one of {@code Kvm.KVM_EXIT_*} */
    public static int exitReason(final MemorySegment run) {
        return run.get(JAVA_INT, EXIT_REASON_OFFSET);
    }

    /** @return {@code kvm_run.immediate_exit} (plain read; the kick in module native uses atomics in C) */
    public static byte immediateExit(final MemorySegment run) {
        return run.get(JAVA_BYTE, IMMEDIATE_EXIT_OFFSET);
    }

    public static void immediateExit(final MemorySegment run, final byte value) {
        run.set(JAVA_BYTE, IMMEDIATE_EXIT_OFFSET, value);
    }

    /** @return {@code Kvm.KVM_EXIT_IO_IN} or {@code Kvm.KVM_EXIT_IO_OUT} */
    public static int ioDirection(final MemorySegment run) {
        return run.get(JAVA_BYTE, IO_DIRECTION_OFFSET);
    }

    /** @return access width in bytes (1, 2 or 4) */
    public static int ioSize(final MemorySegment run) {
        return run.get(JAVA_BYTE, IO_SIZE_OFFSET);
    }

    public static int ioPort(final MemorySegment run) {
        return Short.toUnsignedInt(run.get(JAVA_SHORT, IO_PORT_OFFSET));
    }

    /** @return repeat count (greater than 1 for {@code rep ins/outs}) */
    public static int ioCount(final MemorySegment run) {
        return run.get(JAVA_INT, IO_COUNT_OFFSET);
    }

    /** @return where the I/O data lives, as an offset from the start of kvm_run (inside the vCPU mmap) */
    public static long ioDataOffset(final MemorySegment run) {
        return run.get(JAVA_LONG, IO_DATA_OFFSET_OFFSET);
    }

    public static long mmioPhysAddr(final MemorySegment run) {
        return run.get(JAVA_LONG, MMIO_PHYS_ADDR_OFFSET);
    }

    /** @return access width in bytes (1 to 8) */
    public static int mmioLen(final MemorySegment run) {
        return run.get(JAVA_INT, MMIO_LEN_OFFSET);
    }

    public static boolean mmioIsWrite(final MemorySegment run) {
        return run.get(JAVA_BYTE, MMIO_IS_WRITE_OFFSET) != 0;
    }

    /** @return {@code Kvm.KVM_SYSTEM_EVENT_*} */
    public static int systemEventType(final MemorySegment run) {
        return run.get(JAVA_INT, SYSTEM_EVENT_TYPE_OFFSET);
    }

    public static int internalSuberror(final MemorySegment run) {
        return run.get(JAVA_INT, INTERNAL_SUBERROR_OFFSET);
    }
}
