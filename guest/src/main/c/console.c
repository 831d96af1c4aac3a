/*
 * console.c -- COM1 output and a tiny printf.
 *
 * Every port access is a VM exit (~24 us on PVM), so output is formatted into
 * a buffer and sent in bursts: one LSR poll, then up to a FIFO's worth of
 * bytes (LSR.THRE with the FIFO on means the whole transmit FIFO is empty).
 */
#include "guest.h"

#define COM1 0x3f8
#define THR  (COM1 + 0)
#define DLL  (COM1 + 0)
#define IER  (COM1 + 1)
#define DLM  (COM1 + 1)
#define FCR  (COM1 + 2)
#define IIR  (COM1 + 2)
#define LCR  (COM1 + 3)
#define LSR  (COM1 + 5)

static unsigned fifo = 1;       /* bytes we may send per THRE */

void uart_init(void)
{
    outb(IER, 0x00);            /* no interrupts: we poll */
    outb(LCR, 0x80);            /* DLAB on */
    outb(DLL, 1);               /* divisor 1 = 115200 baud */
    outb(DLM, 0);
    outb(LCR, 0x03);            /* 8N1, DLAB off */
    outb(FCR, 0x07);            /* FIFO on, clear both */
    /* IIR bits 7:6 = 11 only on a UART that really has the 16-byte FIFO. */
    fifo = (inb(IIR) & 0xc0) == 0xc0 ? 16 : 1;
}

static void uart_write(const char *s, size_t n)
{
    while (n) {
        while (!(inb(LSR) & 0x20))
            cpu_pause();
        for (unsigned i = 0; i < fifo && n; i++, n--)
            outb(THR, (uint8_t)*s++);
    }
}

struct buf {
    char b[256];
    size_t n;
};

static void put(struct buf *o, char c)
{
    if (o->n == sizeof o->b) {
        uart_write(o->b, o->n);
        o->n = 0;
    }
    o->b[o->n++] = c;
}

static void put_num(struct buf *o, uint64_t v, unsigned base, int neg, int width, char pad)
{
    char t[24];
    int i = 0;
    do {
        t[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        t[i++] = '-';
    for (; width > i; width--)
        put(o, pad);
    while (i)
        put(o, t[--i]);
}

/* Supports %[0][width][l|ll|z](d|u|x) %s %c %%: all the guest needs. */
void kprintf(const char *fmt, ...)
{
    struct buf o;
    va_list ap;
    o.n = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, lng = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z')
            lng = 1, fmt++;
        switch (*fmt) {
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_num(&o, v, *fmt == 'x' ? 16 : 10, 0, width, pad);
            break;
        }
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(&o, *s);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        default:                /* unknown: show it verbatim */
            put(&o, '%');
            if (!*fmt)
                goto out;
            put(&o, *fmt);
        }
    }
out:
    va_end(ap);
    uart_write(o.b, o.n);
}
