/* smp.h -- application processors (smp.c): started only when a workload needs them. */
#ifndef VIREO_SMP_H
#define VIREO_SMP_H

#include "guest.h"

#define SMP_MAX_CPUS    16      /* = VQ_MAX_QUEUES: CPU i drives queue i */
#define AP_TRAMP        0x8000  /* real-mode start page (boot.S has the same) */

/* Starts n APs (CPUs 1..n) by INIT-SIPI-SIPI, taking the MADT's APIC ids
 * other than this CPU's, in order; each waits at CPL3 for smp_call().
 * Returns 0, or -1 after an `error:` line. tsc_khz times the waits. */
int smp_start(unsigned n, const struct acpi_info *a, uint64_t tsc_khz);
unsigned smp_cpus(void);                        /* 1 + APs started */
uint32_t smp_apic_id(unsigned cpu);             /* xAPIC id; cpu 0 = the BSP */
void smp_call(unsigned cpu, void (*fn)(void *), void *arg);     /* runs fn(arg) on that AP */
int smp_done(unsigned cpu);                     /* its last smp_call has returned */

#endif
