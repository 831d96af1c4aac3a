package io.vireo.vmm.boot;

/**
 * Where a kernel landed in guest RAM.
 *
 * @param entry32              the PVH entry point (32-bit protected mode, paging off, EBX = hvm_start_info GPA)
 * @param lowestAddr           the lowest GPA written by any PT_LOAD segment
 * @param highestAddrExclusive one past the highest GPA written (bss included)
 */
public record LoadedKernel(long entry32, long lowestAddr, long highestAddrExclusive) {
}
