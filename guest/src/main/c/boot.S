/*
 * boot.S -- the only CPL0 code of the test guest.
 *
 * On PVM-backed KVM every CPL0 instruction is emulated (2-6 us each), so this
 * file is deliberately straight-line: no loops, no calls, no stack use before
 * the drop to CPL3. Everything that can be a constant (page tables, GDT, TSS,
 * IDT, the iretq frame) is assembled into .data; the descriptor fields that
 * need bit-slicing of link-time addresses come from guest.ld.
 *
 * Two 32-bit entries share one path:
 *   pvh_entry  Xen PVH (Vireo): EBX = struct hvm_start_info *
 *   mb_entry   Multiboot v1 (QEMU -kernel): EAX = 0x2BADB002, EBX = mbi *
 * Both: protected mode, paging off, flat CS/DS/ES/SS, no stack promised.
 */

#define KCODE   0x08
#define KDATA   0x10
#define UCODE   (0x18 | 3)
#define UDATA   (0x20 | 3)
#define TSSSEL  0x28

#define MAXQ    16              /* virtio.h VQ_MAX_QUEUES */
#define AP_TRAMP 0x8000         /* smp.h */

#define BOOT_PVH        1
#define BOOT_MULTIBOOT  2

/* Multiboot v1 header. Bit 16 = "a.out kludge": QEMU refuses 64-bit ELF
 * multiboot kernels but happily copies raw file bytes at load_addr when the
 * addresses are given here. Bit 1 asks for memory info (mmap). */
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00010002

        .section .text.boot, "ax"
        .code32
        .balign 4
mb_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long (-(MB_MAGIC + MB_FLAGS)) & 0xffffffff
        .long mb_header                 /* header_addr */
        .long __load_start              /* load_addr: file bytes start here */
        .long __load_end                /* load_end_addr: end of file-backed bytes */
        .long __bss_end                 /* bss_end_addr: QEMU zeroes up to here */
        .long mb_entry                  /* entry_addr */

        .globl pvh_entry
pvh_entry:
        mov $BOOT_PVH, %edi
        jmp 1f
mb_entry:
        mov $BOOT_MULTIBOOT, %edi
1:      mov %ebx, %esi                  /* cmain(boot, info): only the low 32 bits are used */
        lgdt gdt_ptr
        mov $0x620, %eax                /* PAE | OSFXSR | OSXMMEXCPT (the set PVM-PROBE tested) */
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $0xC0000080, %ecx           /* EFER: write LME directly, no rdmsr (one instruction less) */
        mov $0x100, %eax
        xor %edx, %edx
        wrmsr
        mov $0x80010033, %eax           /* PG | WP | NE | ET | MP | PE */
        mov %eax, %cr0
        ljmp $KCODE, $long64

        .code64
long64:
        mov $KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        mov $TSSSEL, %eax
        ltr %ax
        lidt idt_ptr(%rip)
        /* A prebuilt frame instead of five pushes. IF=0: no interrupts yet.
         * IOPL is irrelevant: PVM ignores it, ports open via the TSS bitmap.
         * On PVM this iretq bumps the insn_emulation_fail stat once but does
         * work (measured); lretq to CPL3 is no alternative (KVM's emulator
         * does not do far returns to an outer privilege level either). */
        lea to_user_frame(%rip), %rsp
        iretq

/*
 * Exception stubs: 32 of them, 16 bytes apart, so that the IDT (assembled
 * statically below) can compute each handler address as base + 16*vector.
 * Vectors without a CPU error code push a 0 so the frame looks the same.
 */
        .balign 512                     /* keeps base..base+511 within one 64 KiB: see guest.ld */
        .globl isr_stubs
isr_stubs:
        vec = 0
        .rept 32
        .balign 16
        .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        push $0
        .endif
        push $vec
        jmp isr_common
        vec = vec + 1
        .endr

/* Report at CPL3 rather than format text here, where each instruction is
 * emulated: hand vector/rip/err/cr2 to fault_report() in registers. */
isr_common:
        pop %rdi                        /* vector */
        pop %rdx                        /* error code */
        pop %rsi                        /* faulting RIP */
        mov %cr2, %rcx
        lea fault_frame(%rip), %rsp
        iretq

