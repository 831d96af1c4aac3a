/*
 * virtio.c -- virtio over PCI (virtio 1.2 §4.1: modern capabilities; §4.1.4.8
 * and virtio 0.9.5: the legacy I/O BAR) and the split virtqueue (§2.7).
 *
 * Modern common configuration (§4.1.4.3), offsets in the COMMON_CFG window:
 *
 *   0x00 le32 device_feature_select   0x16 le16 queue_select
 *   0x04 le32 device_feature (RO)     0x18 le16 queue_size
 *   0x08 le32 driver_feature_select   0x1a le16 queue_msix_vector
 *   0x0c le32 driver_feature          0x1c le16 queue_enable
 *   0x10 le16 config_msix_vector      0x1e le16 queue_notify_off (RO)
 *   0x12 le16 num_queues (RO)         0x20 le64 queue_desc
 *   0x14 u8   device_status           0x28 le64 queue_driver (avail)
 *   0x15 u8   config_generation (RO)  0x30 le64 queue_device (used)
 *
 * Legacy I/O BAR0: 0 host features (32), 4 guest features (32), 8 queue PFN
 * (32), 12 queue size (16, RO), 14 queue select (16), 16 queue notify (16),
 * 18 status (8), 19 ISR (8); with MSI-X on: 20 config vector, 22 queue
 * vector (16 each); device config at 20, or 24 with MSI-X on.
 *
 * 64-bit common fields are written as two 32-bit halves, low then high
 * (§4.1.3.1). Every register access is a VM exit: none on the I/O path but
 * the notify, and that only when the device has not suppressed it.
 */
#include "virtio.h"

enum {
    C_DFSEL = 0x00, C_DF = 0x04, C_GFSEL = 0x08, C_GF = 0x0c, C_CFGVEC = 0x10, C_NUMQ = 0x12,
    C_STATUS = 0x14, C_GEN = 0x15, C_QSEL = 0x16, C_QSIZE = 0x18, C_QVEC = 0x1a, C_QEN = 0x1c,
    C_QNOFF = 0x1e, C_QDESC = 0x20, C_QDRV = 0x28, C_QDEV = 0x30,
};
enum {
    L_HF = 0, L_GF = 4, L_PFN = 8, L_QSIZE = 12, L_QSEL = 14, L_QNOTIFY = 16, L_STATUS = 18,
    L_ISR = 19, L_CFGVEC = 20, L_QVEC = 22,
};
enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5 };

static const char *nm(const struct vdev *d) { return pci_name(d->pci->bdf); }

/* A capability's window: BAR + offset + length, checked against the BAR
 * (§4.1.4: the driver must ignore a capability with a reserved bar). */
static int map_cap(struct vdev *d, unsigned cap, struct region *r)
{
    const struct pci_func *f = d->pci;
    uint32_t bdf = f->bdf;
    uint8_t bar = pci_r8(bdf, cap + 4);
    uint32_t off = pci_r32(bdf, cap + 8), len = pci_r32(bdf, cap + 12);
    if (bar > 5 || f->bar[bar].kind == BAR_NONE)
        return 0;
    const struct pci_bar *b = &f->bar[bar];
    if ((uint64_t)off + len > b->size) {
        kprintf("error: virtio: %s capability at 0x%x: window 0x%x+0x%x outside bar%u (size 0x%llx)\n",
                nm(d), cap, off, len, bar, (unsigned long long)b->size);
        return -1;
    }
    if (b->kind != BAR_IO && b->base + off + len > (1ull << 32)) {
        kprintf("error: virtio: %s bar%u at 0x%llx is above 4 GiB, which the guest does not map\n",
                nm(d), bar, (unsigned long long)b->base);
        return -1;
    }
    r->addr = b->base + off;
    r->len = len;
    r->io = b->kind == BAR_IO;
    return 1;
}

