/*
 * acpi.c -- just enough ACPI for the test guest: CPU count from the MADT
 * (CPUID at CPL3 on PVM returns the host's, so topology must come from
 * here), PM1a_CNT + \_S5_ SLP_TYPa for an ACPI poweroff (exit=0), and the
 * MCFG's ECAM base for PCI configuration space.
 */
#include "guest.h"

struct sdt {
    char sig[4];
    uint32_t len;
    uint8_t rev, csum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

/* Unaligned little-endian reads; __builtin_memcpy inlines to one load (plain memcpy is not a builtin under -ffreestanding). */
static uint32_t rd32(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }

static int sum_ok(const void *p, size_t n)
{
    uint8_t s = 0;
    for (const uint8_t *b = p; n; n--)
        s += *b++;
    return s == 0;
}

/* A bad checksum is reported but the table is still used: the point of the
 * guest is to show what the VMM built, not to refuse it. */
static const struct sdt *table(uint64_t pa, const char *want)
{
    if (!pa)
        return 0;
    const struct sdt *t = phys(pa);
    if (want && memcmp(t->sig, want, 4)) {
        kprintf("error: acpi: table at 0x%llx is not %s\n", (unsigned long long)pa, want);
        return 0;
    }
    if (t->len < sizeof *t || t->len > (16u << 20)) {
        kprintf("error: acpi: %c%c%c%c at 0x%llx has bad length %u\n",
                t->sig[0], t->sig[1], t->sig[2], t->sig[3], (unsigned long long)pa, t->len);
        return 0;
    }
    if (!sum_ok(t, t->len))
        kprintf("error: acpi: bad checksum in %c%c%c%c at 0x%llx\n",
                t->sig[0], t->sig[1], t->sig[2], t->sig[3], (unsigned long long)pa);
    return t;
}

static uint64_t scan_rsdp(uint64_t start, uint64_t len)
{
    for (uint64_t a = start; a + 20 <= start + len; a += 16)
        if (!memcmp(phys(a), "RSD PTR ", 8))
            return a;
    return 0;
}

static int s5_value(const uint8_t *p, const uint8_t *end)
{
    if (p >= end)
        return -1;
    switch (*p) {
    case 0x00: return 0;                        /* ZeroOp */
    case 0x01: return 1;                        /* OneOp */
    case 0xff: return 7;                        /* OnesOp (SLP_TYP is 3 bits) */
    case 0x0a:                                  /* BytePrefix */
    case 0x0b:                                  /* WordPrefix */
    case 0x0c:                                  /* DWordPrefix */
        return p + 1 < end ? p[1] : -1;
    default: return -1;
    }
}

/* Name(_S5_, Package(n){ SLP_TYPa, ... }): 08 [5C] "_S5_" 12 PkgLength n elem */
static int find_s5(const struct sdt *dsdt)
{
    const uint8_t *b = (const uint8_t *)dsdt, *end = b + dsdt->len;
    for (const uint8_t *p = b + sizeof *dsdt + 1; p + 5 < end; p++) {
        if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
            continue;
        if (p[-1] != 0x08 && !(p[-1] == 0x5c && p[-2] == 0x08))
            continue;
        const uint8_t *q = p + 5;
        q += 1 + (*q >> 6);                     /* PkgLength: bits 7:6 = extra bytes */
        q += 1;                                 /* NumElements */
        return s5_value(q, end);
    }
    return -1;
}

static void madt(const struct sdt *t, struct acpi_info *out)
{
    const uint8_t *b = (const uint8_t *)t, *p = b + 44, *end = b + t->len;
    out->found = 1;
    for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
        uint32_t id;
        if (p[0] == 0 && p[1] >= 8 && (rd32(p + 4) & 1))       /* Processor Local APIC: id at 3 */
            id = p[3];
        else if (p[0] == 9 && p[1] >= 16 && (rd32(p + 8) & 1))  /* Processor Local x2APIC: id at 4 */
            id = rd32(p + 4);
        else
            continue;
        if (out->cpus < ACPI_MAX_CPUS)
            out->apic_ids[out->cpus] = id;
        out->cpus++;
    }
}

