/* hist.c -- latency histograms (see hist.h) and TSC arithmetic for the workloads. */
#include "hist.h"

/* The bucket's lower bound and width. */
static void hrange(unsigned b, uint64_t *lo, uint64_t *w)
{
    if (b < HSUB) {
        *lo = b, *w = 1;
        return;
    }
    unsigned e = b / HSUB + 4, sub = b % HSUB;
    *lo = (uint64_t)(HSUB + sub) << (e - 5);
    *w = 1ull << (e - 5);
}

uint64_t hist_percentile(const uint32_t *h, uint64_t n, unsigned permille, uint64_t max)
{
    uint64_t rank = (n * permille + 999) / 1000, cum = 0;
    if (!rank)
        rank = 1;
    for (unsigned b = 0; b < HBUCKETS; b++) {
        cum += h[b];
        if (cum >= rank) {
            uint64_t lo, w;
            hrange(b, &lo, &w);
            uint64_t mid = lo + w / 2;
            return mid > max ? max : mid;
        }
    }
    return max;
}

void hist_print(const char *who, const uint32_t *h, uint64_t khz)
{
    kprintf("%s: hist unit=ns", who);
    char sep = ' ';
    for (unsigned b = 0; b < HBUCKETS; b += 4) {
        uint64_t c = h[b] + h[b + 1] + h[b + 2] + h[b + 3];
        if (!c)
            continue;
        uint64_t lo, w;
        hrange(b, &lo, &w);
        kprintf("%c%llu:%llu", sep, (unsigned long long)tsc_ns(lo, khz), (unsigned long long)c);
        sep = ',';
    }
    kprintf("\n");
}

uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t lo, hi, q, r;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
    if (!c || hi >= c)
        return ~0ull;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c) : "cc");
    return q;
}

uint64_t tsc_ns(uint64_t cycles, uint64_t khz)
{
    return muldiv(cycles, 1000000, khz);
}
