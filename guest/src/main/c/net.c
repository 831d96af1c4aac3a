/*
 * net.c -- virtio-net (virtio 1.2 §5.1) over virtio.c, with just enough
 * Ethernet, ARP, IPv4 and ICMP to ping a host and to run an echo
 * request/response load against it.
 *
 * Queue 0 receives, queue 1 transmits; no control queue, one queue pair.
 * Every buffer is one descriptor holding the 12-byte virtio_net_hdr_v1 and
 * then the frame:
 *
 *   +0  u8 flags  +1 u8 gso_type  +2 le16 hdr_len  +4 le16 gso_size
 *   +6  le16 csum_start  +8 le16 csum_offset  +10 le16 num_buffers
 *   +12 Ethernet: dst[6] src[6] type(be16)   +26 IPv4 (20 bytes)   +46 ICMP
 *
 * The driver accepts VERSION_1, MAC, STATUS, MTU, MRG_RXBUF (and EVENT_IDX
 * when asked); no checksum or segmentation offload, so every frame it gets
 * is whole and carries its own checksums, which it checks.
 *
 * The load (net=rr): up to qd ICMP echo requests in flight, each with id
 * 0x5652, its sequence number in the ICMP seq field and in the first 8
 * payload bytes, the rest of the payload a pattern of the sequence number:
 * byte j of word k (k >= 1) of request s is byte j of
 * splitmix64(seed + s * 256 + k) (see work.c). Every reply is matched to
 * its request and checked byte for byte: lost (never answered), corrupt
 * (a wrong byte or checksum), unexpected (not in flight: a duplicate).
 * Latency: TSC at the avail idx store that publishes the request -> TSC
 * when the RX poll that finds the reply starts.
 *
 * The peer is the host's kernel (it answers ARP and echo requests on the
 * tap) or, with peer=reflect, a device that returns every frame with the
 * MAC addresses swapped (Vireo's --net loopback): then the request itself
 * comes back and counts as its reply.
 */
#include "net.h"
#include "hist.h"
#include "virtio.h"

/* Feature bits (§5.1.3) and device configuration (§5.1.4). */
enum { F_MTU = 3, F_MAC = 5, F_MRG_RXBUF = 15, F_STATUS = 16 };
enum { CFG_MAC = 0, CFG_STATUS = 6, CFG_MTU = 10 };
#define NET_S_LINK_UP   1

#define HDR         12                  /* virtio_net_hdr_v1 (§5.1.6): VERSION_1 always has num_buffers */
#define BUF         2048                /* per buffer: header + the largest frame, 1514 bytes, fits */
#define ETH         14
#define IPH         20
#define ICMPH       8
#define ECHO_ID     0x5652              /* "VR" */
#define PEND        1024                /* in-flight table, indexed by sequence & (PEND - 1) */
#define MAX_QD      256
#define MAX_LEN     1472                /* ICMP payload in a 1500-byte IPv4 packet */
#define MIN_LEN     8                   /* the sequence number */
#define MARK_START  0xB0
#define MARK_END    0xB1

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

typedef uint64_t u64u __attribute__((aligned(1), may_alias));

static struct {
    const char *op;                     /* ping|rr|info */
    size_t op_len;
    int dev;                            /* index among virtio-net functions; -1 = last */
    uint32_t ip, peer;
    int reflect;
    uint64_t len;
} nopt = { .ip = IP4(10, 77, 0, 2), .peer = IP4(10, 77, 0, 1), .len = 56 };

static struct vdev dev;
static struct vq rxq, txq;
static uint8_t *rxbuf, *txbuf;          /* rxq.num / txq.num buffers of BUF bytes */
static int16_t *rx_head_buf, *tx_head_slot;     /* ring head -> buffer */
static uint16_t *tx_free;
static unsigned tx_nfree;
static uint8_t mac[6], peer_mac[6];
static int have_peer_mac, mrg;
static uint64_t khz, seed;

struct pend {
    uint64_t seq, t0;
    uint8_t busy;
};
static struct pend *pend;
static uint64_t next_seq;
static uint32_t hist[HBUCKETS];

