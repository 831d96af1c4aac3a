package io.vireo.vmm.kvm;

import java.util.ArrayList;
import java.util.List;

/**
 * KVM's own counters for a VM and each of its vCPUs, from the binary stats fds (KVM_GET_STATS_FD).
 * Open before the vCPU threads run; {@link #sample()} is then safe from any thread, including a vCPU
 * thread in the middle of an exit while the other vCPUs run: it costs one pread per fd.
 *
 * <p>On this host's kvm_pvm, PIO exits do not count in {@code io_exits} (PVM-PROBE.md, "Stats"):
 * use {@code exits}, or the user-space exit counts.
 */
public final class KvmStats implements AutoCloseable {
    private final KvmStatsFile vm;
    private final List<KvmStatsFile> vcpus;

    /** The VM's stats and each vCPU's at one moment (each file read in turn, not atomically together). */
    public record Sample(KvmStatsSnapshot vm, List<KvmStatsSnapshot> vcpus) {
        public Sample {
            vcpus = List.copyOf(vcpus);
        }

        /** This minus {@code earlier}, file by file (see {@link KvmStatsSnapshot#minus}). */
        public Sample minus(Sample earlier) {
            List<KvmStatsSnapshot> d = new ArrayList<>(vcpus.size());
            for (int i = 0; i < vcpus.size(); i++) {
                d.add(vcpus.get(i).minus(earlier.vcpus.get(i)));
            }
            return new Sample(vm.minus(earlier.vm), d);
        }
    }

    private KvmStats(KvmStatsFile vm, List<KvmStatsFile> vcpus) {
        this.vm = vm;
        this.vcpus = List.copyOf(vcpus);
    }

    /** Opens the stats fd of {@code vm} and of each vCPU; none of the vCPUs may be running yet. */
    public static KvmStats open(Vm vm, List<Vcpu> vcpus) {
        List<KvmStatsFile> opened = new ArrayList<>();
        try {
            KvmStatsFile vmFile = KvmStatsFile.open(vm.fd());
            opened.add(vmFile);
            List<KvmStatsFile> vcpuFiles = new ArrayList<>();
            for (Vcpu v : vcpus) {
                KvmStatsFile f = KvmStatsFile.open(v.fd());
                opened.add(f);
                vcpuFiles.add(f);
            }
            return new KvmStats(vmFile, vcpuFiles);
        } catch (RuntimeException e) {
            opened.forEach(KvmStatsFile::close);
            throw e;
        }
    }

    public KvmStatsFile vm() {
        return vm;
    }

    public List<KvmStatsFile> vcpus() {
        return vcpus;
    }

    /** Reads the VM's file, then each vCPU's. Thread-safe. */
    public Sample sample() {
        List<KvmStatsSnapshot> v = new ArrayList<>(vcpus.size());
        KvmStatsSnapshot vmNow = vm.read();
        for (KvmStatsFile f : vcpus) {
            v.add(f.read());
        }
        return new Sample(vmNow, v);
    }

    @Override
    public void close() {
        vm.close();
        vcpus.forEach(KvmStatsFile::close);
    }
}
