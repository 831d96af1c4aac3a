/* blk.h -- the virtio-blk driver and its commands (blk.c). */
#ifndef VIREO_BLK_H
#define VIREO_BLK_H

#include "guest.h"

struct blk_opts {
    const char *op;             /* blk=sha256|read|id|write|list|bench|verify|durable[:DEV] */
    size_t op_len;
    int dev;                    /* index among virtio-blk functions; -1 = last */
    int legacy, irq, indirect, event_idx;
    uint64_t qd, qsize, chunk, seg;
    uint64_t sector, pattern, count;
    uint64_t tsc_khz;           /* 0: calibrate against the PIT */
    /* Workloads (bench, verify, durable; work.c). 0 = the op's default. */
    const char *rw;             /* randread|randwrite|read|write */
    size_t rw_len;
    uint64_t bs, queues, ios, secs, span, seed, warmup;
    int seed_set;
    const struct acpi_info *acpi;       /* CPUs and their APIC ids, for queues > 1 */
};

/* What work.c needs of the device blk.c has set up. */
struct vdev;
struct vq;
struct blk_dev {
    struct vdev *dev;
    struct vq **q;              /* nq queues, driver-ok, queue i driven by CPU i */
    unsigned nq;
    uint64_t capacity;          /* sectors */
    uint32_t seg_len, seg_max;
    int flush;                  /* VIRTIO_BLK_F_FLUSH negotiated */
    uint64_t tsc_khz;
};

/* Runs a workload; 0 ok, 1 ran but verify found mismatches/errors, -1 could not run. */
int work_run(const struct blk_opts *o, const struct blk_dev *b);
void work_fail(const struct blk_opts *o, const char *why);      /* result: {"op":..,"error":..} */
int work_op(const char *op, size_t n);          /* bench|verify|durable? */

int blk_run(const struct blk_opts *o);          /* 0 ok, -1 a virtio operation failed */
void blk_result_json(void);                     /* ,"blk_...":... fields for the result line */
uint64_t tsc_khz_calibrate(void);               /* PIT channel 2; 0 if there is no PIT */

#endif