/* Counters of one phase (ctr) and of the whole run (arp answers, other frames). */
static struct {
    uint64_t sent, received, corrupt, unexpected, inflight, lat_sum, lat_max, t_end;
    uint64_t tx_publishes, tx_kicks, rx_publishes, rx_kicks, irqs;
} ctr;
static uint64_t rx_frames, rx_bad, rx_other, arp_answered, echo_answered, tx_dropped;
static int print_each;                  /* net=ping: a line per reply */

static struct {
    const char *op, *dev;
    uint64_t packets, lost, corrupt;
    int ran;
} res;

/* ---- options ---- */

static int parse_ip(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0, part = 0;
    int dots = 0, digits = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!digits || part > 255)
                return 0;
            v = v << 8 | part;
            part = 0, digits = 0;
            if (i < n)
                dots++;
        } else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
            part = part * 10 + (uint32_t)(s[i] - '0');
            digits++;
        } else {
            return 0;
        }
    }
    if (dots != 3)
        return 0;
    *out = v;
    return 1;
}

static int is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && !memcmp(s, want, n);
}

int net_key(const char *k, size_t kn, const char *v, size_t vn)
{
    if (is(k, kn, "net")) {
        size_t i = 0;
        while (i < vn && v[i] != ':')
            i++;
        nopt.op = v, nopt.op_len = i;
        if (i < vn) {
            const char *d = v + i + 1;
            size_t dn = vn - i - 1;
            uint64_t x = 0;
            int ok = dn > 0 && dn < 4;
            for (size_t j = 0; ok && j < dn; j++)
                ok = d[j] >= '0' && d[j] <= '9', x = x * 10 + (uint64_t)(d[j] - '0');
            if (is(d, dn, "last"))
                nopt.dev = -1;
            else if (ok)
                nopt.dev = (int)x;
            else
                kprintf("warning: bad net device, using 0\n");
        }
    } else if (is(k, kn, "ip")) {
        if (!parse_ip(v, vn, &nopt.ip))
            kprintf("warning: ip= expects a.b.c.d\n");
    } else if (is(k, kn, "peer")) {
        if (is(v, vn, "reflect"))
            nopt.reflect = 1;
        else if (!parse_ip(v, vn, &nopt.peer))
            kprintf("warning: peer= expects a.b.c.d or reflect\n");
    } else if (is(k, kn, "len")) {
        uint64_t x = 0;
        size_t j = 0;
        for (; j < vn && v[j] >= '0' && v[j] <= '9' && x < 100000; j++)
            x = x * 10 + (uint64_t)(v[j] - '0');
        if (!vn || j != vn || x < MIN_LEN || x > MAX_LEN)
            kprintf("warning: len= expects %u..%u, using %llu\n", MIN_LEN, MAX_LEN, (unsigned long long)nopt.len);
        else
            nopt.len = x;
    } else {
        return 0;
    }
    return 1;
}

int net_wanted(void)
{
    return nopt.op != 0;
}

/* ---- bytes on the wire ---- */

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }
static inline uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* RFC 1071 one's complement sum; 0 when a block with its checksum in place is intact. */
static uint16_t csum(const uint8_t *p, uint32_t n)
{
    uint64_t s = 0;
    for (; n >= 2; n -= 2, p += 2)
        s += get16(p);
    if (n)
        s += (uint32_t)p[0] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static inline uint64_t splitmix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Payload of request s: word 0 = s, word k = splitmix64(seed + s * 256 + k), little-endian, cut at len. */
static void fill_payload(uint8_t *p, uint64_t s, uint32_t len)
{
    *(u64u *)p = s;
    uint32_t k = 1;
    for (; 8 * k + 8 <= len; k++)
        *(u64u *)(p + 8 * k) = splitmix64(seed + s * 256 + k);
    uint64_t w = splitmix64(seed + s * 256 + k);
    for (uint32_t j = 8 * k; j < len; j++, w >>= 8)
        p[j] = (uint8_t)w;
}

static int payload_ok(const uint8_t *p, uint64_t s, uint32_t len)
{
    uint32_t k = 1;
    for (; 8 * k + 8 <= len; k++)
        if (*(const u64u *)(p + 8 * k) != splitmix64(seed + s * 256 + k))
            return 0;
    uint64_t w = splitmix64(seed + s * 256 + k);
    for (uint32_t j = 8 * k; j < len; j++, w >>= 8)
        if (p[j] != (uint8_t)w)
            return 0;
    return 1;
}

static void eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, type);
}

