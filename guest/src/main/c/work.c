/*
 * work.c -- blk=bench|verify|durable: I/O workloads over blk.c's queues.
 *
 * One queue per CPU: CPU i (the BSP for i = 0, APs from smp.c) drives queue
 * i with up to qd requests in flight, all at CPL3. Completion is polled on
 * the used ring (the device asked for no interrupts) or, with irq=1, waited
 * for through queue i's MSI-X vector on CPU i. Latency = TSC at publish ->
 * TSC when the completion is seen, in an HDR-like histogram (32 linear
 * sub-buckets per power of two: <= 1/32 bucket width, reported at the
 * midpoint, so <= 1.6% error); TSC -> ns with the calibrated tsc_khz.
 *
 * Data pattern (verify, durable; the host tests recompute it): 512-byte
 * sector s (absolute on the disk), little-endian 64-bit word i (0..63):
 *
 *     word(s, i) = splitmix64(seed + s * 64 + i)
 *     splitmix64(z): z += 0x9E3779B97F4A7C15;
 *                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *                    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
 *                    return z ^ (z >> 31);              (all uint64, wrapping)
 *
 * Workers on APs do not print: errors are recorded and the BSP reports them.
 */
#include "blk.h"
#include "hist.h"
#include "smp.h"
#include "virtio.h"

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2, S_NONE = 0xff };
enum { W_BENCH, W_VERIFY, W_DURABLE };
enum { O_RAND, O_SEQ, O_PERM };         /* block order */

#define MAX_BS      131072
#define MAX_QD      256
#define MAX_SEGS    (MAX_BS / 512)
#define NIOERR      16

/* POST-code marks around the timed I/O phase (the VMM snapshots its KVM counters there). */
#define MARK_START  0xB0
#define MARK_END    0xB1
/* Written over a completed request's status byte: a device that writes it again before the request is
 * resubmitted (a late or repeated completion) is caught at the resubmission ("late status write"). */
#define STATUS_DONE 0x5A

struct blk_hdr {
    uint32_t type, reserved;
    uint64_t sector;
};

struct wreq {
    struct blk_hdr hdr;
    uint8_t status;
    uint8_t busy;
    uint8_t done;                       /* completed before: its status holds STATUS_DONE until resubmitted */
    uint64_t t0;                        /* TSC when published */
    uint64_t *buf;
    struct vring_desc *itab;
};

struct wq {
    /* set up by the BSP */
    struct vdev *dev;
    struct vq *vq;
    unsigned qi, nq;
    struct wreq *req;
    int16_t *head_req;                  /* ring head -> request */
    uint16_t *free;                     /* stack of free request indices */
    unsigned nfree, qd, inflight;
    uint32_t type, bs, spb, segs, seg_len;      /* spb: sectors per block */
    int order, fill, check, irq, use_itab;
    uint64_t seed, base_blk, nblk, total_blk;   /* O_SEQ: [base, base + nblk); O_RAND/O_PERM: total_blk */
    uint64_t rng, cursor;
    uint64_t perm_x, perm_m, perm_a, perm_c, perm_steps, perm_valid;
    uint64_t max_ios, deadline, timeout;
    int wrap;
    /* results */
    uint64_t ios, errors, mismatches, first_mismatch, lat_sum, lat_max, t_end, irqs0;
    uint64_t first_lat;                 /* the queue's first request ever (warm-up included): publish -> seen */
    uint64_t ioerr[NIOERR];
    unsigned nioerr;
    int fail;                           /* 1 timeout, 2 bad used id, 3 ring full, 4 late status write */
    uint64_t fail_info;
    uint32_t hist[HBUCKETS];
};

static struct wq *wqs[VQ_MAX_QUEUES];
static volatile int go;
static uint64_t t_start;

static inline uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int work_op(const char *op, size_t n)
{
    return (n == 5 && !memcmp(op, "bench", 5)) || (n == 6 && !memcmp(op, "verify", 6)) ||
           (n == 7 && !memcmp(op, "durable", 7));
}

