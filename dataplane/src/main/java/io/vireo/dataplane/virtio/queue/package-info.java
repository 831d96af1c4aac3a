/**
 * The split virtqueue (virtio 1.2 §2.7): ring layout, the validated descriptor chain walk, used-ring publishing
 * with event suppression, and the typed guest-fault codes. Knows nothing of PCI or KVM.
 */
package io.vireo.dataplane.virtio.queue;