int vdev_open(struct vdev *d, const struct pci_func *f, int legacy)
{
    memset(d, 0, sizeof *d);
    d->pci = f;
    d->legacy = legacy;
    d->msix_cap = pci_find_cap(f->bdf, 0x11, 0);
    if (d->msix_cap) {
        uint16_t ctl = pci_r16(f->bdf, d->msix_cap + 2);
        uint32_t t = pci_r32(f->bdf, d->msix_cap + 4);
        d->msix_size = (ctl & 0x7ff) + 1;
        const struct pci_bar *b = &f->bar[t & 7];
        if ((t & 7) > 5 || b->kind == BAR_NONE || b->kind == BAR_IO || (t & ~7u) + 16u * d->msix_size > b->size)
            d->msix_cap = 0;
        else
            d->msix_table = (struct region){ .addr = b->base + (t & ~7u), .len = 16u * d->msix_size };
    }
    if (legacy) {
        /* §4.1.4.8: transitional devices (0x1000-0x103f) have the legacy registers in BAR0 (I/O). */
        if (f->device < 0x1000 || f->device > 0x103f || f->bar[0].kind != BAR_IO || f->bar[0].size < 20) {
            kprintf("error: virtio: %s (%04x:%04x) has no legacy I/O BAR0\n", nm(d), f->vendor, f->device);
            return -1;
        }
        d->lio = (struct region){ .addr = f->bar[0].base, .len = (uint32_t)f->bar[0].size, .io = 1 };
        d->legacy_cfg = 20;
        pci_enable(f);
        return 0;
    }
    int have = 0;
    for (unsigned cap = pci_find_cap(f->bdf, 0x09, 0); cap; cap = pci_find_cap(f->bdf, 0x09, cap)) {
        uint8_t type = pci_r8(f->bdf, cap + 3), clen = pci_r8(f->bdf, cap + 2);
        struct region *r = type == CAP_COMMON ? &d->common : type == CAP_NOTIFY ? &d->notify
                         : type == CAP_ISR ? &d->isr : type == CAP_DEVICE ? &d->devcfg : 0;
        if (!r || (have & (1 << type)))         /* unknown, PCI_CFG, or not the first of its type */
            continue;
        if (clen < 16 || (type == CAP_NOTIFY && clen < 20))
            continue;
        int m = map_cap(d, cap, r);
        if (m < 0)
            return -1;
        if (!m)
            continue;
        if (type == CAP_NOTIFY)
            d->notify_mult = pci_r32(f->bdf, cap + 16);
        have |= 1 << type;
    }
    if ((have & 0x1e) != 0x1e) {
        kprintf("error: virtio: %s lacks modern capabilities (found common=%d notify=%d isr=%d device=%d)%s\n",
                nm(d), !!(have & 2), !!(have & 4), !!(have & 8), !!(have & 16),
                f->bar[0].kind == BAR_IO ? ": try virtio=legacy" : "");
        return -1;
    }
    if (d->common.len < 0x38) {
        kprintf("error: virtio: %s common config window is 0x%x bytes, need 0x38\n", nm(d), d->common.len);
        return -1;
    }
    pci_enable(f);
    return 0;
}

uint8_t vdev_status(struct vdev *d)
{
    return d->legacy ? reg_r8(&d->lio, L_STATUS) : reg_r8(&d->common, C_STATUS);
}

static void set_status(struct vdev *d, uint8_t s)
{
    if (d->legacy)
        reg_w8(&d->lio, L_STATUS, s);
    else
        reg_w8(&d->common, C_STATUS, s);
}

void vdev_reset(struct vdev *d)
{
    set_status(d, 0);
    /* §4.1.4.3.2: after writing 0 the driver waits for device_status to read 0. */
    for (int i = 0; i < 100000 && vdev_status(d); i++)
        cpu_pause();
}

void vdev_failed(struct vdev *d)
{
    set_status(d, vdev_status(d) | VIRTIO_S_FAILED);
}

int vdev_begin(struct vdev *d)
{
    vdev_reset(d);
    uint8_t s = vdev_status(d);
    if (s) {
        kprintf("error: virtio: %s status 0x%x after reset, expected 0\n", nm(d), s);
        return -1;
    }
    set_status(d, VIRTIO_S_ACKNOWLEDGE);
    set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
    if (d->legacy) {
        d->dev_features = reg_r32(&d->lio, L_HF);
    } else {
        reg_w32(&d->common, C_DFSEL, 0);
        uint32_t lo = reg_r32(&d->common, C_DF);
        reg_w32(&d->common, C_DFSEL, 1);
        uint32_t hi = reg_r32(&d->common, C_DF);
        d->dev_features = (uint64_t)hi << 32 | lo;
    }
    return 0;
}

int vdev_negotiate(struct vdev *d, uint64_t accept)
{
    uint64_t f = d->dev_features & accept;
    if (d->legacy) {
        f &= 0xffffffffull;
        reg_w32(&d->lio, L_GF, (uint32_t)f);
        d->features = f;
        return 0;
    }
    if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
        kprintf("error: virtio: %s does not offer VIRTIO_F_VERSION_1 (features 0x%llx)\n", nm(d),
                (unsigned long long)d->dev_features);
        vdev_failed(d);
        return -1;
    }
    reg_w32(&d->common, C_GFSEL, 0);
    reg_w32(&d->common, C_GF, (uint32_t)f);
    reg_w32(&d->common, C_GFSEL, 1);
    reg_w32(&d->common, C_GF, (uint32_t)(f >> 32));
    uint8_t want = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK;
    set_status(d, want);
    uint8_t s = vdev_status(d);                 /* §3.1.1 step 6: re-read FEATURES_OK */
    if (!(s & VIRTIO_S_FEATURES_OK)) {
        kprintf("error: virtio: %s refused features 0x%llx (status 0x%x)\n", nm(d), (unsigned long long)f, s);
        vdev_failed(d);
        return -1;
    }
    d->features = f;
    return 0;
}