/* IPv4 header: no options, DF, TTL 64. */
static void ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint32_t payload)
{
    p[0] = 0x45, p[1] = 0;
    put16(p + 2, (uint16_t)(IPH + payload));
    put16(p + 4, 0);
    put16(p + 6, 0x4000);
    p[8] = 64, p[9] = proto;
    put16(p + 10, 0);
    put32(p + 12, src);
    put32(p + 16, dst);
    put16(p + 10, csum(p, IPH));
}

static const char *mac_str(const uint8_t *m)
{
    static char s[2][18];
    static unsigned slot;
    char *o = s[slot++ & 1];
    for (int i = 0; i < 6; i++) {
        o[3 * i] = "0123456789abcdef"[m[i] >> 4];
        o[3 * i + 1] = "0123456789abcdef"[m[i] & 15];
        o[3 * i + 2] = i < 5 ? ':' : 0;
    }
    return o;
}

/* ---- the queues ---- */

static void rx_post(unsigned i)
{
    struct vbuf b = { (uintptr_t)rxbuf + (uint64_t)i * BUF, BUF, 1 };
    int head = vq_add(&rxq, &b, 1, 0);
    if (head >= 0)                      /* never full: there are as many buffers as ring entries */
        rx_head_buf[head] = (int16_t)i;
}

/* Frees the buffers the device has sent; -1 on a used id that was not in flight. */
static int tx_reap(void)
{
    for (;;) {
        int head = vq_get(&txq, 0);
        if (head == -1)
            return 0;
        int slot = head >= 0 ? tx_head_slot[head] : -1;
        if (slot < 0) {
            kprintf("error: net: tx used id %d is not a frame in flight\n", head);
            return -1;
        }
        tx_head_slot[head] = -1;
        tx_free[tx_nfree++] = (uint16_t)slot;
    }
}

/* A transmit buffer's frame area (after the header), 0 if none is free. */
static uint8_t *tx_frame(unsigned *slot)
{
    if (!tx_nfree && (tx_reap() < 0 || !tx_nfree))
        return 0;
    *slot = tx_free[--tx_nfree];
    uint8_t *b = txbuf + (uint64_t)*slot * BUF;
    memset(b, 0, HDR);                  /* no offload: flags 0, gso NONE, num_buffers 0 (§5.1.6.2) */
    return b + HDR;
}

/* Queues the frame; the caller publishes. */
static void tx_queue(unsigned slot, uint32_t len)
{
    struct vbuf b = { (uintptr_t)txbuf + (uint64_t)slot * BUF, HDR + len, 0 };
    int head = vq_add(&txq, &b, 1, 0);
    tx_head_slot[head] = (int16_t)slot;         /* as many slots as ring entries: never full */
}

static void tx_publish(void)
{
    if (txq.avail_idx == txq.pub_idx)
        return;
    uint64_t k = txq.kicks;
    vq_publish(&dev, &txq);
    ctr.tx_publishes++;
    ctr.tx_kicks += txq.kicks - k;
}

/* ---- what comes in ---- */

static void arp_send(uint16_t op, const uint8_t *tha, uint32_t tpa)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    unsigned slot;
    uint8_t *f = tx_frame(&slot);
    if (!f) {
        tx_dropped++;
        return;
    }
    eth(f, op == 1 ? bcast : tha, 0x0806);
    uint8_t *a = f + ETH;
    put16(a, 1), put16(a + 2, 0x0800), a[4] = 6, a[5] = 4, put16(a + 6, op);
    memcpy(a + 8, mac, 6);
    put32(a + 14, nopt.ip);
    memset(a + 18, 0, 6);
    if (op == 2)
        memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    tx_queue(slot, ETH + 28);
}

static void arp_in(const uint8_t *f, uint32_t n)
{
    const uint8_t *a = f + ETH;
    if (n < ETH + 28 || get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) {
        rx_other++;
        return;
    }
    uint16_t op = get16(a + 6);
    uint32_t spa = get32(a + 14), tpa = get32(a + 24);
    if (spa == nopt.peer && !nopt.reflect && (op == 2 || tpa == nopt.ip)) {
        memcpy(peer_mac, a + 8, 6);
        have_peer_mac = 1;
    }
    if (op == 1 && tpa == nopt.ip) {
        arp_send(2, a + 8, spa);
        arp_answered++;
    }
}

