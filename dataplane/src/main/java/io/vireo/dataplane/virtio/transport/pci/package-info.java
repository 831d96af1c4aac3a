/**
 * The virtio PCI transport (virtio 1.2 §4.1): a device behind a PCI function, modern and transitional; the function
 * sees an interrupt sink and notifies, not KVM.
 */
package io.vireo.dataplane.virtio.transport.pci;