static const char *op_name(const struct blk_opts *o)
{
    return o->op_len == 5 ? "bench" : o->op_len == 6 ? "verify" : "durable";
}

void work_fail(const struct blk_opts *o, const char *why)
{
    kprintf("result: {\"op\":\"%s\",\"error\":\"%s\"}\n", op_name(o), why);
}

/* ---- block order ---- */

/* Full-period LCG over [0, m), m a power of two (Hull-Dobell: c odd, a = 1 mod 4);
 * values >= total are skipped; the k-th valid value goes to queue k mod nq. */
static void perm_init(struct wq *w, uint64_t salt)
{
    uint64_t m = 1;
    while (m < w->total_blk)
        m <<= 1;
    w->perm_m = m;
    w->perm_a = ((splitmix64(w->seed ^ salt) & (m - 1)) & ~3ull) | 1;
    w->perm_c = (splitmix64(w->seed ^ salt ^ 1) & (m - 1)) | 1;
    w->perm_x = splitmix64(w->seed ^ salt ^ 2) & (m - 1);
    w->perm_steps = 0;
    w->perm_valid = 0;
}

/* The next block number, or -1 when this queue's share is done. */
static int64_t next_block(struct wq *w)
{
    switch (w->order) {
    case O_RAND:
        w->rng += 0x9E3779B97F4A7C15ull;
        return (int64_t)(((unsigned __int128)splitmix64(w->rng) * w->total_blk) >> 64);
    case O_SEQ:
        if (w->cursor == w->nblk) {
            if (!w->wrap || !w->nblk)
                return -1;
            w->cursor = 0;
        }
        return (int64_t)(w->base_blk + w->cursor++);
    default:
        while (w->perm_steps < w->perm_m) {
            uint64_t x = w->perm_x;
            w->perm_x = (w->perm_a * x + w->perm_c) & (w->perm_m - 1);
            w->perm_steps++;
            if (x >= w->total_blk)
                continue;
            if (w->perm_valid++ % w->nq == w->qi)
                return (int64_t)x;
        }
        return -1;
    }
}

static void fill_pattern(uint64_t *buf, uint64_t sector, uint32_t nsec, uint64_t seed)
{
    for (uint32_t k = 0; k < nsec; k++) {
        uint64_t z = seed + (sector + k) * 64;
        for (unsigned i = 0; i < 64; i++)
            buf[k * 64 + i] = splitmix64(z + i);
    }
}

static void check_pattern(struct wq *w, const uint64_t *buf, uint64_t sector)
{
    for (uint32_t k = 0; k < w->spb; k++) {
        uint64_t z = w->seed + (sector + k) * 64;
        for (unsigned i = 0; i < 64; i++)
            if (buf[k * 64 + i] != splitmix64(z + i)) {
                if (!w->mismatches++ || sector + k < w->first_mismatch)
                    w->first_mismatch = sector + k;
                return;                 /* one mismatch per block */
            }
    }
}

/* ---- the per-queue engine (any CPU, CPL3) ---- */

/* Adds a request for block blk; returns its index, -1 if the ring is full. */
static int submit(struct wq *w, int64_t blk)
{
    unsigned ri = w->free[--w->nfree];
    struct wreq *r = &w->req[ri];
    uint64_t sector = (uint64_t)blk * w->spb;
    r->hdr = (struct blk_hdr){ .type = w->type, .sector = sector };
    if (r->done && r->status != STATUS_DONE && !w->fail)
        w->fail = 4, w->fail_info = (uint64_t)r->status;
    r->status = S_NONE;
    if (w->fill)
        fill_pattern(r->buf, sector, w->spb, w->seed);
    else if (w->check)
        for (uint32_t i = 0; i < w->bs / 8; i++)
            r->buf[i] = ~0ull;          /* poison: a read that writes nothing must not pass */
    struct vbuf b[MAX_SEGS + 2];
    int n = 0, dw = w->type == T_IN;
    b[n++] = (struct vbuf){ (uintptr_t)&r->hdr, sizeof r->hdr, 0 };
    for (uint32_t o = 0; o < w->bs; o += w->seg_len) {
        uint32_t l = w->bs - o < w->seg_len ? w->bs - o : w->seg_len;
        b[n++] = (struct vbuf){ (uintptr_t)r->buf + o, l, dw };
    }
    b[n++] = (struct vbuf){ (uintptr_t)&r->status, 1, 1 };
    int head = vq_add(w->vq, b, n, w->use_itab ? r->itab : 0);
    if (head < 0) {
        w->free[w->nfree++] = (uint16_t)ri;
        return -1;
    }
    w->head_req[head] = (int16_t)ri;
    r->busy = 1;
    w->inflight++;
    return (int)ri;
}

