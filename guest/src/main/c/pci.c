/*
 * pci.c -- PCI configuration space (ECAM from the ACPI MCFG, else
 * configuration mechanism #1 at 0xCF8/0xCFC), the bus scan with BAR sizing,
 * and width-exact register access to I/O or memory BARs.
 *
 * Every configuration access is a VM exit (two with mechanism #1), so the
 * scan reads only what it prints and sizes BARs once.
 */
#include "pci.h"

struct pci_func pci_funcs[PCI_MAX_FUNCS];
int pci_nfuncs;

static uint64_t ecam;                   /* segment 0's window; 0: use mechanism #1 */
static uint8_t ecam_bus0, ecam_bus1;

/* Segments above 0 (PCI segment groups, one MCFG entry each) have no
 * mechanism #1: only their ECAM window reaches them. */
#define PCI_MAX_SEGS 32
static struct { uint64_t base; uint16_t seg; uint8_t bus0, bus1; } segs[PCI_MAX_SEGS];
static unsigned nsegs;

/* Fallback allocator for BARs the firmware left at 0 (neither SeaBIOS nor
 * Vireo does that; a bare VMM might). Above the q35 ECAM, below the IOAPIC. */
static uint64_t next_mem = 0xe0000000;
static uint32_t next_io = 0xc000;

void pci_init(const struct acpi_info *a)
{
    if (a->mcfg_base && a->mcfg_base < (1ull << 32) && a->mcfg_bus_start == 0) {
        ecam = a->mcfg_base;
        ecam_bus0 = a->mcfg_bus_start;
        ecam_bus1 = a->mcfg_bus_end;
        kprintf("pci: config=ecam base=0x%llx buses=%u-%u\n", (unsigned long long)ecam, ecam_bus0, ecam_bus1);
    } else {
        if (a->mcfg_base)
            kprintf("warning: pci: MCFG base 0x%llx bus %u not usable, using 0xcf8\n",
                    (unsigned long long)a->mcfg_base, a->mcfg_bus_start);
        kprintf("pci: config=cf8\n");
    }
    nsegs = 0;
    for (uint32_t i = 0; i < a->nsegs && nsegs < PCI_MAX_SEGS; i++) {
        const struct acpi_ecam *e = &a->segs[i];
        if (!e->seg)
            continue;
        if (!e->base || e->base >= (1ull << 32) || e->bus_start) {
            kprintf("warning: pci: segment %u ECAM 0x%llx bus %u not usable, segment skipped\n", e->seg,
                    (unsigned long long)e->base, e->bus_start);
            continue;
        }
        segs[nsegs].base = e->base, segs[nsegs].seg = e->seg;
        segs[nsegs].bus0 = e->bus_start, segs[nsegs].bus1 = e->bus_end;
        nsegs++;
        kprintf("pci: segment %u ecam base=0x%llx buses=%u-%u\n", e->seg, (unsigned long long)e->base,
                e->bus_start, e->bus_end);
    }
}

/* "bb:dd.f" on segment 0, "ssss:bb:dd.f" elsewhere (as Linux prints them). */
const char *pci_name(uint32_t bdf)
{
    static char names[4][16];
    static unsigned slot;
    char *s = names[slot++ & 3], *p = s;
    static const char hx[] = "0123456789abcdef";
    unsigned seg = bdf >> 16, bus = (bdf >> 8) & 0xff, dev = (bdf >> 3) & 31, fn = bdf & 7;
    if (seg) {
        for (int sh = 12; sh >= 0; sh -= 4)
            *p++ = hx[(seg >> sh) & 15];
        *p++ = ':';
    }
    p[0] = hx[bus >> 4], p[1] = hx[bus & 15], p[2] = ':';
    p[3] = hx[dev >> 4], p[4] = hx[dev & 15], p[5] = '.';
    p[6] = hx[fn], p[7] = 0;
    return s;
}

