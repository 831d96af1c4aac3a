package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;
import io.vireo.dataplane.virtio.device.blk.backend.BlockBackend;
import io.vireo.dataplane.virtio.device.blk.backend.FaultInjectingBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringBackend;
import io.vireo.dataplane.virtio.device.blk.backend.IoUringOptions;
import io.vireo.dataplane.virtio.device.blk.backend.NullBackend;
import io.vireo.dataplane.virtio.device.blk.backend.SyncFileBackend;
import io.vireo.sys.SysException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** Opens the back end a {@code --disk} asks for: io_uring (falling back to positional I/O), sync, or null. */
public final class DiskBackends {
    private static final System.Logger LOG = System.getLogger(DiskBackends.class.getName());
    private static Boolean ioUring;

    private DiskBackends() {
    }

    /** The back end of {@code disk}; {@code memory} is needed only for fixed buffers (else may be null). */
    public static BlockBackend open(DiskConfig disk, GuestMemory memory) {
        BlockBackend backend = switch (disk.backend()) {
            case NULL -> new NullBackend(disk.path() == null ? disk.nullBytes() : sizeOf(disk), disk.readOnly());
            case SYNC -> SyncFileBackend.open(disk.path(), disk.readOnly());
            case IO_URING -> ioUring(disk, memory);
        };
        if (!disk.failSectors().isEmpty()) {
            backend = new FaultInjectingBackend(backend, disk.failSectors());
        }
        return backend;
    }

    private static BlockBackend ioUring(DiskConfig disk, GuestMemory memory) {
        IoUringOptions.Builder b = IoUringOptions.builder().readOnly(disk.readOnly()).direct(switch (disk.direct()) {
            case ON -> IoUringOptions.Direct.REQUIRE;
            case OFF -> IoUringOptions.Direct.OFF;
            case AUTO -> IoUringOptions.Direct.TRY;
        });
        if (disk.fixedBuffers()) {
            List<MemorySegment> ram = new ArrayList<>();
            for (GuestRegion r : memory.regions()) {
                ram.add(r.segment());
            }
            b.fixedBuffers(ram);
        }
        if (disk.sqpoll()) {
            b.sqpoll(1000);
        }
        // The rings are set up per queue, after this; ask the kernel once whether it has io_uring at all.
        if (!ioUringAvailable()) {
            return SyncFileBackend.open(disk.path(), disk.readOnly());
        }
        return IoUringBackend.open(disk.path(), b.build());
    }

    /** One throwaway ring: io_uring_setup refused (ENOSYS, EPERM under kernel.io_uring_disabled) means no. */
    private static synchronized boolean ioUringAvailable() {
        if (ioUring == null) {
            try {
                IoUringBackend.probe();
                ioUring = Boolean.TRUE;
            } catch (SysException e) {
                if (!e.call().startsWith("io_uring_setup")) {
                    throw e;
                }
                ioUring = Boolean.FALSE;
                LOG.log(System.Logger.Level.WARNING, "io_uring unavailable (" + e.getMessage()
                    + "): disks use positional I/O");
            }
        }
        return ioUring;
    }

    private static long sizeOf(DiskConfig disk) {
        try {
            return Files.size(disk.path()) & ~511L;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + disk.path(), e);
        }
    }
}