static void complete(struct wq *w, struct wreq *r, uint64_t now)
{
    uint64_t lat = now - r->t0;
    if (!w->first_lat)
        w->first_lat = lat | 1;         /* | 1: 0 means "none yet"; one cycle is below the report's precision */
    w->lat_sum += lat;
    if (lat > w->lat_max)
        w->lat_max = lat;
    w->hist[hbucket(lat)]++;
    w->ios++;
    if (r->status != S_OK) {
        w->errors++;
        if (w->nioerr < NIOERR)
            w->ioerr[w->nioerr++] = r->hdr.sector;
    } else if (w->check) {
        check_pattern(w, r->buf, r->hdr.sector);
    }
    r->status = STATUS_DONE;
    r->done = 1;
    r->busy = 0;
    w->inflight--;
    w->free[w->nfree++] = (uint16_t)(r - w->req);
}

/* Takes every used element there is; returns how many. */
static int reap(struct wq *w)
{
    struct vq *q = w->vq;
    if (q->used[1] == q->last_used)
        return 0;
    uint64_t now = rdtsc();
    int n = 0;
    for (;;) {
        int head = vq_get(q, 0);
        if (head == -1)
            return n;
        int ri = head >= 0 ? w->head_req[head] : -1;
        if (ri < 0 || !w->req[ri].busy) {
            w->fail = 2, w->fail_info = (uint64_t)(int64_t)head;
            return -1;
        }
        w->head_req[head] = -1;
        complete(w, &w->req[ri], now);
        n++;
    }
}

static void run_queue(void *arg)
{
    struct wq *w = arg;
    struct vq *q = w->vq;
    volatile uint64_t *irqs = &irq_vq_count[w->qi];
    if (w->irq && w->qi)
        irq_cpu_on();
    while (!go)
        cpu_pause();
    w->irqs0 = *irqs;
    uint64_t last = rdtsc();
    uint16_t batch[MAX_QD];
    int more = 1;
    for (;;) {
        uint64_t now = rdtsc();
        if (more && (w->ios + w->inflight >= w->max_ios || (w->deadline && now >= w->deadline)))
            more = 0;
        int added = 0;
        while (more && w->inflight < w->qd && w->ios + w->inflight < w->max_ios) {
            int64_t blk = next_block(w);
            if (blk < 0) {
                more = 0;
                break;
            }
            int ri = submit(w, blk);
            if (ri < 0) {
                w->fail = 3;
                more = 0;
                break;
            }
            batch[added++] = (uint16_t)ri;
        }
        if (added) {
            uint64_t t = rdtsc();       /* their clocks start at publish */
            for (int i = 0; i < added; i++)
                w->req[batch[i]].t0 = t;
            vq_publish(w->dev, q);
        }
        if (!w->inflight)
            break;
        uint64_t seen = *irqs;
        if (w->irq)
            vq_arm(q);
        int got = reap(w);
        if (got < 0)
            break;
        if (got) {
            last = rdtsc();
            w->t_end = last;
            continue;
        }
        if (rdtsc() - last > w->timeout) {
            w->fail = 1;
            break;
        }
        if (w->irq)
            while (*irqs == seen && rdtsc() - last <= w->timeout)
                cpu_pause();
        else
            cpu_pause();
    }
    w->irqs0 = *irqs - w->irqs0;
}

