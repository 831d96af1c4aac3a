package io.vireo.vmm.kvm;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.sys.Kvm;
import io.vireo.sys.KvmRunLayout;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The stats fds of a real VM: a vCPU that exits to us N times shows at least N more {@code exits}. Needs KVM. */
class KvmStatsTest {
    private static final long CODE_GPA = 0x1000;
    private static final long GDT_GPA = 0x500;
    /** 32-bit: {@code 1: out %al, $0x10; jmp 1b}: each pass is one exit to user space. */
    private static final byte[] OUT_LOOP = {(byte) 0xe6, 0x10, (byte) 0xeb, (byte) 0xfc};

    @BeforeAll
    static void needKvm() {
        Path kvm = Path.of(KvmSystem.DEVICE);
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "skipped: no read/write " + kvm);
    }

    @Test
    void shouldSeeVcpuExitsRiseWhenTheGuestRuns() {
        try (KvmSystem kvm = KvmSystem.open();
             MemfdGuestMemory memory = MemfdGuestMemory.allocate(16L << 20);
             Vm vm = Vm.create(kvm)) {
            assumeTrue(kvm.checkExtension(Kvm.KVM_CAP_BINARY_STATS_FD) > 0, "skipped: no KVM_CAP_BINARY_STATS_FD");
            vm.mapMemory(memory);
            memory.write(CODE_GPA, OUT_LOOP);
            BootGdt.write(memory, GDT_GPA);
            try (Vcpu vcpu = Vcpu.create(vm, 0)) {
                vcpu.setCpuid(kvm.supportedCpuid().forVcpu(0));
                vcpu.setPvhEntry(CODE_GPA, 0, GDT_GPA, BootGdt.LIMIT);
                try (KvmStats stats = KvmStats.open(vm, List.of(vcpu))) {
                    assertTrue(stats.vm().schema().id().startsWith("kvm-"), stats.vm().schema().id());
                    assertTrue(stats.vcpus().get(0).schema().id().endsWith("/vcpu-0"),
                        stats.vcpus().get(0).schema().id());
                    assertTrue(stats.vm().schema().count() > 0, "the VM has stats");
                    KvmStats.Sample before = stats.sample();
                    int runs = 50;
                    for (int i = 0; i < runs; i++) {
                        assertEquals(0, vcpu.run());
                        assertEquals(Kvm.KVM_EXIT_IO,
                            vcpu.runPage().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED,
                                KvmRunLayout.EXIT_REASON_OFFSET));
                    }
                    KvmStats.Sample after = stats.sample();
                    KvmStats.Sample d = after.minus(before);
                    long exits = d.vcpus().get(0).get("exits");
                    assertTrue(exits >= runs, "exits rose by " + exits + ", at least " + runs + " expected");
                    assertTrue(after.vcpus().get(0).get("exits") > before.vcpus().get(0).get("exits"));
                }
            }
        }
    }
}
