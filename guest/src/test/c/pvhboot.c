/*
 * pvhboot.c -- boots the test guest by PVH on /dev/kvm, the way Vireo will,
 * to check the CPL0 path (32-bit protected mode -> long mode -> CPL3) under
 * this machine's PVM emulator without QEMU (QEMU always takes multiboot).
 *
 *   pvhboot [-m MiB] [-c cpus] [-b] [-n] guest.elf ['cmdline']
 *     -b  break the MADT checksum (the guest must print an error line)
 *     -n  skip KVM_SET_CPUID2 (shows what happens without it)
 *
 * Provides: hvm_start_info with cmdline + memmap, ACPI (RSDP v2, XSDT, FADT
 * with PM1a_CNT 0x604, DSDT with \_S5_ = 5, MADT with LAPIC and x2APIC
 * entries), COM1, port 0x80, isa-debug-exit at 0xf4. Exits with the guest's
 * status; timing and KVM stats go to stderr.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PM1A_CNT   0x604
#define SLP_TYP_S5 5
#define START_INFO 0x6000
#define CMDLINE    0x6100
#define MEMMAP     0x6800
#define ACPI_BASE  0x8000       /* RSDP, XSDT, FADT, MADT, DSDT: one 4 KiB page */

static uint8_t *mem;
static uint64_t mem_size;

static void die(const char *what) { perror(what); exit(120); }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }
static void checksum(uint64_t a, uint32_t len, uint32_t at)
{
    uint8_t s = 0;
    mem[a + at] = 0;
    for (uint32_t i = 0; i < len; i++)
        s += mem[a + i];
    mem[a + at] = -s;
}
static void sdt(uint64_t a, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(mem + a, sig, 4);
    put32(a + 4, len);
    mem[a + 8] = rev;
    memcpy(mem + a + 10, "VIREO ", 6);
    memcpy(mem + a + 16, "PVHBOOT ", 8);
    checksum(a, len, 9);
}

static uint64_t load_elf(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        die(path);
    uint8_t *f = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f == MAP_FAILED)
        die("mmap elf");
    Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
    uint64_t entry = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(f + eh->e_phoff + i * eh->e_phentsize);
        if (ph->p_type == PT_LOAD) {
            if (ph->p_paddr + ph->p_memsz > mem_size) {
                fprintf(stderr, "segment beyond RAM\n");
                exit(120);
            }
            memcpy(mem + ph->p_paddr, f + ph->p_offset, ph->p_filesz);
            memset(mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
        } else if (ph->p_type == PT_NOTE) {
            for (uint64_t o = 0; o + 12 <= ph->p_filesz;) {
                Elf64_Nhdr *n = (Elf64_Nhdr *)(f + ph->p_offset + o);
                const char *name = (const char *)(n + 1);
                const uint8_t *desc = (const uint8_t *)name + ((n->n_namesz + 3) & ~3u);
                if (n->n_type == 18 && n->n_namesz == 4 && !memcmp(name, "Xen", 4)) {
                    uint32_t e = 0;             /* 4-byte desc (8 in Linux: low half) */
                    memcpy(&e, desc, 4);
                    entry = e;
                }
                o += sizeof *n + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
            }
        }
    }
    if (!entry) {
        fprintf(stderr, "no XEN_ELFNOTE_PHYS32_ENTRY\n");
        exit(120);
    }
    return entry;
}