/* ---- set-up and report (BSP) ---- */

static int prepare(struct wq *w, const struct blk_dev *b, unsigned qi, unsigned qd, uint32_t bs)
{
    memset(w, 0, sizeof *w);
    w->dev = b->dev;
    w->vq = b->q[qi];
    w->qi = qi, w->nq = b->nq;
    w->qd = qd;
    w->bs = bs, w->spb = bs / 512;
    w->seg_len = b->seg_len;
    w->segs = (bs + b->seg_len - 1) / b->seg_len;
    w->use_itab = w->vq->indirect;
    w->req = heap_alloc(sizeof *w->req * qd, 64);
    w->free = heap_alloc(2 * qd, 8);
    w->head_req = heap_alloc(2ull * w->vq->num, 8);
    if (!w->req || !w->free || !w->head_req)
        return -1;
    for (unsigned i = 0; i < qd; i++) {
        w->req[i].buf = heap_alloc(bs, 4096);
        w->req[i].itab = w->use_itab ? heap_alloc(16ull * (w->segs + 2), 16) : 0;
        if (!w->req[i].buf || (w->use_itab && !w->req[i].itab))
            return -1;
        w->free[i] = (uint16_t)(qd - 1 - i);
    }
    w->nfree = qd;
    for (unsigned i = 0; i < w->vq->num; i++)
        w->head_req[i] = -1;
    w->timeout = b->tsc_khz * 10000;    /* 10 s without a completion */
    return 0;
}

/* Runs the prepared queues, one per CPU; the BSP takes queue 0. */
static void run_all(unsigned nq)
{
    go = 0;
    for (unsigned i = 1; i < nq; i++)
        smp_call(i, run_queue, wqs[i]);
    outb(0x80, MARK_START);
    t_start = rdtsc();
    for (unsigned i = 0; i < nq; i++)
        if (wqs[i]->deadline)
            wqs[i]->deadline += t_start;
    barrier();
    go = 1;
    run_queue(wqs[0]);
    for (unsigned i = 1; i < nq; i++)
        while (!smp_done(i))
            cpu_pause();
    outb(0x80, MARK_END);
}

/* Sums of all queues (the last phase run). */
struct sums {
    uint64_t ios, errors, mismatches, first_mismatch, lat_sum, lat_max, t_end, irqs, kicks, kicks_saved;
    uint64_t ioerr[NIOERR];
    unsigned nioerr;
    int fail;
};
static uint32_t hist[HBUCKETS];

static int collect(unsigned nq, struct sums *s)
{
    memset(s, 0, sizeof *s);
    s->first_mismatch = ~0ull;
    for (unsigned i = 0; i < nq; i++) {
        struct wq *w = wqs[i];
        s->ios += w->ios, s->errors += w->errors, s->lat_sum += w->lat_sum, s->irqs += w->irqs0;
        s->kicks += w->vq->kicks, s->kicks_saved += w->vq->kicks_saved;
        if (w->mismatches && w->first_mismatch < s->first_mismatch)
            s->first_mismatch = w->first_mismatch;
        s->mismatches += w->mismatches;
        if (w->lat_max > s->lat_max)
            s->lat_max = w->lat_max;
        if (w->t_end > s->t_end)
            s->t_end = w->t_end;
        for (unsigned k = 0; k < w->nioerr && s->nioerr < NIOERR; k++)
            s->ioerr[s->nioerr++] = w->ioerr[k];
        for (unsigned k = 0; k < HBUCKETS; k++)
            hist[k] += w->hist[k];
        if (w->fail) {
            static const char *why[] = { "", "timed out (no completion for 10 s)", "used id not in flight",
                                         "ring full", "the device wrote a completed request's status again" };
            kprintf("error: blk: queue %u: %s (avail idx %u, used idx %u, last used %u, in flight %u, id %lld)\n",
                    i, why[w->fail], w->vq->avail_idx, w->vq->used[1], w->vq->last_used, w->inflight,
                    (long long)w->fail_info);
            s->fail = 1;
        }
        if (nq > 1)
            kprintf("blk: queue=%u cpu=%u ios=%llu errors=%llu kicks=%llu interrupts=%llu\n", i, i,
                    (unsigned long long)w->ios, (unsigned long long)w->errors, (unsigned long long)w->vq->kicks,
                    (unsigned long long)w->irqs0);
    }
    if (!s->t_end)
        s->t_end = t_start;
    return s->fail ? -1 : 0;
}