static void fadt(const struct sdt *t, struct acpi_info *out)
{
    const uint8_t *b = (const uint8_t *)t;
    out->dsdt = rd32(b + 40);
    if (t->len >= 148 && rd64(b + 140))
        out->dsdt = rd64(b + 140);                              /* X_DSDT */
    out->pm1a_cnt = rd32(b + 64);
    if (!out->pm1a_cnt && t->len >= 184 && b[172] == 1)         /* X_PM1a_CNT_BLK in I/O space */
        out->pm1a_cnt = (uint32_t)rd64(b + 176);
}

/* MCFG: header, 8 reserved bytes, then 16-byte entries
 * {u64 base, u16 segment, u8 start bus, u8 end bus, u32 reserved}: every
 * entry goes to segs[], the first of segment 0 also to mcfg_base. */
static void mcfg(const struct sdt *t, struct acpi_info *out)
{
    const uint8_t *b = (const uint8_t *)t;
    for (uint32_t o = 44; o + 16 <= t->len; o += 16) {
        if (out->nsegs < ACPI_MAX_SEGS) {
            struct acpi_ecam *e = &out->segs[out->nsegs++];
            e->base = rd64(b + o);
            e->seg = (uint16_t)(b[o + 8] | b[o + 9] << 8);
            e->bus_start = b[o + 10];
            e->bus_end = b[o + 11];
        } else {
            kprintf("warning: acpi: more than %d MCFG entries, the rest ignored\n", ACPI_MAX_SEGS);
        }
        if ((b[o + 8] | b[o + 9]) || out->mcfg_base)
            continue;
        out->mcfg_base = rd64(b + o);
        out->mcfg_bus_start = b[o + 10];
        out->mcfg_bus_end = b[o + 11];
    }
}

void acpi_scan(uint64_t rsdp_hint, struct acpi_info *out)
{
    memset(out, 0, sizeof *out);
    out->slp_typa = -1;

    uint64_t rsdp = rsdp_hint;
    if (!rsdp) {
        uint64_t ebda = (uint64_t)*(volatile uint16_t *)phys(0x40e) << 4;
        if (ebda >= 0x80000 && ebda < 0xa0000)
            rsdp = scan_rsdp(ebda, 1024);
        if (!rsdp)
            rsdp = scan_rsdp(0xe0000, 0x20000);
    }
    if (!rsdp || memcmp(phys(rsdp), "RSD PTR ", 8)) {
        kprintf("error: acpi: no RSDP found\n");
        return;
    }
    const uint8_t *r = phys(rsdp);
    if (!sum_ok(r, 20))
        kprintf("error: acpi: bad checksum in RSDP at 0x%llx\n", (unsigned long long)rsdp);
    int xsdt = r[15] >= 2 && rd64(r + 24);
    if (xsdt && !sum_ok(r, rd32(r + 20)))
        kprintf("error: acpi: bad extended checksum in RSDP at 0x%llx\n", (unsigned long long)rsdp);

    const struct sdt *root = xsdt ? table(rd64(r + 24), "XSDT") : table(rd32(r + 16), "RSDT");
    if (!root)
        return;
    unsigned esz = xsdt ? 8 : 4;
    const uint8_t *e = (const uint8_t *)root + sizeof *root, *end = (const uint8_t *)root + root->len;
    for (; e + esz <= end; e += esz) {
        uint64_t pa = xsdt ? rd64(e) : rd32(e);
        const struct sdt *t = phys(pa);
        if (!pa)
            continue;
        if (!memcmp(t->sig, "APIC", 4) && (t = table(pa, 0)))
            madt(t, out);
        else if (!memcmp(t->sig, "FACP", 4) && (t = table(pa, 0)))
            fadt(t, out);
        else if (!memcmp(t->sig, "MCFG", 4) && (t = table(pa, 0)))
            mcfg(t, out);
    }
    const struct sdt *d = table(out->dsdt, "DSDT");
    if (d)
        out->slp_typa = find_s5(d);
    if (!out->found)
        kprintf("error: acpi: no MADT\n");
}