/*
 * Interrupt-mode helpers (irq=1). Their IDT gates are written at run time
 * by irq.c (the IDT is in user-writable .data); until then vectors 32-255
 * are not present. All run at CPL0, i.e. emulated on PVM: keep them short.
 *   irq_sti     gate 3 with DPL 3: `int3` at CPL3 returns with IF=1 (sti is
 *               privileged at CPL3 and popf silently keeps IF)
 *   irq_vq      MSI-X vector of the virtqueue: count, xAPIC EOI
 *   irq_cfg     MSI-X vector of config changes: count, xAPIC EOI
 *   irq_spurious the LAPIC's spurious vector: no EOI
 */
        .balign 16
        .globl irq_sti, irq_vq, irq_cfg, irq_spurious
irq_sti:
        orq $0x200, 16(%rsp)            /* RFLAGS.IF in the iretq frame */
        iretq
irq_vq:
        push %rax
        incq irq_vq_count(%rip)
        mov $0xfee000b0, %eax           /* does not fit a sign-extended disp32 */
        movl $0, (%rax)
        pop %rax
        iretq
irq_cfg:
        push %rax
        incq irq_cfg_count(%rip)
        mov $0xfee000b0, %eax
        movl $0, (%rax)
        pop %rax
        iretq
irq_spurious:
        iretq

/* MSI-X vectors of queues 1..MAXQ-1 (IRQ_VEC_VQN + q, one per queue, each
 * sent to the CPU that drives the queue): 32-byte stubs, irq.c computes
 * irq_vqn + 32 * (q - 1). Same shape as irq_vq: count, xAPIC EOI. */
        .balign 32
        .globl irq_vqn
irq_vqn:
        q = 1
        .rept MAXQ - 1
        .balign 32
        push %rax
        incq irq_vq_count + 8 * q(%rip)
        mov $0xfee000b0, %eax
        movl $0, (%rax)
        pop %rax
        iretq
        q = q + 1
        .endr

/*
 * Application processors (smp.c). smp.c copies ap_tramp..ap_tramp_end to
 * AP_TRAMP (below 1 MiB, page aligned), fills ap_gdtr, and sends
 * INIT-SIPI-SIPI with vector AP_TRAMP >> 12. The AP starts in real mode at
 * CS:IP = (AP_TRAMP >> 4):0 with DS base 0, and goes straight to long mode
 * (CR0.PE and PG in one write, then a far jump to a 64-bit code segment;
 * no 32-bit stop on the way): every instruction here is emulated on PVM, so
 * 12 real-mode + 9 long-mode instructions, then CPL3. The page tables and
 * the IDT are the BSP's; the GDT (same selectors, one TSS per AP) and the
 * TSS (rsp0 + the all-zero I/O bitmap) are the AP's own, built by smp.c.
 */
        .code16
        .globl ap_tramp, ap_tramp_end, ap_gdtr
ap_tramp:
        lgdtl AP_TRAMP + (ap_gdtr - ap_tramp)   /* DS base is 0 after INIT */
        mov $0x620, %eax                /* PAE | OSFXSR | OSXMMEXCPT, as on the BSP */
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $0xC0000080, %ecx           /* EFER.LME */
        mov $0x100, %eax
        xor %edx, %edx
        wrmsr
        mov $0x80010033, %eax           /* PG | WP | NE | ET | MP | PE: real mode -> IA-32e at once */
        mov %eax, %cr0
        ljmpl $KCODE, $ap_long64
        .balign 8
        .word 0
ap_gdtr: .word 0                        /* limit, base: written by smp.c */
        .long 0
ap_tramp_end:

        .code64
ap_long64:
        mov $KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        mov ap_boot_tr(%rip), %eax      /* this AP's TSS selector */
        ltr %ax
        lidt idt_ptr(%rip)
        mov ap_boot_frame(%rip), %rsp   /* its iretq frame: ap_user_entry at CPL3 */
        iretq

        .globl ap_user_entry
ap_user_entry:
        call ap_main
4:      pause
        jmp 4b

/* ---- CPL3 from here on: runs natively ---- */
user_entry:
        mov $0xc3, %al                  /* POST 0xC3 = "reached CPL3"; Vireo times boot with it */
        outb %al, $0x80
        call cmain