static void print_ioerr(const struct sums *s)
{
    kprintf("\"ioerr_sectors\":[");
    for (unsigned k = 0; k < s->nioerr; k++)
        kprintf("%s%llu", k ? "," : "", (unsigned long long)s->ioerr[k]);
    kprintf("]");
}

/* "secs":..,"iops":..,"mbps":..,"lat_*_ns":.. for ios requests of bs bytes over tsc cycles. */
static void print_rates(uint64_t ios, uint32_t bs, uint64_t tsc, const struct sums *s, uint64_t khz)
{
    uint64_t us = tsc_ns(tsc, khz) / 1000;
    uint64_t iops = tsc ? muldiv(ios, khz * 1000, tsc) : 0;
    uint64_t mbps10 = tsc ? muldiv(ios * bs, khz, tsc * 100) : 0;      /* 10 x bytes / s / 1e6 */
    kprintf("\"secs\":%llu.%03llu,\"iops\":%llu,\"mbps\":%llu.%llu,", (unsigned long long)us / 1000000,
            (unsigned long long)us / 1000 % 1000, (unsigned long long)iops, (unsigned long long)mbps10 / 10,
            (unsigned long long)mbps10 % 10);
    uint64_t n = s->ios;
    kprintf("\"lat_mean_ns\":%llu,\"lat_p50_ns\":%llu,\"lat_p99_ns\":%llu,\"lat_p999_ns\":%llu,\"lat_max_ns\":%llu,",
            (unsigned long long)(n ? tsc_ns(s->lat_sum / n, khz) : 0),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 500, s->lat_max), khz),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 990, s->lat_max), khz),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 999, s->lat_max), khz),
            (unsigned long long)tsc_ns(s->lat_max, khz));
}

static int key_is(const struct blk_opts *o, const char *s)
{
    return o->rw_len == strlen(s) && !memcmp(o->rw, s, o->rw_len);
}