/* A reply (or, reflected, the request itself) to request seq16: match, check, time. */
static void echo_in(const uint8_t *icmp, uint32_t icmp_len, uint64_t now)
{
    uint16_t seq16 = get16(icmp + 6);
    struct pend *p = &pend[seq16 & (PEND - 1)];
    if (get16(icmp + 4) != ECHO_ID || !p->busy || (uint16_t)p->seq != seq16) {
        ctr.unexpected++;
        return;
    }
    const uint8_t *pl = icmp + ICMPH;
    uint32_t len = icmp_len - ICMPH;
    if (len != nopt.len || *(const u64u *)pl != p->seq || !payload_ok(pl, p->seq, len))
        ctr.corrupt++;
    uint64_t lat = now - p->t0;
    p->busy = 0;
    ctr.inflight--;
    ctr.received++;
    ctr.lat_sum += lat;
    if (lat > ctr.lat_max)
        ctr.lat_max = lat;
    hist[hbucket(lat)]++;
    ctr.t_end = now;
    if (print_each)
        kprintf("net: reply seq=%llu bytes=%u from=%s rtt_ns=%llu\n", (unsigned long long)p->seq, len,
                nopt.reflect ? "reflect" : "peer", (unsigned long long)tsc_ns(lat, khz));
}

/* The host pings us: answer (same id, seq and payload). */
static void echo_answer(const uint8_t *f, const uint8_t *icmp, uint32_t icmp_len, uint32_t src)
{
    unsigned slot;
    uint8_t *o = tx_frame(&slot);
    if (!o) {
        tx_dropped++;
        return;
    }
    eth(o, f + 6, 0x0800);
    ipv4(o + ETH, nopt.ip, src, 1, icmp_len);
    uint8_t *c = o + ETH + IPH;
    memcpy(c, icmp, icmp_len);
    c[0] = 0, c[1] = 0;
    put16(c + 2, 0);
    put16(c + 2, csum(c, icmp_len));
    tx_queue(slot, ETH + IPH + icmp_len);
    echo_answered++;
}

static void ipv4_in(const uint8_t *f, uint32_t n, uint64_t now)
{
    const uint8_t *ip = f + ETH;
    if (n < ETH + IPH || ip[0] != 0x45) {       /* no options: neither side sends any */
        rx_other++;
        return;
    }
    uint32_t tot = get16(ip + 2), src = get32(ip + 12), dst = get32(ip + 16);
    if (tot < IPH + ICMPH || tot > n - ETH || ip[9] != 1) {
        rx_other++;
        return;
    }
    const uint8_t *icmp = ip + IPH;
    uint32_t icmp_len = tot - IPH;
    int reflected = nopt.reflect && src == nopt.ip && dst == nopt.peer && icmp[0] == 8;
    if (!reflected && dst != nopt.ip) {
        rx_other++;
        return;
    }
    if (csum(ip, IPH) || csum(icmp, icmp_len)) {
        if (icmp[0] == 0 || reflected)
            ctr.corrupt++;              /* a reply we cannot trust: it stays in flight, so it is also lost */
        else
            rx_bad++;
        return;
    }
    if ((icmp[0] == 0 && src == nopt.peer) || reflected)
        echo_in(icmp, icmp_len, now);
    else if (icmp[0] == 8 && icmp[1] == 0 && !nopt.reflect)
        echo_answer(f, icmp, icmp_len, src);
    else
        rx_other++;
}

