/* virtio.h -- virtio over PCI (modern and legacy) and split virtqueues (virtio.c). */
#ifndef VIREO_VIRTIO_H
#define VIREO_VIRTIO_H

#include "pci.h"

#define VIRTIO_VENDOR           0x1af4

/* Device status (virtio 1.2 §2.1). */
#define VIRTIO_S_ACKNOWLEDGE    1
#define VIRTIO_S_DRIVER         2
#define VIRTIO_S_DRIVER_OK      4
#define VIRTIO_S_FEATURES_OK    8
#define VIRTIO_S_NEEDS_RESET    0x40
#define VIRTIO_S_FAILED         0x80

/* Transport feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC  28
#define VIRTIO_F_EVENT_IDX      29
#define VIRTIO_F_VERSION_1      32

/* Split virtqueue (§2.7). */
#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY  1

#define VQ_MAX_LEGACY           1024    /* legacy size is the device's: our ring memory holds this */
#define VQ_MEM_BYTES            (40 * 1024)

/* MSI-X vectors (IDT) used in interrupt mode. */
#define IRQ_VEC_VQ              0x41    /* queue 0 */
#define IRQ_VEC_CFG             0x42
#define IRQ_VEC_VQN             0x50    /* queue q >= 1: IRQ_VEC_VQN + q */
#define VQ_MAX_QUEUES           16      /* boot.S MAXQ */
#define VIRTIO_NO_VECTOR        0xffff

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct vring_used_elem {
    uint32_t id, len;
};

struct vbuf {
    uint64_t addr;
    uint32_t len;
    int write;                  /* device-writable */
};

struct vq {
    uint16_t num, index;
    struct vring_desc *desc;
    volatile uint16_t *avail;   /* flags, idx, ring[num], used_event */
    volatile uint16_t *used;    /* flags, idx, then elems at byte 4; avail_event after them */
    uint16_t avail_idx, pub_idx, last_used, free_head, nfree;
    uint8_t event_idx, indirect, irq;
    uint32_t notify_off;        /* modern: byte offset in the notify region */
    uint64_t kicks, kicks_saved;        /* notifications sent / suppressed by the device */
};

struct vdev {
    const struct pci_func *pci;
    int legacy;
    struct region common, notify, isr, devcfg, lio;     /* lio: legacy I/O BAR0 */
    uint32_t notify_mult;
    uint64_t dev_features, features;
    unsigned msix_cap;
    uint16_t msix_size;
    int msix_on;
    struct region msix_table;
    unsigned legacy_cfg;        /* legacy device config offset: 20, or 24 with MSI-X on */
};

extern volatile uint64_t irq_vq_count[VQ_MAX_QUEUES], irq_cfg_count;     /* interrupts per queue */

int vdev_open(struct vdev *d, const struct pci_func *f, int legacy);
int vdev_begin(struct vdev *d);                 /* reset, ACKNOWLEDGE, DRIVER, read features */
int vdev_negotiate(struct vdev *d, uint64_t accept);   /* FEATURES_OK (modern) */
/* MSI-X on: entry 0 = config (this CPU), entry 1 + q = queue q, sent to
 * xAPIC id apic[q] (apic = 0: this CPU); nq queues. */
int vdev_msix(struct vdev *d, unsigned nq, const uint32_t *apic);
int vdev_queue(struct vdev *d, struct vq *q, uint16_t index, uint16_t maxnum, void *mem, int irq);
int vdev_driver_ok(struct vdev *d);
void vdev_reset(struct vdev *d);
void vdev_failed(struct vdev *d);
uint8_t vdev_status(struct vdev *d);
uint32_t vdev_cfg32(struct vdev *d, unsigned off);
uint64_t vdev_cfg64(struct vdev *d, unsigned off);
uint8_t vdev_cfg8(struct vdev *d, unsigned off);
uint16_t vdev_cfg16(struct vdev *d, unsigned off);

/* Adds a chain (in an indirect table when `itab` is given and the feature
 * was negotiated); returns the head, -1 if the ring is full. Not visible to
 * the device until vq_publish(). */
int vq_add(struct vq *q, const struct vbuf *b, int n, struct vring_desc *itab);
void vq_publish(struct vdev *d, struct vq *q);  /* avail idx store, then notify unless suppressed */
void vq_notify(struct vdev *d, struct vq *q);   /* notify the device, whatever it asked */
int vq_get(struct vq *q, uint32_t *len);        /* a used head, or -1 if none */
void vq_arm(struct vq *q);                      /* interrupt mode: ask for the next used buffer */

void irq_setup(void);                           /* IDT gates, PIC masked, LAPIC on, IF=1 */
void irq_cpu_on(void);                          /* this CPU: LAPIC on, IF=1 (APs; irq_setup does it for the BSP) */

#endif
