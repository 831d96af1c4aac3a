package io.vireo.vmm.machine;

import io.vireo.dataplane.memory.MemfdGuestMemory;
import io.vireo.dataplane.vhostuser.VhostUserDevice;
import io.vireo.dataplane.vhostuser.VhostUserPeerException;
import io.vireo.dataplane.virtio.device.blk.BlkConfigLayout;
import io.vireo.dataplane.virtio.device.blk.BlkFeatures;
import io.vireo.vmm.ExitStatus;
import io.vireo.vmm.VireoException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the devices served by other processes ({@link VhostUserConfig}): connects to each back end, agrees on
 * features and reads the config where the device type has one, and puts each on the bus through
 * {@link VirtioDevices#addExternal}. A back end that is missing or refuses stops the machine from being built with
 * one line (exit status 2).
 */
final class VhostUserDevices {
    static final int VIRTIO_ID_BLOCK = 2;
    static final int VIRTIO_ID_FS = 26;
    /**
     * GET_CONFIG asks for the virtio-blk config up to write_zeroes_may_unmap and its padding (60 bytes): what QEMU
     * 7.2's headers (and so qemu-storage-daemon) know; the secure-erase fields after it are never offered by such a
     * back end.
     */
    static final int BLK_CONFIG_BYTES = 60;
    /** virtio-fs config: tag[36], then le32 num_request_queues. */
    static final int FS_CONFIG_BYTES = 40;

    private static final System.Logger LOG = System.getLogger(VhostUserDevices.class.getName());

    private VhostUserDevices() {
    }

    static List<VirtioDevices.External> attach(List<VhostUserConfig> configs, MemfdGuestMemory memory,
                                               VirtioDevices virtio) {
        List<VirtioDevices.External> out = new ArrayList<>();
        int disks = 0;
        int fss = 0;
        for (VhostUserConfig c : configs) {
            String name = c.kind() == VhostUserConfig.Kind.BLK ? "vudisk" + disks++ : "fs" + fss++;
            VhostUserDevice d = open(name, c, memory);
            try {
                virtio.addExternal(name, d, c.kind() == VhostUserConfig.Kind.BLK);
            } catch (RuntimeException e) {
                d.close();
                throw e;
            }
        }
        out.addAll(virtio.externals());
        return out;
    }

    private static VhostUserDevice open(String name, VhostUserConfig c, MemfdGuestMemory memory) {
        boolean blk = c.kind() == VhostUserConfig.Kind.BLK;
        int queues = blk ? c.queues() : 1 + c.queues();
        VhostUserDevice d;
        try {
            d = new VhostUserDevice(name, c.socket(), blk ? VIRTIO_ID_BLOCK : VIRTIO_ID_FS, queues, c.queueSize(),
                blk ? BLK_CONFIG_BYTES : 0, blk ? null : fsConfig(c), memory, memory.memfd(),
                line -> LOG.log(System.Logger.Level.WARNING, line));
        } catch (VhostUserPeerException e) {
            throw new VireoException(ExitStatus.USAGE, (blk ? "--disk vhost-user=" : "--fs socket=") + c.socket()
                + ": " + e.getMessage());
        }
        if (blk && (d.deviceFeatures() & BlkFeatures.MQ) != 0) {
            // The back end may have more queues than this disk uses: the driver must see the ones it has.
            d.overrideConfig(BlkConfigLayout.NUM_QUEUES_OFFSET, new byte[] {(byte) queues, (byte) (queues >>> 8)});
        }
        return d;
    }

    private static byte[] fsConfig(VhostUserConfig c) {
        ByteBuffer b = ByteBuffer.allocate(FS_CONFIG_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(c.tag().getBytes(StandardCharsets.UTF_8));
        b.putInt(36, c.queues());
        return b.array();
    }
}
