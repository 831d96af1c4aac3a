/**
 * Generic PCI function model: config space, BARs, capabilities and MSI-X (table, PBA, masking). Knows nothing of
 * virtio.
 */
package io.vireo.dataplane.pci;
