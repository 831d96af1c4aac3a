/**
 * Platform devices emulated in user space: UART 16550, i8042, ACPI PM, reset control, debug exit ports, and the
 * port I/O bus they sit on.
 */
package io.vireo.vmm.devices;
