/*
 * blk.c -- virtio-blk (virtio 1.2 §5.2) over virtio.c, and the blk= commands.
 *
 * A request is a chain: header {le32 type, le32 reserved, le64 sector}
 * (device-readable), the data in one or more segments (device-writable for
 * IN and GET_ID), and a status byte (device-writable). Up to qd requests are
 * in flight; completion is polled at CPL3 (default) or waited for by MSI-X.
 */
#include "blk.h"
#include "sha256.h"
#include "smp.h"
#include "virtio.h"

/* Device configuration (§5.2.4). */
enum { CFG_CAPACITY = 0, CFG_SIZE_MAX = 8, CFG_SEG_MAX = 12, CFG_BLK_SIZE = 20, CFG_NUM_QUEUES = 34 };
/* Feature bits (§5.2.3). */
enum { F_SIZE_MAX = 1, F_SEG_MAX = 2, F_GEOMETRY = 4, F_RO = 5, F_BLK_SIZE = 6, F_FLUSH = 9, F_TOPOLOGY = 10, F_MQ = 12 };
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2, S_NONE = 0xff };

#define MAX_QD     16
#define BUF_BYTES  65536
#define MAX_SEGS   (BUF_BYTES / 512)

struct blk_hdr {
    uint32_t type, reserved;
    uint64_t sector;
};

struct slot {
    struct blk_hdr hdr;
    uint8_t status;
    uint8_t state;              /* 0 free, 1 in flight, 2 done */
    uint32_t len, used_len;
    uint64_t off;
    struct vring_desc itab[MAX_SEGS + 2] __attribute__((aligned(16)));
};

static uint8_t bufs[MAX_QD][BUF_BYTES] __attribute__((aligned(4096)));
static uint8_t ring_mem[VQ_MEM_BYTES] __attribute__((aligned(4096)));
static struct slot slots[MAX_QD];
static int16_t head_slot[VQ_MAX_LEGACY];

static struct vdev dev;
static struct vq vq;                    /* queue 0; queues 1.. (workloads) are vq_more[] */
static struct vq vq_more[VQ_MAX_QUEUES - 1];
static struct vq *vqs[VQ_MAX_QUEUES] = { &vq };
static unsigned nvq = 1;
static uint16_t dev_queues;             /* num_queues with VIRTIO_BLK_F_MQ, else 1 */
static uint32_t seg_len, seg_max, blk_size;
static uint64_t capacity, timeout_tsc;
static unsigned qd;
static int warned_len;
static int watch_reset;                 /* blk=recover: a request also ends when the device needs reset */

/* For the result line. */
static struct {
    const char *op;
    const char *dev;
    int legacy;
    uint64_t capacity, bytes, tsc, io_tsc, mbps10, io_mbps10;
    char sha[65];
    char id[21];
    int status, flush, verify, have_id, have_sha, have_rw, ro;
} res = { .status = -1, .flush = -1, .verify = -1 };

static const char *status_name(int s)
{
    return s == S_OK ? "ok" : s == S_IOERR ? "ioerr" : s == S_UNSUPP ? "unsupp" : s == S_NONE ? "none" : "other";
}

static int submit(unsigned si, uint32_t type, uint64_t sector, uint32_t len)
{
    struct slot *s = &slots[si];
    struct vbuf b[MAX_SEGS + 2];
    int n = 0;
    s->hdr = (struct blk_hdr){ .type = type, .sector = sector };
    s->status = S_NONE;
    s->len = len;
    b[n++] = (struct vbuf){ (uintptr_t)&s->hdr, sizeof s->hdr, 0 };
    int dev_writes = type == T_IN || type == T_GET_ID;
    for (uint32_t o = 0; o < len; o += seg_len) {
        uint32_t l = len - o < seg_len ? len - o : seg_len;
        b[n++] = (struct vbuf){ (uintptr_t)bufs[si] + o, l, dev_writes };
    }
    b[n++] = (struct vbuf){ (uintptr_t)&s->status, 1, 1 };
    int head = vq_add(&vq, b, n, dev.features & (1ull << VIRTIO_F_INDIRECT_DESC) ? s->itab : 0);
    if (head < 0)
        return -1;
    head_slot[head] = (int16_t)si;
    s->state = 1;
    return 0;
}

