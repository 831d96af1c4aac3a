/* sha256.h -- SHA-256 (sha256.c); no other dependency, so the host test can build it. */
#ifndef VIREO_SHA256_H
#define VIREO_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    unsigned n;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);

#endif
