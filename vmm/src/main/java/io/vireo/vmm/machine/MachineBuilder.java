package io.vireo.vmm.machine;

import io.vireo.dataplane.agent.AgentCounter;
import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.stats.CountersFile;
import io.vireo.dataplane.stats.RequestTrace;
import io.vireo.dataplane.virtio.device.blk.BlkCounter;
import io.vireo.dataplane.virtio.transport.pci.VirtioPciFunction;
import io.vireo.sys.Kvm;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.acpi.AcpiTables;
import io.vireo.vmm.acpi.Aml;
import io.vireo.vmm.boot.BootException;
import io.vireo.vmm.boot.BootLayout;
import io.vireo.vmm.boot.E820Map;
import io.vireo.vmm.boot.HvmStartInfo;
import io.vireo.vmm.boot.LinuxLoader;
import io.vireo.vmm.boot.LoadedKernel;
import io.vireo.vmm.boot.LongModeTables;
import io.vireo.vmm.boot.PvhElfLoader;
import io.vireo.vmm.boot.SetupHeader;
import io.vireo.vmm.devices.AcpiGpe;
import io.vireo.vmm.devices.AcpiPm;
import io.vireo.vmm.devices.DebugExitPort;
import io.vireo.vmm.devices.I8042;
import io.vireo.vmm.devices.ResetControl;
import io.vireo.vmm.devices.Uart16550;
import io.vireo.vmm.kvm.BootGdt;
import io.vireo.vmm.kvm.CpuidTable;
import io.vireo.vmm.kvm.KvmStats;
import io.vireo.vmm.kvm.KvmSystem;
import io.vireo.vmm.kvm.Vcpu;
import io.vireo.vmm.kvm.Vm;
import io.vireo.vmm.pci.PciAcpi;
import io.vireo.vmm.pci.PciBus;
import io.vireo.vmm.pci.PciHotplugController;
import io.vireo.vmm.pci.PciSegments;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a {@link Machine} from a {@link MachineConfig} and starts it: KVM VM with in-kernel
 * irqchip and PIT, memfd RAM, the kernel loaded by PVH, ACPI tables, the PC platform ports, and
 * one thread per vCPU. On any failure everything created so far is released.
 */
public final class MachineBuilder {
    /** Where the entry GDT goes: the BIOS data area, which nothing else uses in a PVH boot. */
    static final long BOOT_GDT_GPA = 0x500;
    static final int COM1_BASE = 0x3f8;
    static final int COM1_IRQ = 4;

    private MachineBuilder() {
    }