/* The config space address of bdf's register, 0 when only mechanism #1 reaches it (or nothing does). */
static uint64_t ecam_of(uint32_t bdf, unsigned reg)
{
    unsigned seg = bdf >> 16, bus = (bdf >> 8) & 0xff;
    if (!seg)
        return ecam && bus >= ecam_bus0 && bus <= ecam_bus1
            ? ecam + ((uint64_t)(bus - ecam_bus0) << 20) + ((uint64_t)(bdf & 0xff) << 12) + reg : 0;
    for (unsigned i = 0; i < nsegs; i++)
        if (segs[i].seg == seg && bus >= segs[i].bus0 && bus <= segs[i].bus1)
            return segs[i].base + ((uint64_t)(bus - segs[i].bus0) << 20) + ((uint64_t)(bdf & 0xff) << 12) + reg;
    return 0;
}

static void cf8(uint32_t bdf, unsigned reg)
{
    outl(0xcf8, 0x80000000u | (bdf & 0xffff) << 8 | (reg & 0xfc));
}

/* Each accessor: ECAM when the segment's window covers the bus; else
 * mechanism #1 on segment 0; else (a segment without ECAM) all ones / dropped. */
#define PCI_READ(bits, in, port)                                    \
    uint##bits##_t pci_r##bits(uint32_t bdf, unsigned reg)          \
    {                                                               \
        uint64_t e = ecam_of(bdf, reg);                             \
        if (e)                                                      \
            return mmio_r##bits(e);                                 \
        if (bdf >> 16)                                              \
            return (uint##bits##_t)~0u;                             \
        cf8(bdf, reg);                                              \
        return in(port);                                            \
    }
#define PCI_WRITE(bits, out, port)                                  \
    void pci_w##bits(uint32_t bdf, unsigned reg, uint##bits##_t v)  \
    {                                                               \
        uint64_t e = ecam_of(bdf, reg);                             \
        if (e)                                                      \
            return mmio_w##bits(e, v);                              \
        if (bdf >> 16)                                              \
            return;                                                 \
        cf8(bdf, reg);                                              \
        out(port, v);                                               \
    }
PCI_READ(8, inb, 0xcfc + (reg & 3))
PCI_READ(16, inw, 0xcfc + (reg & 2))
PCI_READ(32, inl, 0xcfc)
PCI_WRITE(8, outb, 0xcfc + (reg & 3))
PCI_WRITE(16, outw, 0xcfc + (reg & 2))
PCI_WRITE(32, outl, 0xcfc)

unsigned pci_find_cap(uint32_t bdf, uint8_t id, unsigned from)
{
    if (!(pci_r16(bdf, 0x06) & 0x10))           /* status: capability list */
        return 0;
    unsigned p = from ? pci_r8(bdf, from + 1) : pci_r8(bdf, 0x34);
    for (int ttl = 48; ttl && (p &= 0xfc) >= 0x40; ttl--) {
        uint16_t w = pci_r16(bdf, p);           /* ID, next in one access */
        if ((w & 0xff) == id)
            return p;
        p = w >> 8;
    }
    return 0;
}

/* Sizes BAR i (decode is off) and assigns it if the firmware did not.
 * Returns the number of BAR registers used (2 for a 64-bit BAR). */
static int size_bar(struct pci_func *f, int i, int nbars)
{
    unsigned reg = 0x10 + 4 * i;
    uint32_t lo = pci_r32(f->bdf, reg);
    pci_w32(f->bdf, reg, 0xffffffff);
    uint32_t szlo = pci_r32(f->bdf, reg);
    pci_w32(f->bdf, reg, lo);
    struct pci_bar *b = &f->bar[i];
    if (!szlo)
        return 1;                               /* not implemented */
    if (lo & 1) {
        uint32_t mask = szlo & ~3u;
        if (!(mask & 0xffff0000))
            mask |= 0xffff0000;                 /* 16-bit I/O decoders read 0 above */
        b->kind = BAR_IO;
        b->base = lo & ~3u;
        b->size = (uint32_t)(~mask + 1);
        if (!b->base && b->size) {
            next_io = (next_io + b->size - 1) & ~(b->size - 1);
            b->base = next_io, next_io += b->size;
            pci_w32(f->bdf, reg, (uint32_t)b->base);
            kprintf("pci: %s bar%d assigned io 0x%llx\n", pci_name(f->bdf), i, (unsigned long long)b->base);
        }
        return 1;
    }
    int is64 = ((lo >> 1) & 3) == 2 && i + 1 < nbars;
    uint64_t base = lo & ~0xfull, mask = szlo & ~0xfull;
    if (is64) {
        uint32_t hi = pci_r32(f->bdf, reg + 4);
        pci_w32(f->bdf, reg + 4, 0xffffffff);
        uint32_t szhi = pci_r32(f->bdf, reg + 4);
        pci_w32(f->bdf, reg + 4, hi);
        base |= (uint64_t)hi << 32;
        mask |= (uint64_t)szhi << 32;
    } else {
        mask |= 0xffffffff00000000ull;
    }
    b->kind = is64 ? BAR_MEM64 : BAR_MEM32;
    b->prefetch = (lo >> 3) & 1;
    b->base = base;
    b->size = ~mask + 1;
    if (!b->base && b->size) {
        next_mem = (next_mem + b->size - 1) & ~(b->size - 1);
        b->base = next_mem, next_mem += b->size;
        pci_w32(f->bdf, reg, (uint32_t)b->base | (lo & 0xf));
        if (is64)
            pci_w32(f->bdf, reg + 4, (uint32_t)(b->base >> 32));
        kprintf("pci: %s bar%d assigned mem 0x%llx\n", pci_name(f->bdf), i, (unsigned long long)b->base);
    }
    return is64 ? 2 : 1;
}

void pci_enable(const struct pci_func *f)
{
    uint16_t cmd = pci_r16(f->bdf, 0x04), want = cmd | 0x4;   /* bus master */
    for (int i = 0; i < 6; i++)
        if (f->bar[i].kind == BAR_IO)
            want |= 0x1;
        else if (f->bar[i].kind != BAR_NONE)
            want |= 0x2;
    if (want != cmd)
        pci_w16(f->bdf, 0x04, want);
}

static void probe(uint32_t bdf, uint16_t vendor)
{
    if (pci_nfuncs == PCI_MAX_FUNCS) {
        kprintf("warning: pci: more than %d functions, %s ignored\n", PCI_MAX_FUNCS, pci_name(bdf));
        return;
    }
    struct pci_func *f = &pci_funcs[pci_nfuncs++];
    memset(f, 0, sizeof *f);
    f->bdf = bdf;
    f->vendor = vendor;
    f->device = pci_r16(bdf, 0x02);
    uint32_t cr = pci_r32(bdf, 0x08);
    f->rev = cr & 0xff;
    f->class = cr >> 8;
    f->hdr = pci_r8(bdf, 0x0e) & 0x7f;
    int nbars = f->hdr == 0 ? 6 : f->hdr == 1 ? 2 : 0;
    if (f->hdr == 0) {
        uint32_t s = pci_r32(bdf, 0x2c);
        f->subsys_vendor = s & 0xffff;
        f->subsys = s >> 16;
    }
    if (nbars) {
        /* Decode off while the BARs read back all-ones masks. */
        uint16_t cmd = pci_r16(bdf, 0x04);
        if (cmd & 3)
            pci_w16(bdf, 0x04, cmd & ~3);
        for (int i = 0; i < nbars;)
            i += size_bar(f, i, nbars);
        if (cmd & 3)
            pci_w16(bdf, 0x04, cmd);
    }
    char line[160];
    size_t n = 0;
    static const char *kinds[] = { "", "io", "mem32", "mem64" };
    for (int i = 0; i < nbars; i++) {
        const struct pci_bar *b = &f->bar[i];
        if (b->kind == BAR_NONE || n > sizeof line - 48)
            continue;
        /* " barN=kind:0x<base>+0x<size>[p]" built by hand: kprintf has no sprintf. */
        const char *k = kinds[b->kind];
        line[n++] = ' ', line[n++] = 'b', line[n++] = 'a', line[n++] = 'r', line[n++] = '0' + i, line[n++] = '=';
        while (*k)
            line[n++] = *k++;
        line[n++] = ':';
        for (int pass = 0; pass < 2; pass++) {
            uint64_t v = pass ? b->size : b->base;
            line[n++] = '0', line[n++] = 'x';
            int d = 60;
            while (d > 0 && !((v >> d) & 0xf))
                d -= 4;
            for (; d >= 0; d -= 4)
                line[n++] = "0123456789abcdef"[(v >> d) & 0xf];
            if (!pass)
                line[n++] = '+';
        }
        if (b->prefetch)
            line[n++] = 'p';
    }
    line[n] = 0;
    kprintf("pci: %s %04x:%04x class %06x rev %02x hdr %u%s\n", pci_name(bdf), f->vendor, f->device,
            f->class, f->rev, f->hdr, line);
}

static void scan_bus(unsigned seg, unsigned bus, int depth)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        uint32_t bdf0 = seg << 16 | bus << 8 | dev << 3;
        uint16_t v = pci_r16(bdf0, 0x00);
        if (v == 0xffff || v == 0)
            continue;
        unsigned nfn = (pci_r8(bdf0, 0x0e) & 0x80) ? 8 : 1;
        for (unsigned fn = 0; fn < nfn; fn++) {
            uint32_t bdf = bdf0 | fn;
            if (fn && ((v = pci_r16(bdf, 0x00)) == 0xffff || v == 0))
                continue;
            probe(bdf, v);
            /* PCI-to-PCI bridge: follow its secondary bus if the firmware numbered it. */
            if ((pci_r8(bdf, 0x0e) & 0x7f) == 1) {
                unsigned sec = pci_r8(bdf, 0x19);
                if (sec > bus && depth < 8)
                    scan_bus(seg, sec, depth + 1);
                else
                    kprintf("warning: pci: bridge %s secondary bus %u not followed\n", pci_name(bdf), sec);
            }
        }
    }
}

