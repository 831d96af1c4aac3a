/*
 * main.c -- the test guest proper. Runs at CPL3 (natively on PVM), entered
 * from boot.S with the boot protocol and the physical address of its info
 * block. Output lines are parsed by Vireo's tests: keep the keys stable.
 */
#include "guest.h"
#include "blk.h"
#include "net.h"
#include "pci.h"
#include "smp.h"

/* Xen PVH: arch/x86/include/asm/xen/hvm/start_info.h (natural alignment matches). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;              /* version >= 1 */
    uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

/* Multiboot v1 info: only the fields we read. */
#define MBI_CMDLINE (1u << 2)
#define MBI_MEM     (1u << 0)
#define MBI_MMAP    (1u << 6)
struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};
struct mb_mmap {
    uint32_t size;                      /* of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

static struct {
    uint64_t exit, loops;
    const char *fault;                  /* fault=ud|gp|pf|de|triple: test the fault path */
    size_t fault_len;
    const char *reset;                  /* reset=i8042|cf9: test the reset paths */
    size_t reset_len;
    uint64_t pci;                       /* pci=1: scan and list even without blk= */
    uint64_t smp;                       /* smp=N: start N APs, each reports in (AP bring-up test) */
    struct blk_opts blk;                /* blk.op = 0: no virtio-blk command */
} opt = { .exit = 0, .loops = 10000000, .blk = { .dev = 0, .qd = 0, .indirect = -1 } };

static uint64_t ram_total, ram_above4g;

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2, n -= 2;
    if (!n)
        return 0;
    for (; n; n--, s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
            d = (*s | 0x20) - 'a' + 10;
        else
            return 0;
        v = v * base + d;
    }
    *out = v;
    return 1;
}

