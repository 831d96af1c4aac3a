/*
 * irq.c -- interrupt mode (irq=1) at CPL3: IDT gates for the MSI-X vectors,
 * the 8259s masked, the xAPIC software-enabled, and IF=1 by way of `int3`
 * (sti and popf cannot set IF at CPL3). The handlers are in boot.S.
 */
#include "virtio.h"

extern char irq_sti[], irq_vq[], irq_cfg[], irq_spurious[], irq_vqn[];
extern uint8_t idt[];

static void gate(unsigned vec, const void *handler, unsigned dpl)
{
    uint64_t h = (uintptr_t)handler;
    volatile uint32_t *e = (volatile uint32_t *)(idt + 16 * vec);
    e[0] = (uint32_t)(h & 0xffff) | 0x08u << 16;                   /* offset 15:0, kernel CS */
    e[1] = (uint32_t)(h & 0xffff0000) | (0x8eu | dpl << 5) << 8;   /* present interrupt gate */
    e[2] = (uint32_t)(h >> 32);
    e[3] = 0;
}

void irq_setup(void)
{
    static int done;
    if (done++)
        return;
    gate(IRQ_VEC_VQ, irq_vq, 0);
    gate(IRQ_VEC_CFG, irq_cfg, 0);
    for (unsigned q = 1; q < VQ_MAX_QUEUES; q++)
        gate(IRQ_VEC_VQN + q, irq_vqn + 32 * (q - 1), 0);
    gate(0xff, irq_spurious, 0);
    gate(3, irq_sti, 3);
    outb(0x21, 0xff);                   /* both 8259s masked: only MSIs arrive */
    outb(0xa1, 0xff);
    irq_cpu_on();
}

/* Per CPU: the IDT is shared, the LAPIC and IF are not. */
void irq_cpu_on(void)
{
    mmio_w32(0xfee00080, 0);            /* TPR: accept every class */
    mmio_w32(0xfee000f0, 0x1ff);        /* SVR: APIC software-enabled, spurious vector 0xff */
    __asm__ volatile("int3" ::: "memory");
}
