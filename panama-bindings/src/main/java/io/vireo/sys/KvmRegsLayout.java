package io.vireo.sys;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_regs} for KVM_GET_REGS / KVM_SET_REGS: 18 general registers, u64 each (144 bytes). */
public final class KvmRegsLayout {

    private static final String[] NAMES = {
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
    };

    public static final StructLayout LAYOUT = structLayout(registers()).withName("kvm_regs");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long RAX_OFFSET = Layouts.offset(LAYOUT, "rax");
    public static final long RBX_OFFSET = Layouts.offset(LAYOUT, "rbx");
    public static final long RCX_OFFSET = Layouts.offset(LAYOUT, "rcx");
    public static final long RDX_OFFSET = Layouts.offset(LAYOUT, "rdx");
    public static final long RSI_OFFSET = Layouts.offset(LAYOUT, "rsi");
    public static final long RDI_OFFSET = Layouts.offset(LAYOUT, "rdi");
    public static final long RSP_OFFSET = Layouts.offset(LAYOUT, "rsp");
    public static final long RBP_OFFSET = Layouts.offset(LAYOUT, "rbp");
    public static final long R8_OFFSET = Layouts.offset(LAYOUT, "r8");
    public static final long R9_OFFSET = Layouts.offset(LAYOUT, "r9");
    public static final long R10_OFFSET = Layouts.offset(LAYOUT, "r10");
    public static final long R11_OFFSET = Layouts.offset(LAYOUT, "r11");
    public static final long R12_OFFSET = Layouts.offset(LAYOUT, "r12");
    public static final long R13_OFFSET = Layouts.offset(LAYOUT, "r13");
    public static final long R14_OFFSET = Layouts.offset(LAYOUT, "r14");
    public static final long R15_OFFSET = Layouts.offset(LAYOUT, "r15");
    public static final long RIP_OFFSET = Layouts.offset(LAYOUT, "rip");
    public static final long RFLAGS_OFFSET = Layouts.offset(LAYOUT, "rflags");

    private KvmRegsLayout() {
    }

    private static MemoryLayout[] registers() {
        final MemoryLayout[] fields = new MemoryLayout[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            fields[i] = JAVA_LONG.withName(NAMES[i]);
        }
        return fields;
    }
}
