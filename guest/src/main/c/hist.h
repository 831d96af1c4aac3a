/* hist.h -- latency histograms and TSC arithmetic shared by the workloads (hist.c). */
#ifndef VIREO_HIST_H
#define VIREO_HIST_H

#include "guest.h"

/* HDR-like: 32 linear sub-buckets per power of two (<= 1/32 bucket width,
 * reported at the midpoint: <= 1.6% error), values up to 2^64. */
#define HSUB        32
#define HBUCKETS    (60 * HSUB)

static inline unsigned hbucket(uint64_t v)
{
    if (v < HSUB)
        return (unsigned)v;
    unsigned e = 63 - (unsigned)__builtin_clzll(v);   /* >= 5 */
    return (e - 4) * HSUB + (unsigned)((v >> (e - 5)) & (HSUB - 1));
}

/* The value at permille (500 = median) of n samples in h, at its bucket's midpoint, at most max. */
uint64_t hist_percentile(const uint32_t *h, uint64_t n, unsigned permille, uint64_t max);
/* "<who>: hist unit=ns <lower bound ns>:<count>,..." (non-empty buckets, 8 per power of two). */
void hist_print(const char *who, const uint32_t *h, uint64_t khz);

/* a * b / c with a 128-bit intermediate (mulq/divq: no libgcc here); saturates. */
uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c);
/* TSC cycles -> ns at khz. */
uint64_t tsc_ns(uint64_t cycles, uint64_t khz);

#endif
