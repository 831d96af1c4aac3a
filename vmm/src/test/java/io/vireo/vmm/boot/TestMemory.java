package io.vireo.vmm.boot;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.memory.GuestRegion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM for tests, laid out like Vireo's machine (one region up to 3 GiB, split around the PCI hole
 * above that) and backed by a sparse temporary file, so a 5 GiB machine costs only the pages a test touches.
 */
public final class TestMemory implements AutoCloseable {
    public static final long MIB = 1L << 20;
    public static final long GIB = 1L << 30;
    public static final long LOW_RAM_MAX = 3 * GIB;
    public static final long HIGH_RAM_START = 4 * GIB;

    private final Arena arena = Arena.ofShared();
    private final FileChannel file;
    private final GuestMemory memory;

    private TestMemory(long ramBytes) {
        try {
            Path path = Files.createTempFile("vireo-test-ram", ".bin");
            file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
            long low = Math.min(ramBytes, LOW_RAM_MAX);
            List<GuestRegion> regions = new ArrayList<>();
            regions.add(new GuestRegion(0, map(0, low), 0));
            if (ramBytes > LOW_RAM_MAX) {
                regions.add(new GuestRegion(HIGH_RAM_START, map(low, ramBytes - low), low));
            }
            memory = new GuestMemory(regions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestMemory ofRam(long ramBytes) {
        return new TestMemory(ramBytes);
    }

    public GuestMemory memory() {
        return memory;
    }

    private MemorySegment map(long offset, long size) throws IOException {
        return file.map(FileChannel.MapMode.READ_WRITE, offset, size, arena);
    }

    @Override
    public void close() {
        arena.close();
        try {
            file.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