/* Copies a word of the command line into buf for printing (truncated). */
static const char *word(char *buf, size_t cap, const char *s, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

static int key_is(const char *k, size_t kn, const char *want)
{
    return kn == strlen(want) && !memcmp(k, want, kn);
}

static const char *memchr_(const char *s, char c, size_t n)
{
    for (; n; n--, s++)
        if (*s == c)
            return s;
    return 0;
}

/* Numeric keys: returns 0 if the key is not one of them. */
static int num_key(const char *k, size_t kn, const char *v, size_t vn)
{
    static const struct { const char *name; uint64_t *p; } keys[] = {
        { "pci", &opt.pci }, { "smp", &opt.smp }, { "qd", &opt.blk.qd }, { "qsize", &opt.blk.qsize }, { "chunk", &opt.blk.chunk },
        { "seg", &opt.blk.seg }, { "sector", &opt.blk.sector }, { "pattern", &opt.blk.pattern },
        { "count", &opt.blk.count }, { "tsc_khz", &opt.blk.tsc_khz }, { "bs", &opt.blk.bs },
        { "queues", &opt.blk.queues }, { "ios", &opt.blk.ios }, { "secs", &opt.blk.secs },
        { "span", &opt.blk.span }, { "seed", &opt.blk.seed }, { "warmup", &opt.blk.warmup },
    };
    static const struct { const char *name; int *p; } flags[] = {
        { "irq", &opt.blk.irq }, { "indirect", &opt.blk.indirect }, { "event_idx", &opt.blk.event_idx },
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (key_is(k, kn, keys[i].name)) {
            if (!parse_u64(v, vn, keys[i].p))
                kprintf("warning: bad number for %s, using %llu\n", keys[i].name, (unsigned long long)*keys[i].p);
            else if (keys[i].p == &opt.blk.seed)
                opt.blk.seed_set = 1;
            return 1;
        }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (key_is(k, kn, flags[i].name)) {
            uint64_t n;
            if (parse_u64(v, vn, &n))
                *flags[i].p = n != 0;
            else
                kprintf("warning: bad number for %s\n", flags[i].name);
            return 1;
        }
    return 0;
}

/* Space separated key=value. Multiboot loaders (QEMU, GRUB) put the kernel
 * path first: a leading word without '=' is skipped there. */
static void parse_cmdline(const char *s, int multiboot)
{
    for (int first = 1; *s; first = 0) {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *w = s, *eq = 0;
        while (*s && *s != ' ' && *s != '\t') {
            if (*s == '=' && !eq)
                eq = s;
            s++;
        }
        if (s == w)
            break;
        char tmp[48];
        if (!eq) {
            if (!(first && multiboot))
                kprintf("warning: ignoring cmdline word '%s' (no '=')\n", word(tmp, sizeof tmp, w, s - w));
            continue;
        }
        const char *v = eq + 1;
        size_t kn = eq - w, vn = s - v;
        if (key_is(w, kn, "exit")) {
            if (!parse_u64(v, vn, &opt.exit))
                kprintf("warning: bad number for exit, using %llu\n", (unsigned long long)opt.exit);
        } else if (key_is(w, kn, "loops")) {
            if (!parse_u64(v, vn, &opt.loops))
                kprintf("warning: bad number for loops, using %llu\n", (unsigned long long)opt.loops);
        } else if (key_is(w, kn, "fault")) {
            opt.fault = v, opt.fault_len = vn;
        } else if (key_is(w, kn, "reset")) {
            opt.reset = v, opt.reset_len = vn;
        } else if (key_is(w, kn, "blk")) {
            const char *colon = memchr_(v, ':', vn);
            opt.blk.op = v, opt.blk.op_len = colon ? (size_t)(colon - v) : vn;
            if (colon) {
                const char *d = colon + 1;
                size_t dn = vn - (d - v);
                uint64_t n;
                if (dn == 4 && !memcmp(d, "last", 4))
                    opt.blk.dev = -1;
                else if (parse_u64(d, dn, &n) && n < 1000)
                    opt.blk.dev = (int)n;
                else
                    kprintf("warning: bad blk device '%s', using 0\n", word(tmp, sizeof tmp, d, dn));
            }
        } else if (key_is(w, kn, "rw")) {
            opt.blk.rw = v, opt.blk.rw_len = vn;
        } else if (key_is(w, kn, "virtio")) {
            if (vn == 6 && !memcmp(v, "legacy", 6))
                opt.blk.legacy = 1;
            else if (vn == 6 && !memcmp(v, "modern", 6))
                opt.blk.legacy = 0;
            else
                kprintf("warning: virtio= expects legacy|modern\n");
        } else if (!net_key(w, kn, v, vn) && !num_key(w, kn, v, vn)) {
            kprintf("warning: unknown cmdline key '%s' ignored\n", word(tmp, sizeof tmp, w, kn));
        }
    }
}

static void memmap_entry(uint64_t start, uint64_t size, uint32_t type)
{
    static const char *names[] = { 0, "ram", "reserved", "acpi", "nvs", "unusable" };
    uint64_t end = start + size;
    if (type >= 1 && type <= 5)
        kprintf("memmap: 0x%016llx 0x%016llx %s\n", (unsigned long long)start,
                (unsigned long long)end, names[type]);
    else
        kprintf("memmap: 0x%016llx 0x%016llx type%u\n", (unsigned long long)start,
                (unsigned long long)end, type);
    if (type == 1) {
        /* The heap: the rest of the RAM range holding the image, below 3 GiB
         * (boot.S maps 3-4 GiB uncached for MMIO). */
        extern char __bss_end[];
        uint64_t lo = ((uint64_t)(uintptr_t)__bss_end + 4095) & ~4095ull, hi = end < (3ull << 30) ? end : 3ull << 30;
        if (start <= lo && hi > lo)
            heap_init(lo, hi);
        ram_total += size;
        if (end > (1ull << 32))
            ram_above4g += end - (start > (1ull << 32) ? start : (1ull << 32));
    }
}

/* dec/jnz in asm: the compiler cannot delete or vectorise it; ~1 cycle/iter. */
static uint64_t timed_loop(uint64_t n)
{
    if (!n)
        return 0;
    uint64_t t0 = rdtsc();
    __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
    return rdtsc() - t0;
}

static void trigger_fault(const char *f, size_t n)
{
    if (n == 2 && !memcmp(f, "ud", 2))
        __asm__ volatile("ud2");
    else if (n == 2 && !memcmp(f, "gp", 2))
        __asm__ volatile("hlt");                        /* privileged at CPL3 */
    else if (n == 2 && !memcmp(f, "pf", 2))
        (void)*(volatile uint64_t *)phys(1ull << 40);   /* only 0-4 GiB is mapped */
    else if (n == 2 && !memcmp(f, "de", 2))
        __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" : : : "eax", "ecx", "edx");
    else if (n == 6 && !memcmp(f, "triple", 6)) {
        /* The IDT lives in user-writable .data: clear it, then #UD finds no gate, nor does the #GP
         * that follows, nor the #DF after that: a triple fault, which the VMM sees as a shutdown. */
        extern uint8_t idt[], idt_end[];
        for (uint8_t *b = idt; b < idt_end; b++)
            *(volatile uint8_t *)b = 0;
        __asm__ volatile("ud2");
    } else
        kprintf("warning: unknown fault kind, expected ud|gp|pf|de|triple\n");
}

/* reset=i8042: the keyboard controller's pulse-reset command (Linux reboot=k);
 * reset=cf9: the PCI reset control register (the FADT's RESET_REG). */
static void trigger_reset(const char *r, size_t n)
{
    if (n == 5 && !memcmp(r, "i8042", 5))
        outb(0x64, 0xfe);
    else if (n == 3 && !memcmp(r, "cf9", 3))
        outb(0xcf9, 0x06);
    else
        kprintf("warning: unknown reset kind, expected i8042|cf9\n");
}

/* TSC rate from PIT channel 2 (gate via port 0x61, mode 0, 65535 counts =
 * 54.9 ms); rdtsc is the raw host TSC on PVM and CPUID has no rate here.
 * Each port access is a VM exit (~24 us on PVM) and the vCPU can be
 * descheduled between two of them (on a loaded host single runs were off by
 * up to 3%, both ways), so every run brackets its start (the count's last
 * byte) and its end (the first 0x61 read with OUT2 set, after one without)
 * by TSC reads and is measured between the brackets' midpoints. Runs whose
 * brackets are wider than 1/256 of the period are kept only as a fallback;
 * up to 7 runs, until 3 narrow ones; the median counts. A VMM that knows
 * the rate can pass tsc_khz= instead. */
uint64_t tsc_khz_calibrate(void)
{
    uint8_t p61 = inb(0x61);
    uint64_t good[7], all[7];
    int ngood = 0, nall = 0;
    while (nall < 7 && ngood < 3) {
        outb(0x61, (p61 & ~0x02) | 0x01);       /* gate on, speaker off */
        outb(0x43, 0xb0);                       /* channel 2, lo/hi byte, mode 0, binary */
        outb(0x42, 0xff);
        uint64_t a0 = rdtsc();
        outb(0x42, 0xff);                       /* counting starts here */
        uint64_t a1 = rdtsc(), prev = a1, b0 = a1, b1 = a1;
        int seen = 0;
        for (uint32_t i = 0; i < 20000000; i++) {
            b0 = rdtsc();
            uint8_t v = inb(0x61);
            b1 = rdtsc();
            if (v & 0x20) {
                seen = 1;
                break;
            }
            prev = b0;
        }
        outb(0x61, (p61 & ~0x03));              /* gate off: the next run reloads */
        if (!seen)
            break;
        uint64_t est = (prev + b1) / 2 - (a0 + a1) / 2, window = (a1 - a0) + (b1 - prev);
        all[nall++] = est;
        if (window < est / 256)
            good[ngood++] = est;
    }
    outb(0x61, p61);
    uint64_t *v = ngood ? good : all;
    int n = ngood ? ngood : nall;
    for (int i = 1; i < n; i++)                 /* insertion sort, n <= 7 */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    uint64_t best = n ? (n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
    uint64_t khz = best * 1193182 / 65536 / 1000;   /* mode 0: OUT goes high N + 1 clocks after the count */
    if (khz < 100000 || khz > 20000000) {       /* 0.1-20 GHz, else no PIT */
        kprintf("warning: tsc calibration against the PIT failed (%llu kHz): rates not printed\n",
                (unsigned long long)khz);
        return 0;
    }
    if (!ngood)
        kprintf("warning: tsc calibration: no PIT run had narrow brackets (host busy?): pass tsc_khz= for exact rates\n");
    kprintf("tsc: khz=%llu (PIT)\n", (unsigned long long)khz);
    return khz;
}

static void __attribute__((noreturn)) hang(void)
{
    for (;;)
        cpu_pause();
}

/* isa-debug-exit (port 0xf4): the VMM exits with (value << 1) | 1. Status 0
 * is only reachable by ACPI poweroff: SLP_TYPa | SLP_EN into PM1a_CNT. */
static void __attribute__((noreturn)) do_exit(unsigned status, const struct acpi_info *a)
{
    if (status) {
        outb(0xf4, (uint8_t)((status - 1) / 2));
        hang();
    }
    if (a->pm1a_cnt && a->slp_typa >= 0) {
        outw((uint16_t)a->pm1a_cnt, (uint16_t)(((a->slp_typa & 7) << 10) | (1 << 13)));
        /* QEMU handles the poweroff request asynchronously while this vCPU
         * keeps running: give it time before declaring failure. */
        uint64_t t0 = rdtsc();
        while (rdtsc() - t0 < 2000000000ull)
            cpu_pause();
        kprintf("error: ACPI poweroff (PM1a_CNT 0x%x) did not stop the VM; exiting via isa-debug-exit with status 1\n",
                a->pm1a_cnt);
    } else {
        kprintf("error: no ACPI PM1a_CNT/_S5_ for poweroff; exiting via isa-debug-exit with status 1\n");
    }
    outb(0xf4, 0);
    hang();
}

/* smp=N: start N APs; each reads its own xAPIC id at CPL3 and reports back. */
static volatile uint32_t ap_seen[SMP_MAX_CPUS];

static void ap_hello(void *arg)
{
    ap_seen[(uintptr_t)arg] = 0x100 | mmio_r32(0xfee00020) >> 24;
}

static int smp_test(unsigned n, const struct acpi_info *a)
{
    if (smp_start(n, a, 0) < 0)
        return -1;
    for (unsigned c = 1; c <= n; c++) {
        smp_call(c, ap_hello, (void *)(uintptr_t)c);
        uint64_t t0 = rdtsc();
        while (!smp_done(c) && rdtsc() - t0 < 10000000000ull)
            cpu_pause();
        if (!ap_seen[c]) {
            kprintf("error: smp: CPU %u did not run its function\n", c);
            return -1;
        }
        kprintf("smp: cpu=%u apic=%u ok\n", c, ap_seen[c] & 0xff);
    }
    return 0;
}

void cmain(uint32_t boot, uint32_t info)
{
    const char *name = boot == BOOT_PVH ? "pvh" : "multiboot";
    const char *cmdline = "";
    uint64_t rsdp = 0;

    uart_init();
    /* Leading newline: under QEMU, SeaBIOS leaves "Booting from ROM.." without one. */
    kprintf("\nvireo-test-guest: boot=%s\n", name);

    const struct hvm_start_info *si = phys(info);
    const struct mb_info *mb = phys(info);
    if (boot == BOOT_PVH) {
        if (si->magic != HVM_START_MAGIC) {
            kprintf("error: hvm_start_info at 0x%x has bad magic 0x%x\n", info, si->magic);
            si = 0;
        } else {
            if (si->cmdline_paddr)
                cmdline = phys(si->cmdline_paddr);
            rsdp = si->rsdp_paddr;
        }
    } else if (mb->flags & MBI_CMDLINE) {
        cmdline = phys(mb->cmdline);
    }
    kprintf("cmdline: %s\n", cmdline);
    parse_cmdline(cmdline, boot == BOOT_MULTIBOOT);

    struct acpi_info acpi;
    acpi_scan(rsdp, &acpi);
    kprintf("cpus: %u\n", acpi.cpus);

    if (boot == BOOT_PVH) {
        if (si && si->version >= 1 && si->memmap_paddr) {
            const struct hvm_memmap_entry *e = phys(si->memmap_paddr);
            for (uint32_t i = 0; i < si->memmap_entries; i++)
                memmap_entry(e[i].addr, e[i].size, e[i].type);
        } else {
            kprintf("error: no memory map in hvm_start_info\n");
        }
    } else if (mb->flags & MBI_MMAP) {
        for (uint64_t p = mb->mmap_addr; p < (uint64_t)mb->mmap_addr + mb->mmap_length;) {
            const struct mb_mmap *e = phys(p);
            memmap_entry(e->addr, e->len, e->type);
            p += e->size + 4;
        }
    } else if (mb->flags & MBI_MEM) {
        memmap_entry(0, (uint64_t)mb->mem_lower << 10, 1);
        memmap_entry(1 << 20, (uint64_t)mb->mem_upper << 10, 1);
    } else {
        kprintf("error: no memory map in multiboot info\n");
    }
    kprintf("ram: total=%llu above4g=%llu\n", (unsigned long long)ram_total,
            (unsigned long long)ram_above4g);

    if (opt.fault)
        trigger_fault(opt.fault, opt.fault_len);
    if (opt.reset) {
        trigger_reset(opt.reset, opt.reset_len);
        hang();
    }

    int failed = 0, verify_failed = 0, smp_failed = 0, net_failed = 0;
    if (opt.smp && smp_test((unsigned)opt.smp, &acpi) < 0)
        smp_failed = 1;
    if (opt.pci || opt.blk.op || net_wanted()) {
        pci_init(&acpi);
        pci_scan();
        opt.blk.acpi = &acpi;
        int r = opt.blk.op ? blk_run(&opt.blk) : 0;
        failed = r < 0;
        verify_failed = r > 0;
        r = net_wanted() && !failed ? net_run(&opt.blk) : 0;
        failed |= r < 0;
        net_failed = r > 0;
    }

    uint64_t tsc = timed_loop(opt.loops);
    uint64_t cpi100 = opt.loops ? (tsc * 100 + opt.loops / 2) / opt.loops : 0;
    kprintf("loop: iterations=%llu tsc=%llu cycles_per_iter=%llu.%02llu\n",
            (unsigned long long)opt.loops, (unsigned long long)tsc,
            (unsigned long long)(cpi100 / 100), (unsigned long long)(cpi100 % 100));

    uint64_t status = opt.exit;
    if (failed) {
        kprintf("error: a virtio operation failed: exit status 3\n");
        status = 3;
    } else if (smp_failed) {
        kprintf("error: smp=%llu: the APs did not all start: exit status 3\n", (unsigned long long)opt.smp);
        status = 3;
    } else if (verify_failed) {
        kprintf("error: blk=verify found mismatches or I/O errors: exit status 1\n");
        status = 1;
    } else if (net_failed) {
        kprintf("error: net: requests lost or corrupt: exit status 1\n");
        status = 1;
    }
    if (status > 255) {
        kprintf("warning: exit status %llu is above 255, using %llu\n",
                (unsigned long long)status, (unsigned long long)(status & 255));
        status &= 255;
    }
    if (status && !(status & 1)) {
        kprintf("warning: exit status %llu is even; isa-debug-exit can only give odd statuses, using %llu\n",
                (unsigned long long)status, (unsigned long long)status + 1);
        status++;
    }
    kprintf("result: {\"boot\":\"%s\",\"cpus\":%u,\"ram_bytes\":%llu,\"ram_above_4g_bytes\":%llu,"
            "\"loop_iterations\":%llu,\"loop_tsc\":%llu",
            name, acpi.cpus, (unsigned long long)ram_total, (unsigned long long)ram_above4g,
            (unsigned long long)opt.loops, (unsigned long long)tsc);
    blk_result_json();                  /* same line: kprintf adds no newline of its own */
    net_result_json();
    kprintf(",\"exit\":%llu}\n", (unsigned long long)status);
    kprintf("exit: %llu\n", (unsigned long long)status);
    do_exit((unsigned)status, &acpi);
}

/* Entered from boot.S's exception stubs (via an iretq to CPL3 on its own stack). */
void __attribute__((noreturn)) fault_report(uint64_t vector, uint64_t rip, uint64_t err, uint64_t cr2)
{
    static int nested;
    if (nested++) {                     /* faulted while reporting: just leave */
        outb(0xf4, 0x7f);
        hang();
    }
    uart_init();
    kprintf("fault: vector=%llu rip=0x%llx err=0x%llx\n", (unsigned long long)vector,
            (unsigned long long)rip, (unsigned long long)err);
    if (vector == 14)
        kprintf("fault: cr2=0x%llx\n", (unsigned long long)cr2);
    outb(0xf4, 0x7f);                   /* status 255 */
    hang();
}
