/**
 * Assembles a VM from a typed configuration and runs it: memory, vCPU loops, platform devices, and the wiring of
 * any virtio device to KVM ioeventfds, irqfds and the PCI bus.
 */
package io.vireo.vmm.machine;
