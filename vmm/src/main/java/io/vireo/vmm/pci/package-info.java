/**
 * The host side of PCI: the bus, its config mechanisms (CF8/CFC, ECAM), host bridge and windows, BAR allocation
 * and mapping, and the MMIO bus BARs are mapped on.
 */
package io.vireo.vmm.pci;
