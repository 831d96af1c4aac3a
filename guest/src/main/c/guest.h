/* guest.h -- shared declarations for the CPL3 part of the test guest. */
#ifndef VIREO_GUEST_H
#define VIREO_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_PVH        1
#define BOOT_MULTIBOOT  2

/* Port I/O works at CPL3 only because the TSS I/O bitmap allows every port
 * (PVM ignores IOPL). Each access is a VM exit: keep them few. */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* MMIO: volatile accesses of exactly the given width (each is a VM exit). */
static inline uint8_t  mmio_r8(uint64_t a)  { return *(volatile uint8_t *)(uintptr_t)a; }
static inline uint16_t mmio_r16(uint64_t a) { return *(volatile uint16_t *)(uintptr_t)a; }
static inline uint32_t mmio_r32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_w8(uint64_t a, uint8_t v)   { *(volatile uint8_t *)(uintptr_t)a = v; }
static inline void mmio_w16(uint64_t a, uint16_t v) { *(volatile uint16_t *)(uintptr_t)a = v; }
static inline void mmio_w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

/* x86 is TSO: only a store followed by a load of another location needs a
 * real fence; everything else needs the compiler not to reorder. */
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* lfence keeps rdtsc from being reordered with the timed code. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* Physical address -> pointer (identity mapped). The empty asm hides the
 * constant from gcc, which otherwise warns about "arrays" at tiny addresses. */
static inline void *phys(uint64_t pa)
{
    void *p = (void *)(uintptr_t)pa;
    __asm__("" : "+r"(p));
    return p;
}

/* console.c */
void uart_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
void heap_init(uint64_t start, uint64_t end);   /* free RAM for heap_alloc: [start, end) */
void *heap_alloc(uint64_t bytes, uint64_t align);       /* zeroed; 0 if it does not fit */
uint64_t heap_free_bytes(void);

/* acpi.c */
#define ACPI_MAX_CPUS   64      /* APIC ids kept; the count goes on beyond */
#define ACPI_MAX_SEGS   32      /* MCFG entries (PCI segments) kept */
struct acpi_info {
    int found;                  /* MADT found and parsed */
    uint32_t cpus;              /* enabled LAPIC + x2APIC entries */
    uint32_t apic_ids[ACPI_MAX_CPUS];   /* theirs, in MADT order */
    uint32_t pm1a_cnt;          /* FADT PM1a_CNT_BLK (I/O port), 0 = unknown */
    uint64_t dsdt;
    int slp_typa;               /* from \_S5_, -1 = not found */
    uint64_t mcfg_base;         /* ECAM of PCI segment 0 from the MCFG, 0 = none */
    uint8_t mcfg_bus_start, mcfg_bus_end;
    uint32_t nsegs;             /* MCFG entries kept in segs[] (segment 0's too) */
    struct acpi_ecam {
        uint64_t base;
        uint16_t seg;
        uint8_t bus_start, bus_end;
    } segs[ACPI_MAX_SEGS];
};
void acpi_scan(uint64_t rsdp_hint, struct acpi_info *out);

#endif
