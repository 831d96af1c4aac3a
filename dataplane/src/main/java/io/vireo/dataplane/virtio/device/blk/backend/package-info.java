/**
 * Block back ends behind virtio-blk: io_uring (asynchronous, optional O_DIRECT, fixed buffers, SQPOLL), positional
 * I/O, null, and fault injection; each opens one I/O context per virtqueue.
 */
package io.vireo.dataplane.virtio.device.blk.backend;