int work_run(const struct blk_opts *o, const struct blk_dev *b)
{
    const char *op = op_name(o);
    int kind = op[0] == 'b' ? W_BENCH : op[0] == 'v' ? W_VERIFY : W_DURABLE;
    uint64_t khz = b->tsc_khz, bs = o->bs ? o->bs : 4096, seed = o->seed_set ? o->seed : 1;
    unsigned nq = b->nq;
    if (bs % 512 || bs > MAX_BS) {
        kprintf("error: blk: bs=%llu: a multiple of 512, at most %u\n", (unsigned long long)bs, MAX_BS);
        work_fail(o, "bad bs");
        return -1;
    }
    const char *rw = "randread";
    int type = T_IN, order = O_RAND;
    if (kind == W_BENCH && o->rw) {
        if (key_is(o, "randread"))
            ;
        else if (key_is(o, "randwrite"))
            rw = "randwrite", type = T_OUT;
        else if (key_is(o, "read"))
            rw = "read", order = O_SEQ;
        else if (key_is(o, "write"))
            rw = "write", type = T_OUT, order = O_SEQ;
        else {
            kprintf("error: blk: rw= expects randread|randwrite|read|write\n");
            work_fail(o, "bad rw");
            return -1;
        }
    }
    uint64_t cap = b->capacity;
    uint64_t span = o->span ? o->span
                  : kind == W_BENCH ? cap : kind == W_VERIFY ? (cap < 131072 ? cap : 131072) : 2048;
    if (span > cap)
        kprintf("warning: blk: span=%llu sectors is beyond the capacity %llu: expect IOERR\n",
                (unsigned long long)span, (unsigned long long)cap);
    uint64_t blocks = span / (bs / 512);
    if (!blocks) {
        kprintf("error: blk: span=%llu sectors holds no %llu-byte block (capacity %llu)\n", (unsigned long long)span,
                (unsigned long long)bs, (unsigned long long)cap);
        work_fail(o, "span holds no block");
        return -1;
    }
    /* Per queue: at most the ring (one descriptor per request with indirect, else a whole chain). */
    uint64_t qd = o->qd ? o->qd : 1;
    struct vq *q0 = b->q[0];
    unsigned segs = (unsigned)((bs + b->seg_len - 1) / b->seg_len);
    if (b->seg_max && segs > b->seg_max) {
        kprintf("error: blk: bs=%llu needs %u segments of %u bytes, the device takes %u\n", (unsigned long long)bs,
                segs, b->seg_len, b->seg_max);
        work_fail(o, "bs exceeds seg_max");
        return -1;
    }
    unsigned per = q0->indirect ? 1 : segs + 2, fit = q0->num / per;
    if (qd > MAX_QD || qd > fit) {
        unsigned m = fit < MAX_QD ? fit : MAX_QD;
        kprintf("warning: blk: qd=%llu: the ring of %u holds %u requests%s; using qd=%u\n", (unsigned long long)qd,
                q0->num, fit, q0->indirect ? "" : " (no indirect descriptors)", m);
        qd = m;
    }
    for (unsigned i = 0; i < nq; i++) {
        static struct wq store[VQ_MAX_QUEUES];
        wqs[i] = &store[i];
        if (prepare(wqs[i], b, i, (unsigned)qd, (uint32_t)bs) < 0) {
            kprintf("error: blk: out of memory for %u queues x qd %llu x %llu bytes (heap free %llu)\n", nq,
                    (unsigned long long)qd, (unsigned long long)bs, (unsigned long long)heap_free_bytes());
            work_fail(o, "out of memory");
            return -1;
        }
        struct wq *w = wqs[i];
        w->seed = seed, w->irq = o->irq, w->total_blk = blocks;
        /* Sequential orders: queue i takes blocks [i * blocks / nq, (i + 1) * blocks / nq). */
        w->base_blk = blocks * i / nq;
        w->nblk = blocks * (i + 1) / nq - w->base_blk;
        w->rng = seed ^ (0xA0761D6478BD642Full * (i + 1));
    }
    const char *completion = o->irq ? "irq" : "poll";

    if (kind == W_BENCH) {
        uint64_t secs = o->secs, ios = o->ios;
        if (!secs && !ios)
            secs = 2;
        if (o->warmup) {
            /* warmup=N: N untimed requests per queue first (a JIT-compiled VMM warms up; so does every cache).
             * Their marks are superseded by the timed phase's; nothing of them is counted below. */
            for (unsigned i = 0; i < nq; i++) {
                struct wq *w = wqs[i];
                w->type = (uint32_t)type, w->order = order, w->wrap = 1;
                w->max_ios = o->warmup, w->deadline = 0;
            }
            run_all(nq);
            for (unsigned i = 0; i < HBUCKETS; i++)
                hist[i] = 0;
            for (unsigned i = 0; i < nq; i++) {
                struct wq *w = wqs[i];
                w->ios = w->errors = w->lat_sum = w->lat_max = w->t_end = 0;
                w->nioerr = 0;
                for (unsigned k = 0; k < HBUCKETS; k++)
                    w->hist[k] = 0;
                w->vq->kicks = w->vq->kicks_saved = 0;
            }
        }
        for (unsigned i = 0; i < nq; i++) {
            struct wq *w = wqs[i];
            w->type = (uint32_t)type, w->order = order, w->wrap = 1;
            w->max_ios = ios ? ios : ~0ull;
            w->deadline = secs ? secs * khz * 1000 : 0;
        }
        kprintf("blk: bench rw=%s bs=%llu qd=%llu queues=%u span=%llu %s=%llu completion=%s\n", rw,
                (unsigned long long)bs, (unsigned long long)qd, nq, (unsigned long long)span, ios ? "ios" : "secs",
                (unsigned long long)(ios ? ios : secs), completion);
        run_all(nq);
        struct sums s;
        int bad = collect(nq, &s);
        hist_print("blk", hist, khz);
        if (bad) {
            work_fail(o, "I/O stalled");
            return -1;
        }
        kprintf("result: {\"op\":\"bench\",\"rw\":\"%s\",\"bs\":%llu,\"qd\":%llu,\"queues\":%u,\"ios\":%llu,"
                "\"errors\":%llu,",
                rw, (unsigned long long)bs, (unsigned long long)qd, nq, (unsigned long long)s.ios, (unsigned long long)s.errors);
        print_ioerr(&s);
        kprintf(",");
        print_rates(s.ios, (uint32_t)bs, s.t_end - t_start, &s, khz);
        /* publishes: avail idx stores (each one a batch of new requests, kicked or not). */
        kprintf("\"tsc_khz\":%llu,\"completion\":\"%s\",\"interrupts\":%llu,\"kicks\":%llu,\"publishes\":%llu,"
                "\"first_lat_ns\":%llu}\n", (unsigned long long)khz, completion, (unsigned long long)s.irqs,
                (unsigned long long)s.kicks, (unsigned long long)(s.kicks + s.kicks_saved),
                (unsigned long long)tsc_ns(wqs[0]->first_lat, khz));
        return 0;
    }

    if (kind == W_DURABLE) {
        if (!b->flush) {
            kprintf("error: blk: durable needs VIRTIO_BLK_F_FLUSH, which the device does not offer\n");
            work_fail(o, "no flush");
            return -1;
        }
        for (unsigned i = 0; i < nq; i++) {
            struct wq *w = wqs[i];
            w->type = T_OUT, w->order = O_SEQ, w->fill = 1, w->max_ios = ~0ull;
        }
        run_all(nq);
        struct sums s;
        if (collect(nq, &s) < 0) {
            work_fail(o, "I/O stalled");
            return -1;
        }
        if (s.errors) {
            kprintf("error: blk: durable: %llu write errors (first at sector %llu)\n", (unsigned long long)s.errors,
                    (unsigned long long)s.ioerr[0]);
            work_fail(o, "write errors");
            return -1;
        }
        /* FLUSH: header + status, on queue 0 after every write has completed (§5.2.6.2). */
        struct wq *w = wqs[0];
        struct wreq *r = &w->req[0];
        r->hdr = (struct blk_hdr){ .type = T_FLUSH, .sector = 0 };
        r->status = S_NONE;
        struct vbuf fb[2] = { { (uintptr_t)&r->hdr, sizeof r->hdr, 0 }, { (uintptr_t)&r->status, 1, 1 } };
        int head = vq_add(w->vq, fb, 2, w->use_itab ? r->itab : 0);
        if (head < 0) {
            work_fail(o, "ring full");
            return -1;
        }
        vq_publish(w->dev, w->vq);
        uint64_t t0 = rdtsc();
        int got;
        while ((got = vq_get(w->vq, 0)) == -1 && rdtsc() - t0 < w->timeout) {
            if (w->irq)
                vq_arm(w->vq);
            cpu_pause();
        }
        if (got != head || r->status != S_OK) {
            kprintf("error: blk: flush: %s (status %u)\n", got == -1 ? "timed out" : got != head ? "bad used id" : "failed",
                    r->status);
            work_fail(o, "flush failed");
            return -1;
        }
        kprintf("blk: flushed sectors=%llu seed=%llu\n", (unsigned long long)(blocks * (bs / 512)),
                (unsigned long long)seed);
        for (;;)
            cpu_pause();
    }

    /* verify: write every block once in one random order, then read them all in another. */
    for (unsigned i = 0; i < nq; i++) {
        struct wq *w = wqs[i];
        w->type = T_OUT, w->order = O_PERM, w->fill = 1, w->max_ios = ~0ull;
        perm_init(w, 0x5772697465ull);     /* "Write" */
    }
    kprintf("blk: verify bs=%llu qd=%llu queues=%u span=%llu blocks=%llu seed=%llu completion=%s\n",
            (unsigned long long)bs, (unsigned long long)qd, nq, (unsigned long long)span, (unsigned long long)blocks,
            (unsigned long long)seed, completion);
    run_all(nq);
    struct sums sw, sr;
    if (collect(nq, &sw) < 0) {
        work_fail(o, "I/O stalled in the write phase");
        return -1;
    }
    uint64_t write_tsc = sw.t_end - t_start;
    for (unsigned i = 0; i < HBUCKETS; i++)
        hist[i] = 0;
    for (unsigned i = 0; i < nq; i++) {
        struct wq *w = wqs[i];
        w->type = T_IN, w->fill = 0, w->check = 1;
        w->ios = w->errors = w->lat_sum = w->lat_max = w->t_end = 0;
        w->nioerr = 0;
        for (unsigned k = 0; k < HBUCKETS; k++)
            w->hist[k] = 0;
        w->vq->kicks = 0;               /* the read phase's own counts from here */
        perm_init(w, 0x52656164ull);       /* "Read" */
    }
    run_all(nq);
    if (collect(nq, &sr) < 0) {
        work_fail(o, "I/O stalled in the read phase");
        return -1;
    }
    uint64_t read_tsc = sr.t_end - t_start;
    uint64_t verified = sr.ios - sr.errors - sr.mismatches, errors = sw.errors + sr.errors;
    hist_print("blk", hist, khz);
    kprintf("result: {\"op\":\"verify\",\"bs\":%llu,\"qd\":%llu,\"queues\":%u,\"seed\":%llu,\"blocks\":%llu,"
            "\"written\":%llu,\"verified\":%llu,\"mismatches\":%llu,\"first_mismatch_sector\":%lld,\"errors\":%llu,",
            (unsigned long long)bs, (unsigned long long)qd, nq, (unsigned long long)seed, (unsigned long long)blocks,
            (unsigned long long)(sw.ios - sw.errors), (unsigned long long)verified,
            (unsigned long long)sr.mismatches, sr.mismatches ? (long long)sr.first_mismatch : -1LL,
            (unsigned long long)errors);
    struct sums all = sr;               /* ioerr_sectors: the write phase's first */
    all.nioerr = 0;
    for (unsigned k = 0; k < sw.nioerr && all.nioerr < NIOERR; k++)
        all.ioerr[all.nioerr++] = sw.ioerr[k];
    for (unsigned k = 0; k < sr.nioerr && all.nioerr < NIOERR; k++)
        all.ioerr[all.nioerr++] = sr.ioerr[k];
    print_ioerr(&all);
    uint64_t wus = tsc_ns(write_tsc, khz) / 1000;
    kprintf(",\"write_secs\":%llu.%03llu,\"write_iops\":%llu,", (unsigned long long)wus / 1000000,
            (unsigned long long)wus / 1000 % 1000,
            (unsigned long long)(write_tsc ? muldiv(sw.ios, khz * 1000, write_tsc) : 0));
    print_rates(sr.ios, (uint32_t)bs, read_tsc, &sr, khz);     /* the read phase */
    kprintf("\"tsc_khz\":%llu,\"completion\":\"%s\",\"interrupts\":%llu}\n", (unsigned long long)khz, completion,
            (unsigned long long)(sw.irqs + sr.irqs));
    return sr.mismatches || errors ? 1 : 0;
}