/* Table entry 0 = config changes, 1 + q = queue q (all on entry 0 with a
 * one-entry table: single queue only); Fixed delivery, edge, physical
 * destination apic[q] (this CPU's xAPIC for config and without apic). */
int vdev_msix(struct vdev *d, unsigned nq, const uint32_t *apic)
{
    if (!d->msix_cap) {
        kprintf("error: virtio: %s has no usable MSI-X capability; irq=1 needs MSI-X\n", nm(d));
        return -1;
    }
    if (nq > 1 && d->msix_size < nq + 1) {
        kprintf("error: virtio: %s has %u MSI-X entries; irq=1 with %u queues needs %u\n", nm(d), d->msix_size,
                nq, nq + 1);
        return -1;
    }
    uint32_t bdf = d->pci->bdf;
    uint16_t ctl = pci_r16(bdf, d->msix_cap + 2);
    pci_w16(bdf, d->msix_cap + 2, ctl | 0xc000);        /* enable + function mask while programming */
    uint32_t apic_id = mmio_r32(0xfee00020) >> 24;
    for (unsigned e = 0; e < nq + 1 && e < d->msix_size; e++) {
        unsigned q = e - 1;             /* e = 0: config */
        uint8_t vec = e == 0 && d->msix_size > 1 ? IRQ_VEC_CFG : q == 0 || e == 0 ? IRQ_VEC_VQ : IRQ_VEC_VQN + q;
        uint32_t dest = e > 0 && apic ? apic[q] : apic_id;
        reg_w32(&d->msix_table, 16 * e + 0, 0xfee00000u | dest << 12);
        reg_w32(&d->msix_table, 16 * e + 4, 0);
        reg_w32(&d->msix_table, 16 * e + 8, vec);
        reg_w32(&d->msix_table, 16 * e + 12, 0);        /* unmasked */
    }
    pci_w16(bdf, d->msix_cap + 2, (ctl | 0x8000) & ~0x4000);
    pci_w16(bdf, 0x04, pci_r16(bdf, 0x04) | 0x400);    /* INTx off */
    d->msix_on = 1;
    if (d->legacy) {
        d->legacy_cfg = 24;
        reg_w16(&d->lio, L_CFGVEC, 0);
        if (reg_r16(&d->lio, L_CFGVEC) != 0)
            kprintf("warning: virtio: %s refused config MSI-X vector 0\n", nm(d));
    } else {
        reg_w16(&d->common, C_CFGVEC, 0);
        if (reg_r16(&d->common, C_CFGVEC) != 0)
            kprintf("warning: virtio: %s refused config MSI-X vector 0\n", nm(d));
    }
    return 0;
}

static void vq_init(struct vq *q, uint16_t num, uint16_t index, void *mem, int legacy, int irq, uint64_t feat)
{
    memset(q, 0, sizeof *q);
    q->num = num;
    q->index = index;
    q->irq = (uint8_t)irq;
    q->event_idx = (feat >> VIRTIO_F_EVENT_IDX) & 1;
    q->indirect = (feat >> VIRTIO_F_INDIRECT_DESC) & 1;
    uint64_t base = (uint64_t)(uintptr_t)mem;
    uint64_t avail = base + 16ull * num;
    uint64_t used = avail + 6 + 2ull * num;
    /* Legacy: used ring at the next 4096 boundary (virtio 0.9.5 vring layout).
     * Modern: each part at its own address; packed tight (used needs 4-byte
     * alignment, §2.7) so a device that assumes the legacy layout fails. */
    used = legacy ? (used + 4095) & ~4095ull : (used + 3) & ~3ull;
    uint64_t end = used + 6 + 8ull * num;
    memset(mem, 0, end - base);
    q->desc = (struct vring_desc *)mem;
    q->avail = phys(avail);
    q->used = phys(used);
    for (uint16_t i = 0; i < num; i++)
        q->desc[i].next = (uint16_t)(i + 1);
    q->nfree = num;
    /* §2.7.7: with EVENT_IDX, flags must be 0 and used_event does the job. */
    if (!irq && !q->event_idx)
        q->avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
    if (!irq && q->event_idx)
        q->avail[2 + num] = 0x8000;
}

