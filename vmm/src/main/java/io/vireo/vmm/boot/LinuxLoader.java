package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;

import java.util.Optional;

/**
 * Loads a bzImage for the Linux 64-bit boot protocol (Documentation/arch/x86/boot.rst, "64-bit boot
 * protocol"): the protected-mode kernel at its preferred address, the initrd as high as its limit
 * allows, the command line and the zero page. The vCPU then enters at {@code load + 0x200} in long
 * mode with RSI = the zero page (see {@link LongModeTables}).
 */
public final class LinuxLoader {
    /** Where the zero page goes: the PVH memory-map slot, unused on this path. */
    public static final long ZERO_PAGE_GPA = 0x7000;
    /** The 64-bit entry is 0x200 bytes into the protected-mode kernel. */
    public static final long ENTRY64_OFFSET = 0x200;
    /** LOAD_PHYSICAL_ADDR of x86-64 defconfigs: used when an old header has no pref_address. */
    static final long DEFAULT_LOAD_GPA = 0x100_0000;

    /** Where things landed. */
    public record LoadedLinux(long entry64, long zeroPageGpa, long loadGpa, long kernelEndGpa, long initrdGpa) {
    }

    private LinuxLoader() {
    }

    /**
     * @param unpack decompress the payload on the host and enter the vmlinux's startup_64 directly (as
     *               Firecracker boots a vmlinux): no in-guest decompressor, which is most of a boot where
     *               guest kernel code is emulated; the kernel then runs where it was linked (no KASLR)
     */
    public static LoadedLinux load(GuestMemory mem, String name, byte[] image, Optional<byte[]> initrd,
                                   String cmdline, E820Map e820, long rsdpGpa, long initrdCeiling, boolean unpack) {
        SetupHeader h = SetupHeader.parse(name, image);
        long load = h.prefAddress() >= BootLayout.KERNEL_MIN_GPA ? h.prefAddress() : DEFAULT_LOAD_GPA;
        if ((load & (h.kernelAlignment() - 1)) != 0) {
            throw new BootException("kernel " + name + ": pref_address 0x" + Long.toHexString(load)
                + " is not aligned to kernel_alignment 0x" + Long.toHexString(h.kernelAlignment()));
        }
        // init_size: the memory the kernel needs from its load address while it decompresses and runs.
        long needed = Math.max(h.initSize(), h.syssizeBytes());
        long lowEnd = BootLayout.lowRamEnd(mem);
        if (load + needed > lowEnd) {
            throw new BootException(String.format("kernel %s needs %d MiB of RAM from 0x%x (init_size); the guest has"
                + " %d MiB below the PCI hole: raise --memory", name, needed >> 20, load, lowEnd >> 20));
        }
        byte[] cmd = BootLayout.encodeCmdline(cmdline);
        if (cmd.length - 1 > h.cmdlineSize()) {
            throw new BootException("--cmdline is " + (cmd.length - 1) + " bytes; kernel " + name + " takes at most "
                + h.cmdlineSize());
        }
        long entry;
        long kernelEnd;
        if (unpack) {
            LoadedKernel vmlinux = PvhElfLoader.loadVmlinux(mem, name + " (unpacked)",
                KernelPayload.unpack(name, image, h));
            entry = vmlinux.entry32();
            kernelEnd = vmlinux.highestAddrExclusive();
            load = vmlinux.lowestAddr();
        } else {
            mem.write(load, java.util.Arrays.copyOfRange(image, (int) h.kernelOffset(),
                (int) (h.kernelOffset() + h.syssizeBytes())));
            entry = load + ENTRY64_OFFSET;
            kernelEnd = load + needed;
        }
        mem.write(BootLayout.CMDLINE_GPA, cmd);

        long initrdGpa = 0;
        long initrdSize = 0;
        if (initrd.isPresent()) {
            initrdSize = initrd.get().length;
            // initrd_addr_max is the highest address the initrd may occupy: its end bound is one more.
            long ceiling = Math.min(initrdCeiling, h.initrdAddrMax() + 1);
            initrdGpa = BootLayout.placeInitrd(mem, initrdSize, kernelEnd, ceiling);
            mem.write(initrdGpa, initrd.get());
        }
        byte[] zeroPage = ZeroPage.build(image, h, BootLayout.CMDLINE_GPA, initrdGpa, initrdSize, e820.entries(),
            rsdpGpa);
        mem.write(ZERO_PAGE_GPA, zeroPage);
        return new LoadedLinux(entry, ZERO_PAGE_GPA, load, kernelEnd, initrdGpa);
    }
}