void pci_scan(void)
{
    pci_nfuncs = 0;
    scan_bus(0, 0, 0);
    for (unsigned i = 0; i < nsegs; i++)
        scan_bus(segs[i].seg, segs[i].bus0, 0);
    kprintf("pci: functions=%d segments=%u\n", pci_nfuncs, nsegs + 1);
}

uint8_t reg_r8(const struct region *r, unsigned off)
{
    return r->io ? inb((uint16_t)(r->addr + off)) : mmio_r8(r->addr + off);
}

uint16_t reg_r16(const struct region *r, unsigned off)
{
    return r->io ? inw((uint16_t)(r->addr + off)) : mmio_r16(r->addr + off);
}

uint32_t reg_r32(const struct region *r, unsigned off)
{
    return r->io ? inl((uint16_t)(r->addr + off)) : mmio_r32(r->addr + off);
}

void reg_w8(const struct region *r, unsigned off, uint8_t v)
{
    if (r->io)
        outb((uint16_t)(r->addr + off), v);
    else
        mmio_w8(r->addr + off, v);
}

void reg_w16(const struct region *r, unsigned off, uint16_t v)
{
    if (r->io)
        outw((uint16_t)(r->addr + off), v);
    else
        mmio_w16(r->addr + off, v);
}

void reg_w32(const struct region *r, unsigned off, uint32_t v)
{
    if (r->io)
        outl((uint16_t)(r->addr + off), v);
    else
        mmio_w32(r->addr + off, v);
}
