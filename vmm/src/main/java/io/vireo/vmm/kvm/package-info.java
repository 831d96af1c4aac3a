/**
 * KVM: the VM, vCPUs, MSI routes and irqfds, and KVM's binary statistics.
 */
package io.vireo.vmm.kvm;
