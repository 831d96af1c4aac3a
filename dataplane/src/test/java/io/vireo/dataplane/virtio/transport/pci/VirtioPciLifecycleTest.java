package io.vireo.dataplane.virtio.transport.pci;

import static io.vireo.dataplane.virtio.VirtioFeatures.ACKNOWLEDGE;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER;
import static io.vireo.dataplane.virtio.VirtioFeatures.DRIVER_OK;
import static io.vireo.dataplane.virtio.VirtioFeatures.FEATURES_OK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vireo.dataplane.memory.GuestMemory;
import io.vireo.dataplane.virtio.VirtioDevice;
import io.vireo.dataplane.virtio.VirtioInterrupt;
import io.vireo.dataplane.virtio.queue.SplitQueue;
import io.vireo.dataplane.virtio.queue.TestGuestMemory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** The transport records activate/reset under its lock and calls the device outside it. */
class VirtioPciLifecycleTest {
    /** A thread per call, like a vCPU (the common pool may have a single worker on a small machine). */
    private static final Executor VCPU = r -> Thread.ofPlatform().daemon(true).start(r);

    /** A device whose activate and reset block until released, as one waiting for its queue agents does. */
    private static final class SlowDevice implements VirtioDevice {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public int deviceType() {
            return 2;
        }

        @Override
        public long deviceFeatures() {
            return 0;
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int queueMaxSize(int queue) {
            return 16;
        }

        @Override
        public int configSize() {
            return 4;
        }

        @Override
        public int readConfig(int offset, int size) {
            return 0;
        }

        @Override
        public void writeConfig(int offset, int size, int value) {
        }

        @Override
        public void activate(long features, SplitQueue[] queues, VirtioInterrupt interrupt) {
            block("activate");
        }

        @Override
        public void processQueue(int queue) {
        }

        @Override
        public void reset() {
            block("reset");
        }

        private void block(String what) {
            calls.add(what);
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void shouldServeRegistersFromOtherVcpusWhileTheDeviceActivates() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            GuestMemory memory = TestGuestMemory.create(arena);
            SlowDevice device = new SlowDevice();
            VirtioPciFunction fn = new VirtioPciFunction(device, memory, v -> { }, false);
            VirtioPciFunctionTest.status(fn, ACKNOWLEDGE | DRIVER);
            fn.writeBar(VirtioPciLayout.MODERN_BAR, VirtioPciLayout.COMMON_CFG_OFFSET
                + VirtioPciLayout.DRIVER_FEATURE_SELECT, 4, 1);
            fn.writeBar(VirtioPciLayout.MODERN_BAR, VirtioPciLayout.COMMON_CFG_OFFSET
                + VirtioPciLayout.DRIVER_FEATURE, 4, 1);
            VirtioPciFunctionTest.status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK);

            // vCPU 0 writes DRIVER_OK and waits inside the device's activate.
            CompletableFuture<Void> vcpu0 = CompletableFuture.runAsync(
                () -> VirtioPciFunctionTest.status(fn, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK), VCPU);
            assertTrue(device.entered.await(30, TimeUnit.SECONDS), "activate was called");

            // vCPU 1 reads the status and writes a register meanwhile: with the lock held across activate it would
            // wait for vCPU 0; a bound only so that a regression fails instead of hanging the build.
            CompletableFuture<Integer> vcpu1 = CompletableFuture.supplyAsync(() -> {
                fn.writeBar(VirtioPciLayout.MODERN_BAR, VirtioPciLayout.COMMON_CFG_OFFSET
                    + VirtioPciLayout.QUEUE_SELECT, 2, 0);
                return VirtioPciFunctionTest.status(fn);
            }, VCPU);
            assertEquals(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK, (int) vcpu1.get(30, TimeUnit.SECONDS));
            assertTrue(fn.isActive());

            device.release.countDown();
            vcpu0.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("activate"), device.calls);

            // A reset after it runs in order, after the activation.
            VirtioPciFunctionTest.status(fn, 0);
            assertEquals(List.of("activate", "reset"), device.calls);
            assertEquals(0, VirtioPciFunctionTest.status(fn));
        }
    }
}