int vdev_queue(struct vdev *d, struct vq *q, uint16_t index, uint16_t maxnum, void *mem, int irq)
{
    uint16_t vec = d->msix_size > 1u + index ? 1 + index : 0;  /* vdev_msix's entry for this queue */
    if (d->legacy) {
        reg_w16(&d->lio, L_QSEL, index);
        uint16_t num = reg_r16(&d->lio, L_QSIZE);
        if (!num || (num & (num - 1)) || num > VQ_MAX_LEGACY) {
            kprintf("error: virtio: %s legacy queue %u size %u (need a power of 2, 1..%u)\n", nm(d), index, num,
                    VQ_MAX_LEGACY);
            return -1;
        }
        if (reg_r32(&d->lio, L_PFN))
            kprintf("warning: virtio: %s legacy queue %u already has a PFN after reset\n", nm(d), index);
        vq_init(q, num, index, mem, 1, irq, d->features);
        if (irq) {
            reg_w16(&d->lio, L_QVEC, vec);
            if (reg_r16(&d->lio, L_QVEC) != vec) {
                kprintf("error: virtio: %s refused queue MSI-X vector %u\n", nm(d), vec);
                return -1;
            }
        }
        reg_w32(&d->lio, L_PFN, (uint32_t)((uintptr_t)mem >> 12));
        return 0;
    }
    uint16_t nq = reg_r16(&d->common, C_NUMQ);
    if (index >= nq) {
        kprintf("error: virtio: %s has %u queues, need queue %u\n", nm(d), nq, index);
        return -1;
    }
    reg_w16(&d->common, C_QSEL, index);
    uint16_t max = reg_r16(&d->common, C_QSIZE);
    if (!max) {
        kprintf("error: virtio: %s queue %u has size 0 (not available)\n", nm(d), index);
        return -1;
    }
    if (reg_r16(&d->common, C_QEN))
        kprintf("warning: virtio: %s queue %u is enabled after reset\n", nm(d), index);
    uint16_t num = 1;
    while ((uint32_t)num * 2 <= max && num * 2u <= maxnum)
        num *= 2;
    vq_init(q, num, index, mem, 0, irq, d->features);
    reg_w16(&d->common, C_QSIZE, num);
    uint64_t a[3] = { (uintptr_t)q->desc, (uintptr_t)q->avail, (uintptr_t)q->used };
    for (int i = 0; i < 3; i++) {
        reg_w32(&d->common, C_QDESC + 8 * i, (uint32_t)a[i]);
        reg_w32(&d->common, C_QDESC + 8 * i + 4, (uint32_t)(a[i] >> 32));
    }
    if (irq) {
        reg_w16(&d->common, C_QVEC, vec);
        if (reg_r16(&d->common, C_QVEC) != vec) {
            kprintf("error: virtio: %s refused queue MSI-X vector %u\n", nm(d), vec);
            return -1;
        }
    }
    uint32_t off = (uint32_t)reg_r16(&d->common, C_QNOFF) * d->notify_mult;
    if (off + 2 > d->notify.len) {
        kprintf("error: virtio: %s queue %u notify offset 0x%x outside the notify window (0x%x bytes)\n",
                nm(d), index, off, d->notify.len);
        return -1;
    }
    q->notify_off = off;
    reg_w16(&d->common, C_QEN, 1);
    return 0;
}

int vdev_driver_ok(struct vdev *d)
{
    uint8_t s = VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK;
    if (!d->legacy)
        s |= VIRTIO_S_FEATURES_OK;
    set_status(d, s);
    uint8_t r = vdev_status(d);
    if (r != s) {
        kprintf("error: virtio: %s status 0x%x after DRIVER_OK, expected 0x%x\n", nm(d), r, s);
        return -1;
    }
    return 0;
}

static uint64_t cfg_addr(struct vdev *d, unsigned off)
{
    return d->legacy ? d->legacy_cfg + off : off;
}

uint8_t vdev_cfg8(struct vdev *d, unsigned off)
{
    return reg_r8(d->legacy ? &d->lio : &d->devcfg, cfg_addr(d, off));
}

uint16_t vdev_cfg16(struct vdev *d, unsigned off)
{
    return reg_r16(d->legacy ? &d->lio : &d->devcfg, cfg_addr(d, off));
}

uint32_t vdev_cfg32(struct vdev *d, unsigned off)
{
    return reg_r32(d->legacy ? &d->lio : &d->devcfg, cfg_addr(d, off));
}