static void build_acpi(int cpus, int break_madt)
{
    const uint64_t rsdp = ACPI_BASE, xsdt = ACPI_BASE + 0x40, fadt = ACPI_BASE + 0x100,
                   madt = ACPI_BASE + 0x300, dsdt = ACPI_BASE + 0x800;
    /* DSDT: just Name(_S5_, Package(4){5, 5, 0, 0}) */
    static const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, SLP_TYP_S5,
                                   0x0a, SLP_TYP_S5, 0x00, 0x00 };
    memcpy(mem + dsdt + 36, aml, sizeof aml);
    sdt(dsdt, "DSDT", 36 + sizeof aml, 2);
    /* MADT: 2 LAPIC, the rest x2APIC, plus one disabled LAPIC that must not count */
    uint32_t len = 44;
    put32(madt + 36, 0xfee00000);
    for (int i = 0; i < cpus; i++) {
        uint8_t *e = mem + madt + len;
        if (i < 2) {
            e[0] = 0, e[1] = 8, e[2] = i, e[3] = i, put32(madt + len + 4, 1), len += 8;
        } else {
            e[0] = 9, e[1] = 16, put32(madt + len + 4, i), put32(madt + len + 8, 1), put32(madt + len + 12, i), len += 16;
        }
    }
    mem[madt + len] = 0, mem[madt + len + 1] = 8, mem[madt + len + 3] = 0xfe, len += 8;   /* disabled */
    sdt(madt, "APIC", len, 5);
    if (break_madt)
        mem[madt + 9] ^= 0x55;
    /* FADT (rev 6, 276 bytes): DSDT, X_DSDT, PM1a_CNT_BLK */
    put32(fadt + 40, dsdt);
    put32(fadt + 64, PM1A_CNT);
    mem[fadt + 89] = 2;                 /* PM1_CNT_LEN */
    put64(fadt + 140, dsdt);
    sdt(fadt, "FACP", 276, 6);
    put64(xsdt + 36, fadt);
    put64(xsdt + 44, madt);
    sdt(xsdt, "XSDT", 52, 1);
    memcpy(mem + rsdp, "RSD PTR ", 8);
    memcpy(mem + rsdp + 9, "VIREO ", 6);
    mem[rsdp + 15] = 2;
    put32(rsdp + 20, 36);
    put64(rsdp + 24, xsdt);
    checksum(rsdp, 20, 8);
    checksum(rsdp, 36, 32);
}

static void build_start_info(const char *cmdline)
{
    struct { uint64_t a, s; uint32_t t, r; } mm[] = {
        { 0, ACPI_BASE, 1, 0 }, { ACPI_BASE, 0x1000, 3, 0 },
        { ACPI_BASE + 0x1000, 0x9f000 - ACPI_BASE - 0x1000, 1, 0 },
        { 0x9f000, 0x1000, 2, 0 }, { 0x100000, mem_size - 0x100000, 1, 0 },
    };
    memcpy(mem + MEMMAP, mm, sizeof mm);
    snprintf((char *)mem + CMDLINE, MEMMAP - CMDLINE, "%s", cmdline);
    put32(START_INFO + 0, 0x336ec578);
    put32(START_INFO + 4, 1);           /* version */
    put64(START_INFO + 24, CMDLINE);
    put64(START_INFO + 32, ACPI_BASE);
    put64(START_INFO + 40, MEMMAP);
    put32(START_INFO + 48, sizeof mm / sizeof mm[0]);
}

static void print_stats(int vcpu)
{
    int fd = ioctl(vcpu, KVM_GET_STATS_FD, 0);
    struct kvm_stats_header h;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != sizeof h)
        return;
    size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
    char *d = malloc(dsz * h.num_desc);
    if (pread(fd, d, dsz * h.num_desc, h.desc_offset) != (ssize_t)(dsz * h.num_desc))
        return;
    for (uint32_t i = 0; i < h.num_desc; i++) {
        struct kvm_stats_desc *s = (struct kvm_stats_desc *)(d + i * dsz);
        uint64_t v;
        if (!strcmp(s->name, "exits") || !strcmp(s->name, "insn_emulation") ||
            !strcmp(s->name, "insn_emulation_fail") || !strcmp(s->name, "pf_taken"))
            if (pread(fd, &v, 8, h.data_offset + s->offset) == 8)
                fprintf(stderr, "pvhboot: stat %s=%llu\n", s->name, (unsigned long long)v);
    }
    free(d);
    close(fd);
}

