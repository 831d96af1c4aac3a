/* net.h -- the virtio-net driver and its commands (net.c). */
#ifndef VIREO_NET_H
#define VIREO_NET_H

#include "blk.h"

/* net=, ip=, peer=, len=: 1 if k is one of them (parsed), 0 otherwise. */
int net_key(const char *k, size_t kn, const char *v, size_t vn);
int net_wanted(void);                           /* net= was given */
/* Runs the net= command with the shared workload keys of o (qd, ios, secs, warmup, count, irq, event_idx,
 * qsize, seed, tsc_khz): 0 ok, 1 ran but packets were lost or corrupt, -1 could not run. */
int net_run(const struct blk_opts *o);
void net_result_json(void);                     /* ,"net_...":... fields for the final result line */

#endif
