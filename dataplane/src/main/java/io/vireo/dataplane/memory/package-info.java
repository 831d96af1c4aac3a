/**
 * Guest RAM: memfd-backed segments with guard pages, and the guest-physical to segment lookup every device uses
 * to reach driver buffers.
 */
package io.vireo.dataplane.memory;