/* Takes every received frame, answers what needs an answer, gives the buffers back; returns how many. */
static int rx_poll(void)
{
    if (rxq.used[1] == rxq.last_used)
        return 0;
    uint64_t now = rdtsc();
    int n = 0;
    for (;;) {
        uint32_t len;
        int head = vq_get(&rxq, &len);
        if (head == -1)
            break;
        int bi = head >= 0 ? rx_head_buf[head] : -1;
        if (bi < 0) {
            kprintf("error: net: rx used id %d is not a buffer in flight\n", head);
            return -1;
        }
        rx_head_buf[head] = -1;
        const uint8_t *b = rxbuf + (uint64_t)bi * BUF;
        rx_frames++;
        n++;
        /* §5.1.6.4: one buffer per frame here (each holds the largest); num_buffers says so with MRG_RXBUF. */
        if (len < HDR + ETH || len > BUF || (mrg && (b[10] | b[11] << 8) != 1) || b[0] || b[1]) {
            rx_bad++;
        } else {
            const uint8_t *f = b + HDR;
            uint32_t fl = len - HDR;
            uint16_t type = get16(f + 12);
            if (memcmp(f, mac, 6) && !(f[0] & 1))
                rx_other++;             /* not for us */
            else if (type == 0x0806)
                arp_in(f, fl);
            else if (type == 0x0800)
                ipv4_in(f, fl, now);
            else
                rx_other++;             /* IPv6 neighbour discovery and the like */
        }
        rx_post((unsigned)bi);
    }
    uint64_t k = rxq.kicks;
    vq_publish(&dev, &rxq);
    ctr.rx_publishes++;
    ctr.rx_kicks += rxq.kicks - k;
    tx_publish();                       /* answers to ARP or pings */
    return n;
}

/* ---- set-up ---- */

static int find_net(int want, const struct pci_func **out, int *count)
{
    int n = 0;
    for (int i = 0; i < pci_nfuncs; i++) {
        const struct pci_func *f = &pci_funcs[i];
        /* §4.1.2.1: 0x1041 modern; 0x1000 transitional network card. */
        if (f->vendor != VIRTIO_VENDOR || (f->device != 0x1041 && f->device != 0x1000))
            continue;
        if (want == n || want == -1)
            *out = f;
        n++;
    }
    *count = n;
    return *out ? 0 : -1;
}