/* §4.1.4.3.1 / §2.5.1: a 64-bit field is two reads; config_generation tells a
 * torn read (legacy has none: re-read the high half instead). */
uint64_t vdev_cfg64(struct vdev *d, unsigned off)
{
    uint32_t lo, hi, again;
    if (d->legacy) {
        do {
            hi = vdev_cfg32(d, off + 4);
            lo = vdev_cfg32(d, off);
            again = vdev_cfg32(d, off + 4);
        } while (hi != again);
        return (uint64_t)hi << 32 | lo;
    }
    uint8_t g0, g1;
    do {
        g0 = reg_r8(&d->common, C_GEN);
        lo = vdev_cfg32(d, off);
        hi = vdev_cfg32(d, off + 4);
        g1 = reg_r8(&d->common, C_GEN);
    } while (g0 != g1);
    return (uint64_t)hi << 32 | lo;
}

int vq_add(struct vq *q, const struct vbuf *b, int n, struct vring_desc *itab)
{
    int ind = itab && q->indirect && n > 1;
    if (n < 1 || q->nfree < (ind ? 1 : n))
        return -1;
    uint16_t head = q->free_head, i = head;
    if (ind) {
        for (int k = 0; k < n; k++) {
            itab[k].addr = b[k].addr;
            itab[k].len = b[k].len;
            itab[k].flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
            itab[k].next = (uint16_t)(k + 1);
        }
        q->desc[head].addr = (uintptr_t)itab;
        q->desc[head].len = 16u * n;
        q->desc[head].flags = VRING_DESC_F_INDIRECT;
        q->free_head = q->desc[head].next;
        q->nfree--;
    } else {
        /* The free list is chained through .next already: keep those links. */
        for (int k = 0; k < n; k++) {
            q->desc[i].addr = b[k].addr;
            q->desc[i].len = b[k].len;
            q->desc[i].flags = (uint16_t)((b[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
            i = q->desc[i].next;
        }
        q->free_head = i;
        q->nfree = (uint16_t)(q->nfree - n);
    }
    q->avail[2 + (q->avail_idx & (q->num - 1))] = head;
    q->avail_idx++;
    return head;
}

void vq_notify(struct vdev *d, struct vq *q)
{
    q->kicks++;
    if (d->legacy)
        reg_w16(&d->lio, L_QNOTIFY, q->index);
    else
        reg_w16(&d->notify, q->notify_off, q->index);
}

void vq_publish(struct vdev *d, struct vq *q)
{
    uint16_t old = q->pub_idx, new = q->avail_idx;
    if (old == new)
        return;
    /* ORDERING: descriptors and ring entries before the idx store (x86 keeps
     * stores in order; the compiler must too). */
    barrier();
    q->avail[1] = new;
    q->pub_idx = new;
    /* ORDERING: §2.7.13 step 4: the idx store must be visible before we read
     * the device's suppression state, else both sides may wait (store->load). */
    mb();
    int need;
    if (q->event_idx) {
        uint16_t ev = q->used[2 + 4 * q->num];           /* avail_event */
        need = (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
    } else {
        need = !(q->used[0] & VRING_USED_F_NO_NOTIFY);
    }
    if (!need) {
        q->kicks_saved++;
        return;
    }
    vq_notify(d, q);
}

int vq_get(struct vq *q, uint32_t *len)
{
    if (q->used[1] == q->last_used)
        return -1;
    /* ORDERING: read the element after the idx (x86 keeps loads in order). */
    barrier();
    const volatile struct vring_used_elem *e =
        (const volatile struct vring_used_elem *)(q->used + 2) + (q->last_used & (q->num - 1));
    uint32_t id = e->id;
    if (len)
        *len = e->len;
    if (id >= q->num)
        return -2;
    uint16_t i = (uint16_t)id, n = 1;
    if (!(q->desc[i].flags & VRING_DESC_F_INDIRECT))
        for (; (q->desc[i].flags & VRING_DESC_F_NEXT) && n <= q->num; n++)
            i = q->desc[i].next;
    q->desc[i].next = q->free_head;
    q->free_head = (uint16_t)id;
    q->nfree = (uint16_t)(q->nfree + n);
    q->last_used++;
    if (!q->irq && q->event_idx)
        q->avail[2 + q->num] = (uint16_t)(q->last_used + 0x8000);      /* never reached */
    return (int)id;
}

void vq_arm(struct vq *q)
{
    if (q->event_idx)
        q->avail[2 + q->num] = q->last_used;    /* interrupt when this one is used */
    /* ORDERING: the used_event store before the caller re-reads used idx. */
    mb();
}
