/* blk.h -- the virtio-blk driver and its commands (blk.c). */
#ifndef VIREO_BLK_H
#define VIREO_BLK_H

#include "guest.h"

struct blk_opts {
    const char *op;             /* blk=sha256|read|id|write|list[:DEV] */
    size_t op_len;
    int dev;                    /* index among virtio-blk functions; -1 = last */
    int legacy, irq, indirect, event_idx;
    uint64_t qd, qsize, chunk, seg;
    uint64_t sector, pattern, count;
    uint64_t tsc_khz;           /* 0: calibrate against the PIT */
};

int blk_run(const struct blk_opts *o);          /* 0 ok, -1 a virtio operation failed */
void blk_result_json(void);                     /* ,"blk_...":... fields for the result line */
uint64_t tsc_khz_calibrate(void);               /* PIT channel 2; 0 if there is no PIT */

#endif