/* Waits for one completion; returns its slot, -1 on timeout or a bad id. */
static int complete_one(void)
{
    uint64_t t0 = rdtsc();
    for (;;) {
        uint64_t seen = irq_vq_count[0];
        if (vq.irq)
            vq_arm(&vq);
        uint32_t len;
        int head = vq_get(&vq, &len);
        if (head >= 0) {
            int si = head_slot[head];
            if (si < 0 || si >= MAX_QD || slots[si].state != 1) {
                kprintf("error: blk: used id %d is not a request in flight\n", head);
                return -1;
            }
            head_slot[head] = -1;
            slots[si].state = 2;
            slots[si].used_len = len;
            uint32_t want = slots[si].hdr.type == T_IN || slots[si].hdr.type == T_GET_ID ? slots[si].len + 1 : 1;
            if (len != want && !warned_len++)
                kprintf("warning: blk: used len %u for a type %u request of %u data bytes, expected %u\n", len,
                        slots[si].hdr.type, slots[si].len, want);
            return si;
        }
        if (head == -2) {
            kprintf("error: blk: device returned used id out of range\n");
            return -1;
        }
        if (watch_reset && ((rdtsc() - t0) & ~0xfffffull) != 0 && (vdev_status(&dev) & VIRTIO_S_NEEDS_RESET)) {
            kprintf("error: blk: device needs reset (status 0x%x) with a request in flight\n", vdev_status(&dev));
            return -1;
        }
        if (rdtsc() - t0 > timeout_tsc) {
            kprintf("error: blk: request timed out (avail idx %u, used idx %u, last used %u, irqs %llu, status 0x%x)\n",
                    vq.avail_idx, vq.used[1], vq.last_used, (unsigned long long)irq_vq_count[0], vdev_status(&dev));
            return -1;
        }
        if (vq.irq)                             /* wait for the MSI, then look again */
            while (irq_vq_count[0] == seen && rdtsc() - t0 <= timeout_tsc)
                cpu_pause();
        else
            cpu_pause();
    }
}

/* One request, synchronously. Returns the status byte, -1 on failure. */
static int request(uint32_t type, uint64_t sector, uint32_t len)
{
    if (submit(0, type, sector, len) < 0) {
        kprintf("error: blk: ring full\n");
        return -1;
    }
    vq_publish(&dev, &vq);
    int si = complete_one();
    if (si < 0)
        return -1;
    slots[si].state = 0;
    return slots[si].status;
}

static int find_blk(int *idx, int want, const struct pci_func **out)
{
    int n = 0;
    for (int i = 0; i < pci_nfuncs; i++) {
        const struct pci_func *f = &pci_funcs[i];
        if (f->vendor != VIRTIO_VENDOR || (f->device != 0x1042 && f->device != 0x1001))
            continue;
        if (want == n || want == -1)
            *out = f;
        n++;
    }
    *idx = n;
    return *out ? 0 : -1;
}

static void blk_list(const struct blk_opts *o)
{
    int n = 0;
    for (int i = 0; i < pci_nfuncs; i++) {
        const struct pci_func *f = &pci_funcs[i];
        if (f->vendor != VIRTIO_VENDOR || (f->device != 0x1042 && f->device != 0x1001))
            continue;
        struct vdev d;
        int legacy = o->legacy;
        if (vdev_open(&d, f, legacy) < 0 || vdev_begin(&d) < 0)
            continue;
        /* §3.1.1 step 4: the driver may read the config before accepting features. */
        uint64_t cap = vdev_cfg64(&d, CFG_CAPACITY);
        kprintf("blk: dev=%s capacity=%llu ro=%d virtio=%s features=0x%llx\n", pci_name(f->bdf),
                (unsigned long long)cap, (int)((d.dev_features >> F_RO) & 1), legacy ? "legacy" : "modern",
                (unsigned long long)d.dev_features);
        vdev_reset(&d);
        n++;
    }
    kprintf("blk: devices=%d\n", n);
}