    public static Machine build(MachineConfig config) {
        BootClock clock = new BootClock();
        byte[] kernelImage = readFile("--kernel", config.kernel());
        byte[] initrd = config.initrd().map(p -> readFile("--initrd", p)).orElse(null);

        clock.step("read kernel");
        loadClassesTheWarmupMustKnow();
        // The data plane is compiled from now on, while the rest is set up and the guest boots, on a thread of its own.
        DiskWarmup warmup = DiskWarmup.start(config.disks());
        KvmSystem kvm;
        try {
            kvm = KvmSystem.open();
        } catch (RuntimeException e) {
            if (warmup != null) {
                warmup.close();
            }
            throw e;
        }
        clock.step("open /dev/kvm");
        List<AutoCloseable> created = new ArrayList<>();
        created.add(kvm);
        if (warmup != null) {
            created.add(warmup);
        }
        try {
            int max = Math.min(kvm.maxVcpus(), MachineConfig.MAX_CPUS);
            if (config.cpus() > max) {
                throw new VireoException(ExitStatus.USAGE, "--cpus " + config.cpus() + " is more than this host's KVM"
                    + " allows (" + max + ")");
            }
            MemfdGuestMemory memory = MemfdGuestMemory.allocate(config.memoryBytes());
            created.add(memory);
            clock.step("memfd RAM");
            Vm vm = Vm.create(kvm);
            created.add(vm);
            vm.mapMemory(memory);
            clock.step("VM and memory slots");

            Platform platform = Platform.create(memory, pciSegments(config));
            RunDirectory runDir = RunDirectory.create(config.runRoot() != null ? config.runRoot()
                : RunDirectory.defaultRoot());
            created.add(runDir);
            CountersFile counters = CountersFile.create(runDir.counters(), counterCapacity(config));
            created.add(counters);
            RequestTrace trace = config.trace() == null ? null : RequestTrace.create(config.trace().file(),
                config.trace().records(), config.trace().wrap());
            List<AutoCloseable> deviceResources = new ArrayList<>();
            VirtioDevices virtio = VirtioDevices.create(memory, vm, platform.segments(), platform.mapper(),
                config.io(), counters, deviceResources);
            VirtioDisks disks = VirtioDisks.attach(config.disks(), memory, config.cpus(), virtio, counters, trace);
            VhostUserDevices externals = VhostUserDevices.attach(config.vhostUser(), memory, vm, virtio,
                platform.mapper());
            deviceResources.add(externals);
            VirtioNets.attach(config.nets(), virtio, counters);
            if (trace != null) {
                deviceResources.add(trace); // after the devices: their agents write it until they stop
            }
            virtio.start();
            if (warmup != null) {
                warmup.guestBusy(disks::anyActivated);
            }
            created.addAll(deviceResources);
            clock.step("platform and disks");
            int segmentCount = platform.segments().count();
            long rsdp = PciAcpi.addTo(new AcpiTables(config.cpus()), platform.segments(),
                    PciHotplugController::bridgeAml)
                .addDsdtObject(Aml.scope("\\_SB", PciHotplugController.controllerAml(segmentCount)))
                .addDsdtObject(PciHotplugController.gpeAml(AcpiGpe.PCI_HOTPLUG))
                .writeTo(memory, BootLayout.ACPI_BASE);
            E820Map e820 = PciAcpi.e820(E820Map.of(memory), platform.segments().count());
            clock.step("ACPI and e820");
            BspEntry entry = loadKernel(config, memory, kernelImage, initrd, rsdp, e820);
            clock.step("load kernel");

            List<Vcpu> vcpus = new ArrayList<>();
            CpuidTable cpuid = kvm.supportedCpuid();
            for (int i = 0; i < config.cpus(); i++) {
                Vcpu v = Vcpu.create(vm, i);
                vcpus.add(v);
                created.add(v);
                v.setCpuid(cpuid.forVcpu(i));
                v.setupFpu();
                v.setupLapic();
            }
            // The BSP starts at the kernel's entry; APs wait in KVM for the guest's INIT/SIPI.
            entry.apply(vcpus.get(0));
            clock.step("vCPUs");

            KvmStats kvmStats = config.stats() ? openStats(kvm, vm, vcpus)
                : kvm.checkExtension(Kvm.KVM_CAP_BINARY_STATS_FD) > 0 ? KvmStats.open(vm, vcpus) : null;
            if (kvmStats != null) {
                created.add(kvmStats);
            }
            Machine machine = new Machine(config, kvm, vm, memory, vcpus, clock, kvmStats);
            deviceResources.forEach(machine::closeAlso);
            if (warmup != null) {
                machine.closeAlso(warmup);
            }
            machine.live(runDir, counters, trace, disks.queues(), virtio.agents(), disks::requests);
            machine.onQuiesce(virtio::stopAgents);
            MachineControl control = new MachineControl(machine, virtio, coldPlugged(config, virtio, externals));
            Hotplug hotplug = new Hotplug(virtio, externals, platform.segments(), memory, config.cpus());
            machine.closeAlso(hotplug::close);
            AcpiGpe gpe = new AcpiGpe(level -> vm.setIrqLine(AcpiPm.SCI_IRQ, level));
            PciHotplugController hotplugController = new PciHotplugController(segmentCount, hotplug::eject,
                () -> gpe.raise(AcpiGpe.PCI_HOTPLUG));
            hotplug.controller(hotplugController);
            control.hotplug(hotplug);
            machine.control(control);
            for (VirtioDevices.Attached d : virtio.attached()) {
                machine.addReport(() -> d.kind() + " " + d.name() + " (" + d.description()
                    + "): notifies that exited to user space=" + d.userspaceNotifies() + "\nvireo: " + d.kind() + " "
                    + d.name() + " queues: " + d.queueSummary());
                machine.addStatsSource(d.name(), d.stats());
            }
            for (VhostUserDevices.External x : externals.attached()) {
                machine.addReport(() -> "vhost-user " + x.name() + " (" + x.address() + ", " + x.device().socket()
                    + "): notifies that exited to user space=" + x.device().userspaceNotifies());
            }
            if (!virtio.attached().isEmpty()) {
                machine.addStatsSource("agents", virtio.agentStats());
            }
            if (warmup != null) {
                machine.addReport(warmup::summary);
            }
            var pio = platform.pio();
            Uart16550 uart = new Uart16550(new ConsoleOutput(clock), level -> vm.setIrqLine(COM1_IRQ, level));
            pio.register(COM1_BASE, 8, uart);
            pio.register(PostCodePort.PORT, 1, new PostCodePort(clock, config.stats() ? machine.stats() : null));
            pio.register(DebugExitPort.PORT, DebugExitPort.LENGTH, DebugExitPort.isaDebugExit(machine));
            pio.register(DebugExitPort.EXACT_PORT, 1, DebugExitPort.exact(machine));
            I8042 i8042 = new I8042(machine);
            pio.register(I8042.DATA_PORT, 1, i8042);
            pio.register(I8042.COMMAND_PORT, 1, i8042);
            pio.register(AcpiPm.BASE, AcpiPm.LENGTH, new AcpiPm(machine));
            pio.register(AcpiGpe.BASE, AcpiGpe.LENGTH, gpe);
            pio.register(PciHotplugController.PORT, PciHotplugController.LENGTH, hotplugController);
            pio.register(ResetControl.PORT, 1, new ResetControl(machine));

            try {
                platform.finishPci();
            } catch (IllegalStateException e) {
                throw new VireoException(ExitStatus.USAGE, "the PCI devices do not fit: " + e.getMessage());
            }
            clock.step("devices");
            machine.start(pio, platform.mmio());
            ConsoleInput input = new ConsoleInput(uart, machine);
            machine.closeAlso(input);
            input.start();
            return machine;
        } catch (RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                try {
                    created.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * The PCI segments: as many as asked for ({@code --pci-segments}), or more when the cold-plugged devices outgrow
     * them (each segment's bus holds {@link PciBus#CAPACITY} functions).
     */
    static int pciSegments(MachineConfig config) {
        int functions = config.disks().size() + config.vhostUser().size();
        int needed = PciSegments.needed(functions);
        if (needed > PciSegments.MAX_SEGMENTS) {
            throw new VireoException(ExitStatus.USAGE, functions + " PCI devices do not fit: "
                + PciSegments.MAX_SEGMENTS + " PCI segments of " + PciBus.CAPACITY + " functions hold "
                + PciSegments.MAX_SEGMENTS * PciBus.CAPACITY);
        }
        return Math.max(config.pciSegments(), needed);
    }

    /** The devices on the bus at boot, for {@code vm.info}: the disks are disk0, disk1, ... in --disk order. */
    private static List<DeviceControl.DeviceInfo> coldPlugged(MachineConfig config, VirtioDevices virtio,
                                                              VhostUserDevices externals) {
        List<DeviceControl.DeviceInfo> all = new ArrayList<>();
        List<VirtioDevices.Attached> attached = virtio.attached();
        for (int i = 0; i < attached.size(); i++) {
            VirtioDevices.Attached a = attached.get(i);
            Map<String, String> options = i < config.disks().size() && a.name().equals("disk" + i)
                ? MachineControl.diskOptions(config.disks().get(i)) : Map.of();
            all.add(new DeviceControl.DeviceInfo(a.name(), a.kind(), a.place().bdf(), options));
        }
        List<VhostUserDevices.External> ext = externals.attached();
        for (int i = 0; i < ext.size(); i++) {
            VhostUserDevices.External x = ext.get(i);
            VhostUserConfig c = config.vhostUser().get(i); // attached in the configuration's order
            all.add(new DeviceControl.DeviceInfo(x.name(), c.kind() == VhostUserConfig.Kind.FS ? "virtio-fs"
                : "vhost-user-blk", x.bdf(), MachineControl.vhostUserOptions(c)));
        }
        return all;
    }

    /** Room in the counters file for every counter of this configuration, with some to spare. */
    private static int counterCapacity(MachineConfig config) {
        int queues = 0;
        for (var d : config.disks()) {
            queues += VirtioDisks.queueCount(d, config.cpus());
        }
        int agents = queues + 1;
        for (NetConfig n : config.nets()) {
            agents += n.pairs() + 1;
        }
        return 64 + VirtioNets.counterCount(config.nets())
            + queues * BlkCounter.values().length + agents * (AgentCounter.values().length + 1)
            + LiveStats.counterCount(queues, agents, config.cpus());
    }

    /** KVM's stats fds, opened before the vCPUs run (KVM_GET_STATS_FD waits for a running vCPU's lock). */
    private static KvmStats openStats(KvmSystem kvm, Vm vm, List<Vcpu> vcpus) {
        if (kvm.checkExtension(Kvm.KVM_CAP_BINARY_STATS_FD) <= 0) {
            throw new VireoException(ExitStatus.KVM_UNAVAILABLE, KvmSystem.DEVICE
                + " lacks KVM_CAP_BINARY_STATS_FD, which --stats and --stats-json need");
        }
        return KvmStats.open(vm, vcpus);
    }

    /** Sets the boot processor's registers for the protocol the kernel was loaded with. */
    private interface BspEntry {
        void apply(Vcpu bsp);
    }

    /** The boot protocol follows from the image's content: "HdrS" is a bzImage, an ELF boots by PVH. */
    private static BspEntry loadKernel(MachineConfig config, MemfdGuestMemory memory, byte[] image, byte[] initrd,
                                       long rsdp, E820Map e820) {
        String name = config.kernel().toString();
        if (SetupHeader.isBzImage(image)) {
            LinuxLoader.LoadedLinux linux = LinuxLoader.load(memory, name, image, Optional.ofNullable(initrd),
                config.cmdline(), e820, rsdp, MemfdGuestMemory.PCI_HOLE_START, config.unpackKernel());
            LongModeTables.write(memory);
            return bsp -> bsp.setLongModeEntry(linux.entry64(), linux.zeroPageGpa(), LongModeTables.PML4_GPA,
                LongModeTables.GDT_GPA, LongModeTables.GDT_LIMIT, LongModeTables.CODE64_SELECTOR,
                LongModeTables.DATA_SELECTOR, LongModeTables.TSS_SELECTOR, LongModeTables.BOOT_STACK_GPA);
        }
        if (!PvhElfLoader.isElf(image)) {
            throw new BootException("kernel " + name + ": not a bootable kernel (neither a bzImage nor an ELF with"
                + " a PVH entry note)");
        }
        LoadedKernel kernel = PvhElfLoader.load(memory, name, image);
        List<HvmStartInfo.Module> modules = new ArrayList<>();
        if (initrd != null) {
            long at = BootLayout.placeInitrd(memory, initrd.length, kernel.highestAddrExclusive(),
                MemfdGuestMemory.PCI_HOLE_START);
            memory.write(at, initrd);
            modules.add(new HvmStartInfo.Module(at, initrd.length));
        }
        long startInfo = HvmStartInfo.write(memory, config.cmdline(), e820, rsdp, modules);
        BootGdt.write(memory, BOOT_GDT_GPA);
        return bsp -> bsp.setPvhEntry(kernel.entry32(), startInfo, BOOT_GDT_GPA, BootGdt.LIMIT);
    }

    /**
     * Loads, before the warm-up's code is compiled, the classes a running machine brings in later that compiled
     * data-plane code would otherwise have been compiled without: C2 binds calls to the implementations loaded so
     * far, and the first load of another one deoptimizes them (CompiledCodeKeptTest, in runs without the AOT cache,
     * which loads them all at start). Every kind of memory session (confined, shared, global, automatic): it saw
     * GlobalSession, from the native library's lookup, undo ScopedMemoryAccess.getByte. The PCI transport's interrupt
     * (the warm-up signals one of its own): it saw the first device's activation undo BlkQueue.publish.
     */
    private static void loadClassesTheWarmupMustKnow() {
        try (Arena confined = Arena.ofConfined(); Arena shared = Arena.ofShared()) {
            java.util.Objects.requireNonNull(Arena.global());
            java.util.Objects.requireNonNull(Arena.ofAuto());
        }
        java.util.Objects.requireNonNull(VirtioPciFunction.interruptClass());
    }

    private static byte[] readFile(String flag, java.nio.file.Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException | OutOfMemoryError e) {
            throw new VireoException(ExitStatus.USAGE, flag + " " + p + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
