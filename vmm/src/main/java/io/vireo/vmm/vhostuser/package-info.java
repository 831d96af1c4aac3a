/**
 * Standalone vhost-user daemons of the {@code vireo} command (a virtio-blk back end served over a UNIX socket).
 */
package io.vireo.vmm.vhostuser;