/* Device init (§3.1.1) with nq queues (queue i's MSI-X to CPU i's xAPIC). */
static int setup(const struct blk_opts *o, const struct pci_func *f, unsigned nq)
{
    if (vdev_open(&dev, f, o->legacy) < 0 || vdev_begin(&dev) < 0)
        return -1;
    uint64_t accept = 1ull << F_SIZE_MAX | 1ull << F_SEG_MAX | 1ull << F_GEOMETRY | 1ull << F_RO |
                      1ull << F_BLK_SIZE | 1ull << F_FLUSH | 1ull << F_TOPOLOGY | 1ull << VIRTIO_F_VERSION_1;
    accept |= 1ull << F_MQ;                     /* taken when offered; queues beyond 0 only if asked for */
    if (o->indirect > 0)
        accept |= 1ull << VIRTIO_F_INDIRECT_DESC;
    if (o->event_idx)
        accept |= 1ull << VIRTIO_F_EVENT_IDX;
    if (vdev_negotiate(&dev, accept) < 0)
        return -1;
    uint64_t ft = dev.features;
    capacity = vdev_cfg64(&dev, CFG_CAPACITY);
    uint32_t size_max = ft & (1ull << F_SIZE_MAX) ? vdev_cfg32(&dev, CFG_SIZE_MAX) : 0;
    seg_max = ft & (1ull << F_SEG_MAX) ? vdev_cfg32(&dev, CFG_SEG_MAX) : 0;
    blk_size = ft & (1ull << F_BLK_SIZE) ? vdev_cfg32(&dev, CFG_BLK_SIZE) : 512;
    dev_queues = ft & (1ull << F_MQ) ? vdev_cfg16(&dev, CFG_NUM_QUEUES) : 1;
    if (nq > dev_queues) {
        kprintf("error: blk: queues=%u but the device has %u queue%s%s\n", nq, dev_queues, dev_queues == 1 ? "" : "s",
                ft & (1ull << F_MQ) ? "" : " (no VIRTIO_BLK_F_MQ)");
        goto fail;
    }
    /* One CPU per queue: start the APs now, the MSI-X entries need their APIC ids. */
    if (nq > 1 && smp_start(nq - 1, o->acpi, o->tsc_khz) < 0)
        goto fail;
    uint32_t apic[VQ_MAX_QUEUES];
    for (unsigned i = 0; i < nq; i++)
        apic[i] = smp_apic_id(i);
    if (o->irq && (vdev_msix(&dev, nq, nq > 1 ? apic : 0) < 0))
        goto fail;
    uint16_t qsize = (uint16_t)(o->qsize ? o->qsize : 256);
    for (unsigned i = 0; i < nq; i++) {
        void *mem = ring_mem;
        if (i) {
            vqs[i] = &vq_more[i - 1];
            mem = heap_alloc(VQ_MEM_BYTES, 4096);
            if (!mem) {
                kprintf("error: blk: no memory for queue %u's ring\n", i);
                goto fail;
            }
        }
        if (vdev_queue(&dev, vqs[i], (uint16_t)i, qsize, mem, o->irq) < 0)
            goto fail;
    }
    nvq = nq;
    if (o->irq)
        irq_setup();
    if (vdev_driver_ok(&dev) < 0)
        goto fail;
    for (unsigned i = 0; i < VQ_MAX_LEGACY; i++)
        head_slot[i] = -1;

    /* Segment length: seg= (testing), capped by size_max (§5.2.6.1: each
     * segment at most size_max bytes; at most seg_max segments). */
    seg_len = o->seg && o->seg < BUF_BYTES ? (uint32_t)o->seg & ~511u : BUF_BYTES;
    if (!seg_len)
        seg_len = 512;
    if (size_max && size_max < seg_len)
        seg_len = size_max >= 512 ? size_max & ~511u : size_max;
    kprintf("blk: dev=%s virtio=%s features=0x%llx/0x%llx capacity=%llu blk_size=%u seg_max=%u size_max=%u "
            "ro=%d queue=%u%s%s%s",
            pci_name(f->bdf), dev.legacy ? "legacy" : "modern", (unsigned long long)ft,
            (unsigned long long)dev.dev_features, (unsigned long long)capacity, blk_size, seg_max, size_max,
            (int)((ft >> F_RO) & 1), vq.num, vq.indirect ? " indirect" : "", vq.event_idx ? " event_idx" : "",
            o->irq ? " irq=msix" : "");
    if (ft & (1ull << F_MQ))
        kprintf(" queues=%u/%u", nq, dev_queues);
    kprintf("\n");
    return 0;
fail:
    vdev_failed(&dev);
    return -1;
}