int main(int argc, char **argv)
{
    int opt, cpus = 2, break_madt = 0, no_cpuid = 0;
    mem_size = 256ull << 20;
    while ((opt = getopt(argc, argv, "m:c:bn")) != -1) {
        if (opt == 'm') mem_size = strtoull(optarg, 0, 0) << 20;
        else if (opt == 'c') cpus = atoi(optarg);
        else if (opt == 'b') break_madt = 1;
        else if (opt == 'n') no_cpuid = 1;
        else { fprintf(stderr, "usage: pvhboot [-m MiB] [-c cpus] [-b] [-n] guest.elf [cmdline]\n"); return 120; }
    }
    if (optind >= argc || mem_size > (3ull << 30)) {
        fprintf(stderr, "usage: pvhboot [-m MiB<=3072] [-c cpus] [-b] [-n] guest.elf [cmdline]\n");
        return 120;
    }
    mem = mmap(0, mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap ram");
    uint64_t entry = load_elf(argv[optind]);
    build_acpi(cpus, break_madt);
    build_start_info(optind + 1 < argc ? argv[optind + 1] : "");

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu;
    if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
        die("KVM_CREATE_VM");
    struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
                                             .userspace_addr = (uintptr_t)mem };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
        die("vm setup");
    if (!no_cpuid) {
        /* Needed: KVM refuses EFER.LME unless the guest CPUID has long mode. */
        struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cpuid = { .c.nent = 256 };
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) || ioctl(vcpu, KVM_SET_CPUID2, &cpuid))
            die("cpuid");
    }
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(0, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap run");

    /* PVH entry state: 32-bit protected mode, paging off, flat segments. */
    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_SREGS, &s))
        die("get sregs");
    struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 11, .present = 1,
                                .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
    struct kvm_segment data = code;
    data.selector = 0x18, data.type = 3;
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    s.cr0 = 0x11;                       /* PE | ET */
    s.cr4 = 0;
    s.efer = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &s))
        die("set sregs");
    struct kvm_regs regs = { .rip = entry, .rbx = START_INFO, .rflags = 0x2 };
    if (ioctl(vcpu, KVM_SET_REGS, &regs))
        die("set regs");

    double t0 = now(), t_post = 0;
    uint8_t lcr = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
            die("KVM_RUN");
        if (run->exit_reason == KVM_EXIT_IO) {
            uint8_t *d = (uint8_t *)run + run->io.data_offset;
            uint16_t p = run->io.port;
            if (run->io.direction == KVM_EXIT_IO_OUT) {
                uint32_t v = 0;
                memcpy(&v, d, run->io.size);
                if (p == 0x3f8 && !(lcr & 0x80))
                    for (uint32_t i = 0; i < run->io.count; i++)
                        putchar(d[i * run->io.size]);
                else if (p == 0x3fb)
                    lcr = v;
                else if (p == 0x80 && v == 0xc3 && !t_post) {
                    t_post = now();
                    fprintf(stderr, "pvhboot: at POST 0xc3 (CPL0 boot path done):\n");
                    print_stats(vcpu);
                }
                else if (p == 0xf4) {
                    fflush(stdout);
                    fprintf(stderr, "pvhboot: to POST 0xc3 %.3f ms, to exit %.3f ms\n",
                            (t_post - t0) * 1e3, (now() - t0) * 1e3);
                    print_stats(vcpu);
                    return (v << 1 | 1) & 0xff;
                } else if (p == PM1A_CNT && (v & (1 << 13))) {
                    fflush(stdout);
                    fprintf(stderr, "pvhboot: ACPI poweroff SLP_TYP=%u after %.3f ms\n", (v >> 10) & 7,
                            (now() - t0) * 1e3);
                    print_stats(vcpu);
                    return ((v >> 10) & 7) == SLP_TYP_S5 ? 0 : 121;
                }
            } else {
                uint8_t v = 0xff;
                if (p == 0x3fd) v = 0x60;               /* LSR: THR empty, idle */
                else if (p == 0x3fa) v = 0xc1;          /* IIR: FIFO on, no interrupt */
                memset(d, v, run->io.size * run->io.count);
            }
        } else if (run->exit_reason == KVM_EXIT_MMIO) {
            if (!run->mmio.is_write)
                memset(run->mmio.data, 0xff, run->mmio.len);
        } else {
            fflush(stdout);
            ioctl(vcpu, KVM_GET_REGS, &regs);
            fprintf(stderr, "pvhboot: exit_reason %u (internal suberror %u) at rip 0x%llx after %.3f ms\n",
                    run->exit_reason, run->exit_reason == KVM_EXIT_INTERNAL_ERROR ? run->internal.suberror : 0,
                    (unsigned long long)regs.rip, (now() - t0) * 1e3);
            print_stats(vcpu);
            return 122;
        }
    }
}