2:      pause
        jmp 2b

fault_entry:
        call fault_report               /* does not return */
3:      pause
        jmp 3b

/* Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18): 32-bit physical entry. */
        .section .note.Xen, "a", @note
        .balign 4
        .long 4                         /* namesz: "Xen\0" */
        .long 4                         /* descsz */
        .long 18                        /* type */
        .asciz "Xen"
        .long pvh_entry

        .data
/*
 * Page tables: identity map 0-4 GiB with 2 MiB pages, all U/S=1 so CPL3 sees
 * everything; 3-4 GiB (PCI MMIO, IOAPIC, LAPIC) with PCD|PWT. Assembled as
 * constants because building them with a loop would be emulated at CPL0.
 */
        .balign 4096
pml4:   .quad pdpt + 0x7                /* P | RW | US */
        .fill 511, 8, 0
pdpt:   .quad pd + 0x0000 + 0x7
        .quad pd + 0x1000 + 0x7
        .quad pd + 0x2000 + 0x7
        .quad pd + 0x3000 + 0x7
        .fill 508, 8, 0
pd:     addr = 0
        .rept 1536
        .quad addr + 0x87               /* P | RW | US | PS */
        addr = addr + 0x200000
        .endr
        .rept 512
        .quad addr + 0x9f               /* P | RW | US | PWT | PCD | PS */
        addr = addr + 0x200000
        .endr

/* GDT: 0x08 kcode64, 0x10 kdata, 0x1b ucode64, 0x23 udata, 0x28 TSS (16 bytes). */
        .balign 16
        .globl gdt
gdt:    .quad 0
        .quad 0x00AF9A000000FFFF
        .quad 0x00CF92000000FFFF
        .quad 0x00AFFA000000FFFF
        .quad 0x00CFF2000000FFFF
        .quad __tss_desc_lo             /* available 64-bit TSS (0x89), from guest.ld */
        .quad __tss_desc_hi
gdt_end:

        .balign 8
        .word 0
gdt_ptr: .word gdt_end - gdt - 1        /* loaded in 32-bit mode: 32-bit base */
        .long gdt

        .balign 8
        .word 0
idt_ptr: .word idt_end - idt - 1
        .quad idt

/* IDT: 32 interrupt gates (type 0xE, DPL 0) to isr_stubs + 16*vector;
 * vectors 32-255 not present until irq.c fills the ones it uses. */
        .balign 16
        .globl idt, idt_end
idt:    vec = 0
        .rept 32
        .word __isr_lo + vec * 16
        .word KCODE
        .byte 0, 0x8e
        .word __isr_hi
        .long 0, 0
        vec = vec + 1
        .endr
        .fill 224 * 16, 1, 0
idt_end:

/*
 * TSS with an I/O permission bitmap. PVM ignores IOPL at CPL3, so in/out from
 * user mode work only through this bitmap: 8 KiB of zeros = every port
 * allowed, plus the architectural trailing 0xff. TR limit covers it (guest.ld).
 */
        .balign 128
        .globl tss
tss:    .long 0
        .quad kstack_top                /* rsp0: where exceptions from CPL3 land */
        .fill 11, 8, 0                  /* rsp1, rsp2, reserved, ist1-7, reserved */
        .word 0
        .word 0x68                      /* iomap_base */
        .fill 8192, 1, 0
        .byte 0xff
        .globl tss_end
tss_end:

/* iretq frames: RIP, CS, RFLAGS, RSP, SS. RFLAGS = 2 (IF=0). */
        .balign 16
to_user_frame:
        .quad user_entry, UCODE, 0x2, ustack_top, UDATA
fault_frame:
        .quad fault_entry, UCODE, 0x2, fstack_top, UDATA

        .bss
        .balign 8
        .globl irq_vq_count, irq_cfg_count
irq_vq_count:   .fill MAXQ, 8, 0        /* per queue; [0] is the single-queue count */
irq_cfg_count:  .quad 0
        .balign 4096
        .space 4096
kstack_top:                             /* CPL0 stack for the exception frame only */
        .space 8192
fstack_top:                             /* CPL3 stack for fault_report() */
        .space 65536
ustack_top:                             /* CPL3 stack for cmain() */

        .section .note.GNU-stack, "", @progbits