/* Largest request so that it fits the buffer, seg_max and the ring. */
static uint32_t max_request(uint64_t chunk)
{
    uint32_t len = chunk && chunk < BUF_BYTES ? (uint32_t)chunk & ~511u : BUF_BYTES;
    if (!len)
        len = 512;
    uint32_t segs_ring = vq.num - 2;    /* a chain, indirect or not, is at most the queue size (§2.7.5.3.1) */
    uint32_t segs = seg_max && seg_max < segs_ring ? seg_max : segs_ring;
    if (!segs)
        segs = 1;
    if ((uint64_t)segs * seg_len < len)
        len = (segs * seg_len) & ~511u;
    return len ? len : 512;
}

static void hexstr(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[2 * i] = "0123456789abcdef"[b[i] >> 4], out[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
    out[2 * n] = 0;
}

static void fmt_rate(uint64_t bytes, uint64_t tsc, uint64_t khz, uint64_t *mbps10)
{
    *mbps10 = tsc && khz ? bytes * khz / 100 / tsc : 0;      /* 10 x bytes / (tsc / (khz * 1000)) / 1e6 */
}

/* Reads [0, bytes) in requests of `len`, qd at a time; hashes in order. */
static int read_all(int hash, uint64_t khz)
{
    uint64_t total = capacity * 512, next = 0, hashed = 0, hash_tsc = 0;
    uint32_t len = max_request(0);
    struct sha256 sh;
    sha256_init(&sh);
    uint64_t t0 = rdtsc();
    while (hashed < total) {
        int queued = 0;
        for (unsigned i = 0; i < qd && next < total; i++) {
            if (slots[i].state)
                continue;
            uint32_t l = total - next < len ? (uint32_t)(total - next) : len;
            if (submit(i, T_IN, next / 512, l) < 0)
                break;
            slots[i].off = next;
            next += l;
            queued++;
        }
        if (queued)
            vq_publish(&dev, &vq);
        int si = complete_one();
        if (si < 0)
            return -1;
        if (slots[si].status != S_OK) {
            kprintf("error: blk: read at sector %llu: status %u (%s)\n", (unsigned long long)slots[si].hdr.sector,
                    slots[si].status, status_name(slots[si].status));
            return -1;
        }
        /* Completions may come out of order: hash whatever is next in line. */
        for (int progress = 1; progress;) {
            progress = 0;
            for (unsigned i = 0; i < qd; i++) {
                if (slots[i].state != 2 || slots[i].off != hashed)
                    continue;
                if (hash) {
                    uint64_t h0 = rdtsc();
                    sha256_update(&sh, bufs[i], slots[i].len);
                    hash_tsc += rdtsc() - h0;
                }
                hashed += slots[i].len;
                slots[i].state = 0;
                progress = 1;
            }
        }
    }
    uint64_t t = rdtsc() - t0;
    res.bytes = total;
    res.tsc = t;
    res.io_tsc = t - hash_tsc;
    fmt_rate(total, t, khz, &res.mbps10);
    fmt_rate(total, t - hash_tsc, khz, &res.io_mbps10);
    res.have_rw = 1;
    if (hash) {
        uint8_t d[32];
        sha256_final(&sh, d);
        hexstr(res.sha, d, 32);
        res.have_sha = 1;
        kprintf("blk: sha256=%s bytes=%llu dev=%s\n", res.sha, (unsigned long long)total, res.dev);
    }
    kprintf("blk: read bytes=%llu requests_of=%u qd=%u tsc=%llu hash_tsc=%llu tsc_khz=%llu mbps=%llu.%llu "
            "io_mbps=%llu.%llu kicks=%llu kicks_suppressed=%llu irqs=%llu\n",
            (unsigned long long)total, len, qd, (unsigned long long)t, (unsigned long long)hash_tsc,
            (unsigned long long)khz, (unsigned long long)res.mbps10 / 10, (unsigned long long)res.mbps10 % 10,
            (unsigned long long)res.io_mbps10 / 10, (unsigned long long)res.io_mbps10 % 10,
            (unsigned long long)vq.kicks, (unsigned long long)vq.kicks_saved, (unsigned long long)irq_vq_count[0]);
    return 0;
}

static int do_write(const struct blk_opts *o)
{
    uint64_t count = o->count ? o->count : 1, sector = o->sector;
    uint8_t pat = (uint8_t)o->pattern;
    if (sector + count > capacity)
        kprintf("warning: blk: sectors %llu..%llu are beyond the capacity %llu: expect IOERR\n",
                (unsigned long long)sector, (unsigned long long)(sector + count - 1), (unsigned long long)capacity);
    uint32_t len = max_request(0);
    int st = S_OK;
    uint64_t done = 0;
    memset(bufs[0], pat, BUF_BYTES);
    for (uint64_t s = sector; s < sector + count && st == S_OK;) {
        uint32_t l = (sector + count - s) * 512 < len ? (uint32_t)((sector + count - s) * 512) : len;
        st = request(T_OUT, s, l);
        if (st < 0)
            return -1;
        if (st == S_OK)
            done += l;
        s += l / 512;
    }
    int fl = -1;
    if (dev.features & (1ull << F_FLUSH)) {
        fl = request(T_FLUSH, 0, 0);
        if (fl < 0)
            return -1;
    }
    int verify = -1;
    if (st == S_OK) {
        verify = 1;
        for (uint64_t s = sector; s < sector + count && verify;) {
            uint32_t l = (sector + count - s) * 512 < len ? (uint32_t)((sector + count - s) * 512) : len;
            memset(bufs[0], pat ^ 0xff, l);
            int r = request(T_IN, s, l);
            if (r < 0)
                return -1;
            for (uint32_t i = 0; i < l && verify; i++)
                if (bufs[0][i] != pat)
                    verify = 0;
            if (r != S_OK)
                verify = 0;
            s += l / 512;
        }
    }
    res.status = st, res.flush = fl, res.verify = verify, res.bytes = done;
    kprintf("blk: wrote=%llu sector=%llu count=%llu pattern=0x%02x status=%d (%s) flush=%s verify=%s dev=%s\n",
            (unsigned long long)done, (unsigned long long)sector, (unsigned long long)count, pat, st,
            status_name(st), fl < 0 ? "none" : status_name(fl), verify < 0 ? "skipped" : verify ? "ok" : "bad",
            res.dev);
    if (verify == 0) {
        kprintf("error: blk: read-back after a successful write differs\n");
        return -1;
    }
    return 0;
}

static int do_id(void)
{
    memset(bufs[0], 0, 20);
    int st = request(T_GET_ID, 0, 20);
    if (st < 0)
        return -1;
    res.status = st;
    if (st != S_OK) {
        kprintf("blk: id status=%d (%s)\n", st, status_name(st));
        return 0;
    }
    int n = 0;
    for (; n < 20 && bufs[0][n]; n++)
        res.id[n] = bufs[0][n] >= 0x20 && bufs[0][n] < 0x7f && bufs[0][n] != '"' && bufs[0][n] != '\\'
                        ? (char)bufs[0][n] : '?';
    res.id[n] = 0;
    res.have_id = 1;
    kprintf("blk: id=%s\n", res.id);
    return 0;
}

/* blk=corrupt: a hostile driver. Publishes an avail idx 0x1234 ahead of the
 * device (virtio 1.2 §2.7.6: at most the queue size), notifies, and waits for
 * the device to set DEVICE_NEEDS_RESET (§2.1.1). Exit 0 when it does. */
static int do_corrupt(void)
{
    uint16_t bad = (uint16_t)(vq.pub_idx + 0x1234);
    barrier();
    vq.avail[1] = bad;
    mb();
    vq_notify(&dev, &vq);
    uint64_t t0 = rdtsc();
    uint8_t st;
    while (!((st = vdev_status(&dev)) & VIRTIO_S_NEEDS_RESET) && rdtsc() - t0 < timeout_tsc)
        cpu_pause();
    int seen = (st & VIRTIO_S_NEEDS_RESET) != 0;
    kprintf("blk: corrupt avail_idx=0x%x needs_reset=%d\n", bad, seen);
    return seen ? 0 : -1;
}

/* blk=recover: reads the whole disk (sha256) pass after pass until a
 * request fails or the device needs reset (the back end went away), then
 * resets the device and tries again, every ~0.5 s, until a whole pass
 * succeeds: "blk: recover: ok after N resets" with that pass's sha256.
 * count= bounds the passes before the failure (default 1000). */
static int do_recover(const struct blk_opts *o, const struct pci_func *f, uint64_t khz)
{
    uint64_t passes = o->count ? o->count : 1000;
    watch_reset = 1;
    uint64_t pass = 0;
    for (; pass < passes; pass++) {
        if (read_all(1, khz) < 0)
            break;
        kprintf("blk: recover: pass %llu ok\n", (unsigned long long)pass + 1);
    }
    if (pass == passes) {
        kprintf("error: blk: recover: no failure in %llu passes\n", (unsigned long long)passes);
        return -1;
    }
    kprintf("blk: recover: I/O failed in pass %llu (status 0x%x); resetting the device\n",
            (unsigned long long)pass + 1, vdev_status(&dev));
    for (unsigned tries = 1; tries <= 240; tries++) {
        vdev_reset(&dev);
        for (unsigned i = 0; i < MAX_QD; i++)
            slots[i].state = 0;
        if (setup(o, f, 1) == 0 && read_all(1, khz) == 0) {
            kprintf("blk: recover: ok after %u resets\n", tries);
            return 0;
        }
        uint64_t t0 = rdtsc();
        while (rdtsc() - t0 < khz * 500)
            cpu_pause();
    }
    kprintf("error: blk: recover: the device did not come back\n");
    return -1;
}

/* bench|verify|durable: the APs first (queue i's MSI-X goes to CPU i), then
 * the device with o->queues queues, then work.c. */
static int run_work(const struct blk_opts *o)
{
    const struct pci_func *f = 0;
    int found;
    unsigned nq = o->queues ? (unsigned)o->queues : 1;
    unsigned cpus = o->acpi ? o->acpi->cpus : 1;
    if (find_blk(&found, o->dev, &f) < 0) {
        kprintf("error: blk: no virtio-blk device %d (found %d)\n", o->dev, found);
        work_fail(o, "no virtio-blk device");
        return -1;
    }
    res.dev = pci_name(f->bdf);
    if (o->queues > VQ_MAX_QUEUES || nq > (cpus ? cpus : 1)) {
        kprintf("error: blk: queues=%llu: at most one queue per CPU (cpus: %u) and %u in all\n",
                (unsigned long long)o->queues, cpus, VQ_MAX_QUEUES);
        work_fail(o, "queues exceeds CPUs");
        return -1;
    }
    uint64_t khz = o->tsc_khz ? o->tsc_khz : tsc_khz_calibrate();
    if (!khz) {
        work_fail(o, "no TSC rate (pass tsc_khz=)");
        return -1;
    }
    timeout_tsc = khz * 10000;
    struct blk_opts oo = *o;
    oo.tsc_khz = khz;
    /* Indirect descriptors by default when qd chains of 3 would not fit the ring. */
    if (oo.indirect < 0)
        oo.indirect = oo.qd * 3 > (oo.qsize ? oo.qsize : 256);
    if (setup(&oo, f, nq) < 0) {
        work_fail(o, "device setup failed");
        return -1;
    }
    res.capacity = capacity;
    res.ro = (int)((dev.features >> F_RO) & 1);
    struct blk_dev b = { .dev = &dev, .q = vqs, .nq = nq, .capacity = capacity, .seg_len = seg_len,
                         .seg_max = seg_max, .flush = (int)((dev.features >> F_FLUSH) & 1), .tsc_khz = khz };
    int r = work_run(&oo, &b);
    if (r < 0)
        vdev_failed(&dev);
    else
        vdev_reset(&dev);
    return r;
}

int blk_run(const struct blk_opts *o)
{
    const char *op = o->op;
    size_t n = o->op_len;
#define IS(s) (n == sizeof(s) - 1 && !memcmp(op, s, n))
    res.legacy = o->legacy;
    if (IS("list")) {
        res.op = "list";
        blk_list(o);
        return 0;
    }
    res.op = IS("sha256") ? "sha256" : IS("read") ? "read" : IS("id") ? "id" : IS("write") ? "write"
           : IS("corrupt") ? "corrupt" : IS("bench") ? "bench" : IS("verify") ? "verify"
           : IS("durable") ? "durable" : IS("recover") ? "recover" : 0;
    if (!res.op) {
        kprintf("warning: unknown blk command, expected "
                "sha256|read|id|write|corrupt|recover|list|bench|verify|durable[:DEV]\n");
        return 0;
    }
    if (work_op(op, n))
        return run_work(o);
    const struct pci_func *f = 0;
    int found;
    if (find_blk(&found, o->dev, &f) < 0) {
        kprintf("error: blk: no virtio-blk device %d (found %d)\n", o->dev, found);
        res.op = 0;
        return -1;
    }
    res.dev = pci_name(f->bdf);
    qd = o->qd < 1 ? 1 : o->qd > MAX_QD ? MAX_QD : (unsigned)o->qd;
    uint64_t khz = o->tsc_khz;
    if (!khz && (IS("sha256") || IS("read") || IS("recover")))
        khz = tsc_khz_calibrate();
    /* 10 s at the calibrated rate, or 3e10 cycles. */
    timeout_tsc = khz ? khz * 10000 : 30000000000ull;
    if (setup(o, f, 1) < 0)
        return -1;
    res.capacity = capacity;
    res.ro = (int)((dev.features >> F_RO) & 1);
    int r = IS("id") ? do_id() : IS("write") ? do_write(o) : IS("corrupt") ? do_corrupt()
          : IS("recover") ? do_recover(o, f, khz) : read_all(IS("sha256"), khz);
#undef IS
    if (r < 0)
        vdev_failed(&dev);
    else
        vdev_reset(&dev);
    return r;
}

void blk_result_json(void)
{
    if (!res.op)
        return;
    kprintf(",\"blk_op\":\"%s\",\"virtio\":\"%s\"", res.op, res.legacy ? "legacy" : "modern");
    if (!res.dev)
        return;
    kprintf(",\"blk_dev\":\"%s\",\"blk_capacity\":%llu,\"blk_ro\":%d", res.dev,
            (unsigned long long)res.capacity, res.ro);
    if (res.have_rw)
        kprintf(",\"blk_bytes\":%llu,\"blk_tsc\":%llu,\"blk_io_tsc\":%llu,\"blk_mbps\":%llu.%llu,"
                "\"blk_io_mbps\":%llu.%llu,\"blk_kicks\":%llu,\"blk_irqs\":%llu",
                (unsigned long long)res.bytes, (unsigned long long)res.tsc, (unsigned long long)res.io_tsc,
                (unsigned long long)res.mbps10 / 10, (unsigned long long)res.mbps10 % 10,
                (unsigned long long)res.io_mbps10 / 10, (unsigned long long)res.io_mbps10 % 10,
                (unsigned long long)vq.kicks, (unsigned long long)irq_vq_count[0]);
    if (res.have_sha)
        kprintf(",\"blk_sha256\":\"%s\"", res.sha);
    if (res.have_id)
        kprintf(",\"blk_id\":\"%s\"", res.id);
    if (res.status >= 0)
        kprintf(",\"blk_status\":%d", res.status);
    if (res.op[0] == 'w')
        kprintf(",\"blk_written\":%llu,\"blk_flush\":%d,\"blk_verify\":\"%s\"", (unsigned long long)res.bytes,
                res.flush, res.verify < 0 ? "skipped" : res.verify ? "ok" : "bad");
}
