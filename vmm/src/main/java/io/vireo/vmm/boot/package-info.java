/**
 * Loading a guest: PVH ELF and bzImage kernels, initrd, the zero page / start info, E820 and the boot page tables.
 */
package io.vireo.vmm.boot;
