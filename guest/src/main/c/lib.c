/* lib.c -- the few libc routines gcc may call even with -ffreestanding. */
#include "guest.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* A bump allocator over the RAM after the image (main.c finds it in the
 * memory map): the workloads' rings and buffers, sized at run time. Never freed. */
static uint64_t heap_next, heap_end;

void heap_init(uint64_t start, uint64_t end)
{
    heap_next = start;
    heap_end = end;
}

uint64_t heap_free_bytes(void)
{
    return heap_end > heap_next ? heap_end - heap_next : 0;
}

void *heap_alloc(uint64_t bytes, uint64_t align)
{
    if (align < 8)
        align = 8;
    bytes = (bytes + 7) & ~7ull;
    uint64_t p = (heap_next + align - 1) & ~(align - 1);
    if (p < heap_next || p + bytes < p || p + bytes > heap_end)
        return 0;
    heap_next = p + bytes;
    uint64_t *w = (uint64_t *)(uintptr_t)p;     /* zero a word at a time: the heap is 8-aligned */
    for (uint64_t i = 0; i < bytes / 8; i++)
        w[i] = 0;
    return w;
}