static int setup(const struct blk_opts *o, const struct pci_func *f)
{
    if (vdev_open(&dev, f, 0) < 0 || vdev_begin(&dev) < 0)
        return -1;
    uint64_t accept = 1ull << VIRTIO_F_VERSION_1 | 1ull << F_MAC | 1ull << F_STATUS | 1ull << F_MTU |
                      1ull << F_MRG_RXBUF;
    if (o->event_idx)
        accept |= 1ull << VIRTIO_F_EVENT_IDX;
    if (vdev_negotiate(&dev, accept) < 0)
        return -1;
    uint64_t ft = dev.features;
    mrg = (int)((ft >> F_MRG_RXBUF) & 1);
    if (ft & (1ull << F_MAC)) {
        for (int i = 0; i < 6; i++)
            mac[i] = vdev_cfg8(&dev, CFG_MAC + (unsigned)i);
    } else {
        static const uint8_t dflt[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        memcpy(mac, dflt, 6);
    }
    uint16_t mtu = ft & (1ull << F_MTU) ? vdev_cfg16(&dev, CFG_MTU) : 0;
    if (mtu && mtu < IPH + ICMPH + nopt.len) {
        kprintf("error: net: len=%llu does not fit the device's MTU %u\n", (unsigned long long)nopt.len, mtu);
        goto fail;
    }
    if (o->irq && vdev_msix(&dev, 1, 0) < 0)
        goto fail;
    uint16_t qsize = (uint16_t)(o->qsize && o->qsize <= 1024 ? o->qsize : 256);
    void *rmem = heap_alloc(VQ_MEM_BYTES, 4096), *tmem = heap_alloc(VQ_MEM_BYTES, 4096);
    if (!rmem || !tmem)
        goto oom;
    /* Interrupts, when asked for, only for receive: sent frames are reaped as the loop goes. */
    if (vdev_queue(&dev, &rxq, 0, qsize, rmem, o->irq) < 0 || vdev_queue(&dev, &txq, 1, qsize, tmem, 0) < 0)
        goto fail;
    rxbuf = heap_alloc((uint64_t)rxq.num * BUF, 4096);
    txbuf = heap_alloc((uint64_t)txq.num * BUF, 4096);
    rx_head_buf = heap_alloc(2ull * rxq.num, 8);
    tx_head_slot = heap_alloc(2ull * txq.num, 8);
    tx_free = heap_alloc(2ull * txq.num, 8);
    pend = heap_alloc(sizeof *pend * PEND, 64);
    if (!rxbuf || !txbuf || !rx_head_buf || !tx_head_slot || !tx_free || !pend)
        goto oom;
    for (unsigned i = 0; i < txq.num; i++)
        tx_head_slot[i] = -1, tx_free[i] = (uint16_t)(txq.num - 1 - i);
    tx_nfree = txq.num;
    for (unsigned i = 0; i < rxq.num; i++)
        rx_head_buf[i] = -1;
    if (o->irq)
        irq_setup();
    if (vdev_driver_ok(&dev) < 0)
        goto fail;
    /* §5.1.6.3: receive buffers go in after DRIVER_OK... (QEMU drops frames until they do). */
    for (unsigned i = 0; i < rxq.num; i++)
        rx_post(i);
    vq_publish(&dev, &rxq);
    uint16_t st = ft & (1ull << F_STATUS) ? vdev_cfg16(&dev, CFG_STATUS) : NET_S_LINK_UP;
    kprintf("net: dev=%s features=0x%llx/0x%llx mac=%s link=%s mtu=%u queue=%u/%u%s%s%s\n", pci_name(f->bdf),
            (unsigned long long)ft, (unsigned long long)dev.dev_features, mac_str(mac),
            st & NET_S_LINK_UP ? "up" : "down", mtu, rxq.num, txq.num, mrg ? " mrg_rxbuf" : "",
            rxq.event_idx ? " event_idx" : "", o->irq ? " irq=msix" : "");
    return 0;
oom:
    kprintf("error: net: out of memory for the rings and buffers (heap free %llu)\n",
            (unsigned long long)heap_free_bytes());
fail:
    vdev_failed(&dev);
    return -1;
}

/* Who-has peer until the peer says (up to 5 tries, 1 s apart). */
static int resolve_peer(uint64_t timeout)
{
    static const uint8_t reflect_mac[6] = { 0x02, 0x56, 0x52, 0x00, 0x00, 0x01 };
    if (nopt.reflect) {
        memcpy(peer_mac, reflect_mac, 6);
        return 0;
    }
    for (int tries = 0; tries < 5 && !have_peer_mac; tries++) {
        arp_send(1, 0, nopt.peer);
        tx_publish();
        uint64_t t0 = rdtsc();
        while (!have_peer_mac && rdtsc() - t0 < timeout / 5) {
            if (rx_poll() < 0 || tx_reap() < 0)
                return -1;
            cpu_pause();
        }
    }
    uint32_t p = nopt.peer;
    if (!have_peer_mac) {
        kprintf("error: net: no ARP answer from %u.%u.%u.%u\n", p >> 24, p >> 16 & 255, p >> 8 & 255, p & 255);
        return -1;
    }
    kprintf("net: arp peer=%u.%u.%u.%u mac=%s\n", p >> 24, p >> 16 & 255, p >> 8 & 255, p & 255, mac_str(peer_mac));
    return 0;
}

/* ---- the load ---- */

static void send_echo(unsigned slot, uint8_t *f)
{
    uint64_t s = next_seq++;
    uint32_t len = (uint32_t)nopt.len;
    eth(f, peer_mac, 0x0800);
    ipv4(f + ETH, nopt.ip, nopt.peer, 1, ICMPH + len);
    uint8_t *c = f + ETH + IPH;
    c[0] = 8, c[1] = 0;
    put16(c + 2, 0);
    put16(c + 4, ECHO_ID);
    put16(c + 6, (uint16_t)s);
    fill_payload(c + ICMPH, s, len);
    put16(c + 2, csum(c, ICMPH + len));
    tx_queue(slot, ETH + IPH + ICMPH + len);
    struct pend *p = &pend[s & (PEND - 1)];
    p->seq = s, p->busy = 1;
    ctr.inflight++;
    ctr.sent++;
}

/* Up to qd in flight until max requests were sent or the deadline passed, then drains. Returns 0, or -1 when a
 * queue broke; requests unanswered after timeout stay counted in ctr.inflight (lost). */
static int run_load(unsigned qd, uint64_t max, uint64_t deadline, uint64_t timeout, int irq)
{
    volatile uint64_t *irqs = &irq_vq_count[0];
    uint64_t irqs0 = *irqs, last = rdtsc();
    uint64_t batch[MAX_QD];
    int more = 1;
    for (;;) {
        uint64_t now = rdtsc();
        if (more && (ctr.sent >= max || (deadline && now >= deadline)))
            more = 0;
        unsigned added = 0;
        while (more && ctr.inflight < qd && ctr.sent < max) {
            /* A request still in flight PEND sequence numbers back holds its slot: wait for it (or its loss). */
            if (pend[next_seq & (PEND - 1)].busy)
                break;
            unsigned slot;
            uint8_t *f = tx_frame(&slot);
            if (!f)
                break;
            batch[added++] = next_seq;
            send_echo(slot, f);
        }
        if (added) {
            uint64_t t = rdtsc();       /* their clocks start at publish */
            for (unsigned i = 0; i < added; i++)
                pend[batch[i] & (PEND - 1)].t0 = t;
            tx_publish();
        }
        if (!ctr.inflight && !more)
            break;
        if (tx_reap() < 0)
            return -1;
        uint64_t seen = *irqs;
        if (irq)
            vq_arm(&rxq);
        int got = rx_poll();
        if (got < 0)
            return -1;
        if (got) {
            last = rdtsc();
            continue;
        }
        if (rdtsc() - last > timeout)
            break;                      /* what is in flight is lost */
        if (irq && (ctr.inflight >= qd || !more))
            while (*irqs == seen && rdtsc() - last <= timeout)
                cpu_pause();
        else
            cpu_pause();
    }
    ctr.irqs = *irqs - irqs0;
    return 0;
}

static void reset_phase(void)
{
    memset(&ctr, 0, sizeof ctr);
    memset(hist, 0, sizeof hist);
    for (unsigned i = 0; i < PEND; i++)
        pend[i].busy = 0;
}

static void print_result(const char *op, unsigned qd, uint64_t tsc, const char *completion)
{
    uint64_t n = ctr.received, us = tsc_ns(tsc, khz) / 1000;
    uint64_t pps = tsc ? muldiv(n, khz * 1000, tsc) : 0;
    kprintf("result: {\"op\":\"%s\",\"proto\":\"icmp\",\"peer\":\"%s\",\"len\":%llu,\"frame\":%llu,\"qd\":%u,"
            "\"packets\":%llu,\"sent\":%llu,\"lost\":%llu,\"corrupt\":%llu,\"unexpected\":%llu,", op,
            nopt.reflect ? "reflect" : "host", (unsigned long long)nopt.len,
            (unsigned long long)(ETH + IPH + ICMPH + nopt.len), qd, (unsigned long long)n,
            (unsigned long long)ctr.sent, (unsigned long long)ctr.inflight, (unsigned long long)ctr.corrupt,
            (unsigned long long)ctr.unexpected);
    kprintf("\"secs\":%llu.%03llu,\"pps\":%llu,", (unsigned long long)us / 1000000,
            (unsigned long long)us / 1000 % 1000, (unsigned long long)pps);
    kprintf("\"lat_mean_ns\":%llu,\"lat_p50_ns\":%llu,\"lat_p99_ns\":%llu,\"lat_p999_ns\":%llu,\"lat_max_ns\":%llu,",
            (unsigned long long)(n ? tsc_ns(ctr.lat_sum / n, khz) : 0),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 500, ctr.lat_max), khz),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 990, ctr.lat_max), khz),
            (unsigned long long)tsc_ns(hist_percentile(hist, n, 999, ctr.lat_max), khz),
            (unsigned long long)tsc_ns(ctr.lat_max, khz));
    kprintf("\"tsc_khz\":%llu,\"completion\":\"%s\",\"interrupts\":%llu,\"tx_kicks\":%llu,\"tx_publishes\":%llu,"
            "\"rx_kicks\":%llu,\"rx_frames\":%llu,\"rx_other\":%llu,\"rx_bad\":%llu,\"arp_answered\":%llu,"
            "\"echo_answered\":%llu}\n", (unsigned long long)khz, completion, (unsigned long long)ctr.irqs,
            (unsigned long long)ctr.tx_kicks, (unsigned long long)ctr.tx_publishes, (unsigned long long)ctr.rx_kicks,
            (unsigned long long)rx_frames, (unsigned long long)rx_other, (unsigned long long)rx_bad,
            (unsigned long long)arp_answered, (unsigned long long)echo_answered);
}

