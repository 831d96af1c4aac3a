package io.vireo.vmm.kvm;

import io.vireo.sys.Kvm;
import io.vireo.sys.KvmStatsHeaderLayout;
import io.vireo.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One KVM binary stats fd (of the VM or of a vCPU): descriptors parsed once at open, values read with
 * one pread of the data block into a buffer allocated at open. Reads are thread-safe (serialised on this
 * object, because they share the buffer) and never take the vCPU's lock in KVM, so any thread may read a
 * running vCPU's stats.
 */
public final class KvmStatsFile implements AutoCloseable {
    private final int fd;
    private final KvmStatsSchema schema;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;
    private boolean closed;

    private KvmStatsFile(int fd) {
        this.fd = fd;
        try {
            MemorySegment header = arena.allocate(KvmStatsHeaderLayout.SIZE, 8);
            readFully(header, 0);
            MemorySegment prefix = arena.allocate(KvmStatsSchema.prefixBytes(header), 8);
            readFully(prefix, 0);
            this.schema = KvmStatsSchema.parse(prefix);
            this.data = arena.allocate(Math.max(8, schema.dataBytes()), 8).asSlice(0, schema.dataBytes());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * KVM_GET_STATS_FD on a VM or vCPU fd. For a vCPU, call it before the vCPU thread runs: KVM takes the
     * vCPU's mutex for this ioctl, which KVM_RUN holds.
     */
    public static KvmStatsFile open(int vmOrVcpuFd) {
        int fd = (int) Libc.ioctl(vmOrVcpuFd, Kvm.KVM_GET_STATS_FD, 0, "KVM_GET_STATS_FD");
        try {
            return new KvmStatsFile(fd);
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    public KvmStatsSchema schema() {
        return schema;
    }

    /** Reads every value now. */
    public KvmStatsSnapshot read() {
        long[] values = new long[schema.count()];
        read(values);
        return new KvmStatsSnapshot(schema, values);
    }

    /** Reads every value now into {@code out} (length {@code schema().count()}): one pread, no allocation. */
    public synchronized void read(long[] out) {
        if (closed) {
            throw new IllegalStateException("KVM stats " + schema.id() + ": closed");
        }
        readFully(data, schema.dataOffset());
        schema.decode(data, out);
    }

    private void readFully(MemorySegment buf, long offset) {
        long done = 0;
        while (done < buf.byteSize()) {
            MemorySegment rest = done == 0 ? buf : buf.asSlice(done);
            long n = Libc.pread(fd, rest, rest.byteSize(), offset + done);
            if (n == 0) {
                throw new IllegalStateException("KVM stats fd " + fd + ": end of file at offset " + (offset + done)
                    + ", wanted " + (buf.byteSize() - done) + " more bytes");
            }
            done += n;
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
            Libc.closeQuietly(fd);
        }
    }
}
