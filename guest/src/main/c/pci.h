/* pci.h -- PCI configuration space and the bus scan (pci.c). */
#ifndef VIREO_PCI_H
#define VIREO_PCI_H

#include "guest.h"

#define PCI_MAX_FUNCS 1024    /* bus 0 holds 32 x 8; more segments hold more */

enum { BAR_NONE, BAR_IO, BAR_MEM32, BAR_MEM64 };

struct pci_bar {
    uint64_t base, size;
    uint8_t kind;               /* BAR_*; the upper half of a 64-bit BAR is BAR_NONE */
    uint8_t prefetch;
};

struct pci_func {
    uint32_t bdf;               /* segment << 16 | bus << 8 | dev << 3 | fn */
    uint16_t vendor, device, subsys_vendor, subsys;
    uint32_t class;             /* class << 16 | subclass << 8 | prog-if */
    uint8_t rev, hdr;           /* header type without the multi-function bit */
    struct pci_bar bar[6];
};

extern struct pci_func pci_funcs[PCI_MAX_FUNCS];
extern int pci_nfuncs;

void pci_init(const struct acpi_info *acpi);    /* picks ECAM (MCFG) or mechanism #1 */
void pci_scan(void);                            /* fills pci_funcs, prints a line per function */
const char *pci_name(uint32_t bdf);             /* "[ssss:]bb:dd.f", static buffer per call slot */

uint8_t  pci_r8(uint32_t bdf, unsigned reg);
uint16_t pci_r16(uint32_t bdf, unsigned reg);
uint32_t pci_r32(uint32_t bdf, unsigned reg);
void pci_w8(uint32_t bdf, unsigned reg, uint8_t v);
void pci_w16(uint32_t bdf, unsigned reg, uint16_t v);
void pci_w32(uint32_t bdf, unsigned reg, uint32_t v);

/* Capability list walk: offset of the next capability with the given ID
 * after `from` (0 = from the start), 0 if none. */
unsigned pci_find_cap(uint32_t bdf, uint8_t id, unsigned from);

/* Sets I/O + memory decode (for the BAR kinds present) and bus mastering. */
void pci_enable(const struct pci_func *f);

/* An I/O port or MMIO window inside a BAR, accessed at its natural width. */
struct region {
    uint64_t addr;
    uint32_t len;
    uint8_t io;
};
uint8_t  reg_r8(const struct region *r, unsigned off);
uint16_t reg_r16(const struct region *r, unsigned off);
uint32_t reg_r32(const struct region *r, unsigned off);
void reg_w8(const struct region *r, unsigned off, uint8_t v);
void reg_w16(const struct region *r, unsigned off, uint16_t v);
void reg_w32(const struct region *r, unsigned off, uint32_t v);

#endif
