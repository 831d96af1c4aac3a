/*
 * smp.c -- starting the application processors, as a BIOS or OS does:
 * INIT, SIPI, SIPI through the BSP's xAPIC ICR (0xFEE00300/0x310, MMIO at
 * CPL3). The AP runs boot.S's ap_tramp (real mode -> long mode, copied below
 * 1 MiB) and ap_long64 (ltr, lidt, iretq), 21 CPL0 instructions in all, then
 * ap_main() here at CPL3, where it spins on `pause` until smp_call() hands it
 * a function. APs never print: the console is the BSP's.
 *
 * Per AP: its own TSS (rsp0 + the 8 KiB all-zero I/O bitmap: PVM ignores
 * IOPL, so CPL3 port I/O needs the bitmap on every CPU), its TSS descriptor
 * in a GDT shared by the APs (ltr marks a descriptor busy, so one each), a
 * kernel stack for interrupts and a user stack. APs start one at a time, so
 * a single ap_boot_* block tells the starting AP who it is.
 *
 *   ap_gdt:  0x00 null | 0x08 kcode64 | 0x10 kdata | 0x18 ucode64 | 0x20 udata   (copied from boot.S's gdt)
 *            0x28 + 16 * (cpu - 1): 16-byte TSS descriptor of AP `cpu`
 */
#include "smp.h"

#define TSS_BYTES   (0x68 + 8192 + 1)
#define TSS_STRIDE  8320        /* TSS_BYTES rounded up to 128 */
#define KSTACK      4096
#define USTACK      65536

extern const uint64_t gdt[5];
extern const char ap_tramp[], ap_tramp_end[], ap_gdtr[], ap_user_entry[];

/* Read by boot.S's ap_long64 (CPL0) and ap_main (CPL3) of the AP being started. */
uint64_t ap_boot_tr, ap_boot_frame;
static volatile unsigned ap_boot_cpu;

static uint64_t ap_gdt[5 + 2 * SMP_MAX_CPUS] __attribute__((aligned(16)));
static uint8_t ap_tss[SMP_MAX_CPUS][TSS_STRIDE] __attribute__((aligned(128)));
static uint8_t ap_kstack[SMP_MAX_CPUS][KSTACK] __attribute__((aligned(16)));
static uint8_t ap_ustack[SMP_MAX_CPUS][USTACK] __attribute__((aligned(16)));
static uint64_t ap_frame[SMP_MAX_CPUS][5];

static struct {
    volatile int up;
    void (*volatile fn)(void *);
    void *volatile arg;
    uint32_t apic;
} cpu[SMP_MAX_CPUS];
static unsigned ncpus = 1;

unsigned smp_cpus(void) { return ncpus; }
uint32_t smp_apic_id(unsigned c) { return c < ncpus ? cpu[c].apic : 0; }

static void delay_us(uint64_t us, uint64_t khz)
{
    uint64_t t0 = rdtsc(), n = us * (khz ? khz : 3000000) / 1000;
    while (rdtsc() - t0 < n)
        cpu_pause();
}

/* ICR: high word (destination) first; writing the low word sends. */
static void ipi(uint32_t apic, uint32_t low)
{
    mmio_w32(0xfee00310, apic << 24);
    mmio_w32(0xfee00300, low);
}