static void fail_line(const char *op, const char *why)
{
    kprintf("result: {\"op\":\"%s\",\"error\":\"%s\"}\n", op, why);
}

int net_run(const struct blk_opts *o)
{
    int ping = is(nopt.op, nopt.op_len, "ping"), rr = is(nopt.op, nopt.op_len, "rr");
    int info = is(nopt.op, nopt.op_len, "info");
    if (!ping && !rr && !info) {
        kprintf("warning: unknown net command, expected ping|rr|info[:DEV]\n");
        return 0;
    }
    const char *op = ping ? "ping" : rr ? "rr" : "info";
    res.op = op;
    const struct pci_func *f = 0;
    int found;
    if (find_net(nopt.dev, &f, &found) < 0) {
        kprintf("error: net: no virtio-net device %d (found %d)\n", nopt.dev, found);
        fail_line(op, "no virtio-net device");
        return -1;
    }
    res.dev = pci_name(f->bdf);
    khz = o->tsc_khz ? o->tsc_khz : tsc_khz_calibrate();
    if (!khz) {
        fail_line(op, "no TSC rate (pass tsc_khz=)");
        return -1;
    }
    seed = o->seed_set ? o->seed : 1;
    if (setup(o, f) < 0) {
        fail_line(op, "device setup failed");
        return -1;
    }
    res.ran = 1;
    if (info) {
        vdev_reset(&dev);
        return 0;
    }
    uint64_t timeout = khz * 5000;      /* 5 s without a reply: what is in flight is lost */
    if (resolve_peer(timeout) < 0) {
        fail_line(op, "peer did not answer ARP");
        vdev_failed(&dev);
        return -1;
    }
    unsigned qd = ping ? 1 : (unsigned)(o->qd ? (o->qd > MAX_QD ? MAX_QD : o->qd) : 1);
    if (qd >= txq.num)
        qd = txq.num / 2;               /* room for ARP answers beside the requests */
    const char *completion = o->irq ? "irq" : "poll";
    if (rr && o->warmup) {
        reset_phase();
        if (run_load(qd, o->warmup, 0, timeout, o->irq) < 0 || ctr.inflight || ctr.corrupt) {
            kprintf("error: net: warm-up: %llu of %llu requests lost, %llu corrupt\n",
                    (unsigned long long)ctr.inflight, (unsigned long long)ctr.sent, (unsigned long long)ctr.corrupt);
            fail_line(op, "warm-up lost packets");
            vdev_failed(&dev);
            return -1;
        }
    }
    reset_phase();
    uint64_t max = ping ? (o->count ? o->count : 4) : o->ios ? o->ios : ~0ull;
    uint64_t secs = ping || o->ios ? o->secs : o->secs ? o->secs : 2;
    print_each = ping;
    kprintf("net: %s proto=icmp len=%llu qd=%u %s=%llu completion=%s\n", op, (unsigned long long)nopt.len, qd,
            max != ~0ull ? "packets" : "secs", (unsigned long long)(max != ~0ull ? max : secs), completion);
    outb(0x80, MARK_START);
    uint64_t t0 = rdtsc();
    int r = run_load(qd, max, secs ? t0 + secs * khz * 1000 : 0, timeout, o->irq);
    outb(0x80, MARK_END);
    if (r < 0) {
        fail_line(op, "a queue broke");
        vdev_failed(&dev);
        return -1;
    }
    if (!ctr.t_end)
        ctr.t_end = t0;
    hist_print("net", hist, khz);
    print_result(op, qd, ctr.t_end - t0, completion);
    res.packets = ctr.received, res.lost = ctr.inflight, res.corrupt = ctr.corrupt;
    if (ctr.inflight || ctr.corrupt)
        kprintf("error: net: %llu of %llu requests lost, %llu corrupt\n", (unsigned long long)ctr.inflight,
                (unsigned long long)ctr.sent, (unsigned long long)ctr.corrupt);
    vdev_reset(&dev);
    return ctr.inflight || ctr.corrupt ? 1 : 0;
}

void net_result_json(void)
{
    if (!res.op)
        return;
    kprintf(",\"net_op\":\"%s\"", res.op);
    if (res.dev)
        kprintf(",\"net_dev\":\"%s\"", res.dev);
    if (res.ran && res.op[0] != 'i')
        kprintf(",\"net_packets\":%llu,\"net_lost\":%llu,\"net_corrupt\":%llu", (unsigned long long)res.packets,
                (unsigned long long)res.lost, (unsigned long long)res.corrupt);
}
