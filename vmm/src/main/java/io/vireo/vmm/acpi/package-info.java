/**
 * ACPI tables (RSDP, XSDT, MADT, FADT, DSDT with AML) built for the guest.
 */
package io.vireo.vmm.acpi;
