package io.vireo.vmm.machine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A virtio device served by another process over vhost-user, one PCI function each: a disk
 * ({@code --disk vhost-user=SOCKET}) or a shared directory ({@code --fs tag=TAG,socket=SOCKET}). Typed and checked;
 * the CLI parses its words into this.
 *
 * @param kind      what the device is
 * @param socket    where the back end listens
 * @param queues    request queues (blk: num_queues; fs: num_request_queues, plus the high-priority queue)
 * @param queueSize the largest ring the driver may use (a power of two)
 * @param tag       the virtio-fs mount tag (1 to {@link #MAX_TAG_BYTES} UTF-8 bytes), null for a disk
 */
public record VhostUserConfig(Kind kind, Path socket, int queues, int queueSize, String tag) {
    /** virtio-fs config: {@code u8 tag[36]; le32 num_request_queues} (virtio 1.2 §5.11.4). */
    public static final int MAX_TAG_BYTES = 36;
    public static final int MAX_QUEUES = 64;
    public static final int DEFAULT_BLK_QUEUE_SIZE = 256;
    public static final int DEFAULT_FS_QUEUE_SIZE = 128;

    /** The device type behind the socket. */
    public enum Kind {
        /** virtio-blk (type 2), e.g. qemu-storage-daemon's or Vireo's vhost-user-blk export. */
        BLK,
        /** virtio-fs (type 26), e.g. virtiofsd. */
        FS
    }

    public VhostUserConfig {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues must be between 1 and " + MAX_QUEUES + ": " + queues);
        }
        if (queueSize < 1 || queueSize > 32768 || (queueSize & (queueSize - 1)) != 0) {
            throw new IllegalArgumentException("queue size must be a power of two up to 32768: " + queueSize);
        }
        if (kind == Kind.FS) {
            int n = tag == null ? 0 : tag.getBytes(StandardCharsets.UTF_8).length;
            if (n < 1 || n > MAX_TAG_BYTES) {
                throw new IllegalArgumentException("tag must be 1 to " + MAX_TAG_BYTES + " bytes: " + n);
            }
        }
    }

    /** The name for messages: {@code vhost-user-blk SOCKET} or {@code virtio-fs TAG (SOCKET)}. */
    public String describe() {
        return kind == Kind.BLK ? "vhost-user-blk " + socket : "virtio-fs " + tag + " (" + socket + ")";
    }
}