int smp_start(unsigned n, const struct acpi_info *a, uint64_t khz)
{
    if (ncpus > 1)
        return ncpus - 1 >= n ? 0 : -1;
    if (n + 1 > SMP_MAX_CPUS) {
        kprintf("error: smp: %u CPUs asked for, at most %u\n", n + 1, SMP_MAX_CPUS);
        return -1;
    }
    uint32_t self = mmio_r32(0xfee00020) >> 24;
    cpu[0].apic = self;
    unsigned have = 0;
    uint32_t ids[SMP_MAX_CPUS];
    for (uint32_t i = 0; i < a->cpus && i < ACPI_MAX_CPUS && have < n; i++)
        if (a->apic_ids[i] != self && a->apic_ids[i] < 0xff)
            ids[have++] = a->apic_ids[i];
    if (have < n) {
        kprintf("error: smp: need %u APs, the MADT lists %u CPUs (BSP apic id %u)\n", n, a->cpus, self);
        return -1;
    }

    /* The trampoline page; its GDTR points at ap_gdt. */
    uint8_t *t = phys(AP_TRAMP);
    size_t tn = (size_t)(ap_tramp_end - ap_tramp);
    memcpy(t, ap_tramp, tn);
    uint8_t *gdtr = t + (ap_gdtr - ap_tramp);
    uint16_t limit = sizeof ap_gdt - 1;
    uint32_t base = (uint32_t)(uintptr_t)ap_gdt;
    memcpy(gdtr, &limit, 2);
    memcpy(gdtr + 2, &base, 4);
    for (int i = 0; i < 5; i++)
        ap_gdt[i] = gdt[i];

    for (unsigned c = 1; c <= n; c++) {
        uint8_t *tss = ap_tss[c];
        uint64_t rsp0 = (uintptr_t)ap_kstack[c] + KSTACK, tb = (uintptr_t)tss, lim = TSS_BYTES - 1;
        memset(tss, 0, TSS_BYTES);
        memcpy(tss + 4, &rsp0, 8);
        tss[0x66] = 0x68;                       /* iomap_base: the bitmap follows the 0x68-byte TSS */
        tss[TSS_BYTES - 1] = 0xff;              /* the architectural trailing byte */
        unsigned slot = 5 + 2 * (c - 1);
        ap_gdt[slot] = (lim & 0xffff) | (tb & 0xffffff) << 16 | 0x89ull << 40 | ((lim >> 16) & 0xf) << 48 |
                       ((tb >> 24) & 0xff) << 56;
        ap_gdt[slot + 1] = tb >> 32;
        uint64_t *f = ap_frame[c];
        f[0] = (uintptr_t)ap_user_entry;
        f[1] = 0x1b;                            /* user code, RPL 3 */
        f[2] = 0x2;                             /* IF=0: irq_cpu_on() sets it if wanted */
        f[3] = (uintptr_t)ap_ustack[c] + USTACK;
        f[4] = 0x23;
        cpu[c].apic = ids[c - 1];
        ap_boot_cpu = c;
        ap_boot_tr = slot * 8;
        ap_boot_frame = (uintptr_t)f;
        barrier();

        ipi(ids[c - 1], 0x4500);                /* INIT, level assert */
        delay_us(1000, khz);
        for (int sipi = 0; sipi < 2 && !cpu[c].up; sipi++) {
            ipi(ids[c - 1], 0x4600 | AP_TRAMP >> 12);   /* STARTUP at AP_TRAMP */
            /* A second SIPI only if the first did not take (the AP ignores it once running). */
            uint64_t t0 = rdtsc(), wait = (sipi ? 1000000 : 1000) * (khz ? khz : 3000000) / 1000;
            while (!cpu[c].up && rdtsc() - t0 < wait)
                cpu_pause();
        }
        if (!cpu[c].up) {
            kprintf("error: smp: CPU %u (apic id %u) did not start\n", c, ids[c - 1]);
            return -1;
        }
        ncpus = c + 1;
    }
    kprintf("smp: started %u APs (apic ids", n);
    for (unsigned c = 1; c <= n; c++)
        kprintf(" %u", cpu[c].apic);
    kprintf(")\n");
    return 0;
}

void smp_call(unsigned c, void (*fn)(void *), void *arg)
{
    cpu[c].arg = arg;
    barrier();          /* ORDERING: arg before fn (x86 keeps stores in order) */
    cpu[c].fn = fn;
}

int smp_done(unsigned c)
{
    return cpu[c].fn == 0;
}

/* CPL3 on the AP (from boot.S's ap_user_entry). */
void ap_main(void)
{
    unsigned c = ap_boot_cpu;
    cpu[c].up = 1;
    for (;;) {
        void (*fn)(void *) = cpu[c].fn;
        if (!fn) {
            cpu_pause();
            continue;
        }
        barrier();      /* ORDERING: fn before arg */
        fn(cpu[c].arg);
        barrier();      /* ORDERING: its results before the done flag */
        cpu[c].fn = 0;
    }
}
