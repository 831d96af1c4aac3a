/*
 * Prints the C side of every constant, struct size and field offset that io.vireo.sys declares, one
 * "<JavaClass>.<FIELD> <value>" line each, plus "@errno <n> <NAME>" lines from glibc's strerrorname_np.
 * AbiConstantsTest compiles this with gcc, runs it and compares each line with the Java value; it also fails
 * when a Java constant has no line here, so a new constant needs a line (or a listed reason why not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/io_uring.h>
#include <linux/kvm.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
/* USO arrived in Linux 6.2's if_tun.h; this machine's uapi headers (Debian 12, 6.1) predate it. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

/* A constant whose Java name equals its C name. */
#define C(cls, name) printf("%s.%s %lld\n", cls, #name, (long long) (name))
/* A value under a Java name of our choosing. */
#define V(cls, jname, expr) printf("%s.%s %lld\n", cls, jname, (long long) (expr))
#define SIZE(cls, type) V(cls, "SIZE", sizeof(type))
#define OFF(cls, jname, type, member) V(cls, jname, offsetof(type, member))

static void kvm_constants(void)
{
    C("Kvm", KVM_API_VERSION);
    C("Kvm", KVMIO);
    C("Kvm", KVM_PIO_PAGE_OFFSET);
    C("Kvm", KVM_COALESCED_MMIO_PAGE_OFFSET);
    C("Kvm", KVM_NR_INTERRUPTS);
    C("Kvm", KVM_GET_API_VERSION);
    C("Kvm", KVM_CREATE_VM);
    C("Kvm", KVM_GET_MSR_INDEX_LIST);
    C("Kvm", KVM_CHECK_EXTENSION);
    C("Kvm", KVM_GET_VCPU_MMAP_SIZE);
    C("Kvm", KVM_GET_SUPPORTED_CPUID);
    C("Kvm", KVM_GET_EMULATED_CPUID);
    C("Kvm", KVM_GET_MSR_FEATURE_INDEX_LIST);
    C("Kvm", KVM_CREATE_VCPU);
    C("Kvm", KVM_GET_DIRTY_LOG);
    C("Kvm", KVM_SET_USER_MEMORY_REGION);
    C("Kvm", KVM_SET_TSS_ADDR);
    C("Kvm", KVM_SET_IDENTITY_MAP_ADDR);
    C("Kvm", KVM_CREATE_IRQCHIP);
    C("Kvm", KVM_IRQ_LINE);
    C("Kvm", KVM_GET_IRQCHIP);
    C("Kvm", KVM_SET_IRQCHIP);
    C("Kvm", KVM_IRQ_LINE_STATUS);
    C("Kvm", KVM_REGISTER_COALESCED_MMIO);
    C("Kvm", KVM_UNREGISTER_COALESCED_MMIO);
    C("Kvm", KVM_SET_GSI_ROUTING);
    C("Kvm", KVM_IRQFD);
    C("Kvm", KVM_CREATE_PIT2);
    C("Kvm", KVM_SET_BOOT_CPU_ID);
    C("Kvm", KVM_IOEVENTFD);
    C("Kvm", KVM_SET_CLOCK);
    C("Kvm", KVM_GET_CLOCK);
    C("Kvm", KVM_GET_PIT2);
    C("Kvm", KVM_SET_PIT2);
    C("Kvm", KVM_SIGNAL_MSI);
    C("Kvm", KVM_ENABLE_CAP);
    C("Kvm", KVM_GET_STATS_FD);
    C("Kvm", KVM_RUN);
    C("Kvm", KVM_GET_REGS);
    C("Kvm", KVM_SET_REGS);
    C("Kvm", KVM_GET_SREGS);
    C("Kvm", KVM_SET_SREGS);
    C("Kvm", KVM_INTERRUPT);
    C("Kvm", KVM_GET_MSRS);
    C("Kvm", KVM_SET_MSRS);
    C("Kvm", KVM_SET_SIGNAL_MASK);
    C("Kvm", KVM_GET_FPU);
    C("Kvm", KVM_SET_FPU);
    C("Kvm", KVM_GET_LAPIC);
    C("Kvm", KVM_SET_LAPIC);
    C("Kvm", KVM_SET_CPUID2);
    C("Kvm", KVM_GET_CPUID2);
    C("Kvm", KVM_GET_MP_STATE);
    C("Kvm", KVM_SET_MP_STATE);
    C("Kvm", KVM_NMI);
    C("Kvm", KVM_SET_GUEST_DEBUG);
    C("Kvm", KVM_GET_VCPU_EVENTS);
    C("Kvm", KVM_SET_VCPU_EVENTS);
    C("Kvm", KVM_SET_TSC_KHZ);
    C("Kvm", KVM_GET_TSC_KHZ);
    C("Kvm", KVM_GET_XSAVE);
    C("Kvm", KVM_SET_XSAVE);
    C("Kvm", KVM_GET_XCRS);
    C("Kvm", KVM_SET_XCRS);
    C("Kvm", KVM_KVMCLOCK_CTRL);
    C("Kvm", KVM_EXIT_UNKNOWN);
    C("Kvm", KVM_EXIT_EXCEPTION);
    C("Kvm", KVM_EXIT_IO);
    C("Kvm", KVM_EXIT_HYPERCALL);
    C("Kvm", KVM_EXIT_DEBUG);
    C("Kvm", KVM_EXIT_HLT);
    C("Kvm", KVM_EXIT_MMIO);
    C("Kvm", KVM_EXIT_IRQ_WINDOW_OPEN);
    C("Kvm", KVM_EXIT_SHUTDOWN);
    C("Kvm", KVM_EXIT_FAIL_ENTRY);
    C("Kvm", KVM_EXIT_INTR);
    C("Kvm", KVM_EXIT_SET_TPR);
    C("Kvm", KVM_EXIT_TPR_ACCESS);
    C("Kvm", KVM_EXIT_NMI);
    C("Kvm", KVM_EXIT_INTERNAL_ERROR);
    C("Kvm", KVM_EXIT_SYSTEM_EVENT);
    C("Kvm", KVM_EXIT_IOAPIC_EOI);
    C("Kvm", KVM_EXIT_HYPERV);
    C("Kvm", KVM_EXIT_X86_RDMSR);
    C("Kvm", KVM_EXIT_X86_WRMSR);
    C("Kvm", KVM_EXIT_DIRTY_RING_FULL);
    C("Kvm", KVM_EXIT_AP_RESET_HOLD);
    C("Kvm", KVM_EXIT_X86_BUS_LOCK);
    C("Kvm", KVM_EXIT_XEN);
    C("Kvm", KVM_EXIT_NOTIFY);
    C("Kvm", KVM_EXIT_IO_IN);
    C("Kvm", KVM_EXIT_IO_OUT);
    C("Kvm", KVM_INTERNAL_ERROR_EMULATION);
    C("Kvm", KVM_INTERNAL_ERROR_SIMUL_EX);
    C("Kvm", KVM_INTERNAL_ERROR_DELIVERY_EV);
    C("Kvm", KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
    C("Kvm", KVM_SYSTEM_EVENT_SHUTDOWN);
    C("Kvm", KVM_SYSTEM_EVENT_RESET);
    C("Kvm", KVM_SYSTEM_EVENT_CRASH);
    C("Kvm", KVM_SYSTEM_EVENT_WAKEUP);
    C("Kvm", KVM_SYSTEM_EVENT_SUSPEND);
    C("Kvm", KVM_CAP_IRQCHIP);
    C("Kvm", KVM_CAP_HLT);
    C("Kvm", KVM_CAP_USER_MEMORY);
    C("Kvm", KVM_CAP_SET_TSS_ADDR);
    C("Kvm", KVM_CAP_EXT_CPUID);
    C("Kvm", KVM_CAP_NR_VCPUS);
    C("Kvm", KVM_CAP_NR_MEMSLOTS);
    C("Kvm", KVM_CAP_PIT);
    C("Kvm", KVM_CAP_MP_STATE);
    C("Kvm", KVM_CAP_COALESCED_MMIO);
    C("Kvm", KVM_CAP_SYNC_MMU);
    C("Kvm", KVM_CAP_SET_GUEST_DEBUG);
    C("Kvm", KVM_CAP_IRQ_ROUTING);
    C("Kvm", KVM_CAP_IRQ_INJECT_STATUS);
    C("Kvm", KVM_CAP_IRQFD);
    C("Kvm", KVM_CAP_PIT2);
    C("Kvm", KVM_CAP_PIT_STATE2);
    C("Kvm", KVM_CAP_IOEVENTFD);
    C("Kvm", KVM_CAP_SET_IDENTITY_MAP_ADDR);
    C("Kvm", KVM_CAP_ADJUST_CLOCK);
    C("Kvm", KVM_CAP_INTERNAL_ERROR_DATA);
    C("Kvm", KVM_CAP_VCPU_EVENTS);
    C("Kvm", KVM_CAP_ENABLE_CAP);
    C("Kvm", KVM_CAP_XSAVE);
    C("Kvm", KVM_CAP_XCRS);
    C("Kvm", KVM_CAP_TSC_CONTROL);
    C("Kvm", KVM_CAP_GET_TSC_KHZ);
    C("Kvm", KVM_CAP_MAX_VCPUS);
    C("Kvm", KVM_CAP_ONE_REG);
    C("Kvm", KVM_CAP_TSC_DEADLINE_TIMER);
    C("Kvm", KVM_CAP_SYNC_REGS);
    C("Kvm", KVM_CAP_KVMCLOCK_CTRL);
    C("Kvm", KVM_CAP_SIGNAL_MSI);
    C("Kvm", KVM_CAP_READONLY_MEM);
    C("Kvm", KVM_CAP_IRQFD_RESAMPLE);
    C("Kvm", KVM_CAP_ENABLE_CAP_VM);
    C("Kvm", KVM_CAP_IOEVENTFD_NO_LENGTH);
    C("Kvm", KVM_CAP_CHECK_EXTENSION_VM);
    C("Kvm", KVM_CAP_SPLIT_IRQCHIP);
    C("Kvm", KVM_CAP_IOEVENTFD_ANY_LENGTH);
    C("Kvm", KVM_CAP_MAX_VCPU_ID);
    C("Kvm", KVM_CAP_X2APIC_API);
    C("Kvm", KVM_CAP_MSI_DEVID);
    C("Kvm", KVM_CAP_IMMEDIATE_EXIT);
    C("Kvm", KVM_CAP_X86_DISABLE_EXITS);
    C("Kvm", KVM_CAP_COALESCED_PIO);
    C("Kvm", KVM_CAP_EXCEPTION_PAYLOAD);
    C("Kvm", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
    C("Kvm", KVM_CAP_HALT_POLL);
    C("Kvm", KVM_CAP_X86_USER_SPACE_MSR);
    C("Kvm", KVM_CAP_X86_MSR_FILTER);
    C("Kvm", KVM_CAP_DIRTY_LOG_RING);
    C("Kvm", KVM_CAP_X86_BUS_LOCK_EXIT);
    C("Kvm", KVM_CAP_SET_GUEST_DEBUG2);
    C("Kvm", KVM_CAP_SREGS2);
    C("Kvm", KVM_CAP_BINARY_STATS_FD);
    C("Kvm", KVM_CAP_EXIT_ON_EMULATION_FAILURE);
    C("Kvm", KVM_CAP_XSAVE2);
    C("Kvm", KVM_CAP_SYSTEM_EVENT_DATA);
    C("Kvm", KVM_CAP_X86_TRIPLE_FAULT_EVENT);
    C("Kvm", KVM_CAP_X86_NOTIFY_VMEXIT);
    C("Kvm", KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
    C("Kvm", KVM_X86_DISABLE_EXITS_MWAIT);
    C("Kvm", KVM_X86_DISABLE_EXITS_HLT);
    C("Kvm", KVM_X86_DISABLE_EXITS_PAUSE);
    C("Kvm", KVM_X86_DISABLE_EXITS_CSTATE);
    C("Kvm", KVM_MEM_LOG_DIRTY_PAGES);
    C("Kvm", KVM_MEM_READONLY);
    C("Kvm", KVM_IRQCHIP_PIC_MASTER);
    C("Kvm", KVM_IRQCHIP_PIC_SLAVE);
    C("Kvm", KVM_IRQCHIP_IOAPIC);
    C("Kvm", KVM_IRQ_ROUTING_IRQCHIP);
    C("Kvm", KVM_IRQ_ROUTING_MSI);
    C("Kvm", KVM_IRQFD_FLAG_DEASSIGN);
    C("Kvm", KVM_IRQFD_FLAG_RESAMPLE);
    C("Kvm", KVM_MSI_VALID_DEVID);
    C("Kvm", KVM_PIT_SPEAKER_DUMMY);
    C("Kvm", KVM_IOEVENTFD_FLAG_DATAMATCH);
    C("Kvm", KVM_IOEVENTFD_FLAG_PIO);
    C("Kvm", KVM_IOEVENTFD_FLAG_DEASSIGN);
    C("Kvm", KVM_MP_STATE_RUNNABLE);
    C("Kvm", KVM_MP_STATE_UNINITIALIZED);
    C("Kvm", KVM_MP_STATE_INIT_RECEIVED);
    C("Kvm", KVM_MP_STATE_HALTED);
    C("Kvm", KVM_MP_STATE_SIPI_RECEIVED);
    C("Kvm", KVM_MP_STATE_STOPPED);
    C("Kvm", KVM_MP_STATE_CHECK_STOP);
    C("Kvm", KVM_MP_STATE_OPERATING);
    C("Kvm", KVM_MP_STATE_LOAD);
    C("Kvm", KVM_MP_STATE_AP_RESET_HOLD);
    C("Kvm", KVM_MP_STATE_SUSPENDED);
    C("Kvm", KVM_GUESTDBG_ENABLE);
    C("Kvm", KVM_GUESTDBG_SINGLESTEP);
    C("Kvm", KVM_GUESTDBG_USE_SW_BP);
    C("Kvm", KVM_GUESTDBG_USE_HW_BP);
    C("Kvm", KVM_GUESTDBG_INJECT_DB);
    C("Kvm", KVM_GUESTDBG_INJECT_BP);
    C("Kvm", KVM_VCPUEVENT_VALID_NMI_PENDING);
    C("Kvm", KVM_VCPUEVENT_VALID_SIPI_VECTOR);
    C("Kvm", KVM_VCPUEVENT_VALID_SHADOW);
    C("Kvm", KVM_VCPUEVENT_VALID_SMM);
    C("Kvm", KVM_VCPUEVENT_VALID_PAYLOAD);
    C("Kvm", KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    C("Kvm", KVM_STATS_TYPE_SHIFT);
    C("Kvm", KVM_STATS_TYPE_MASK);
    C("Kvm", KVM_STATS_TYPE_CUMULATIVE);
    C("Kvm", KVM_STATS_TYPE_INSTANT);
    C("Kvm", KVM_STATS_TYPE_PEAK);
    C("Kvm", KVM_STATS_TYPE_LINEAR_HIST);
    C("Kvm", KVM_STATS_TYPE_LOG_HIST);
    C("Kvm", KVM_STATS_UNIT_SHIFT);
    C("Kvm", KVM_STATS_UNIT_MASK);
    C("Kvm", KVM_STATS_UNIT_NONE);
    C("Kvm", KVM_STATS_UNIT_BYTES);
    C("Kvm", KVM_STATS_UNIT_SECONDS);
    C("Kvm", KVM_STATS_UNIT_CYCLES);
    C("Kvm", KVM_STATS_UNIT_BOOLEAN);
    C("Kvm", KVM_STATS_BASE_SHIFT);
    C("Kvm", KVM_STATS_BASE_MASK);
    C("Kvm", KVM_STATS_BASE_POW10);
    C("Kvm", KVM_STATS_BASE_POW2);
}

static void libc_constants(void)
{
    C("Libc", O_RDONLY);
    C("Libc", O_WRONLY);
    C("Libc", O_RDWR);
    C("Libc", O_CREAT);
    C("Libc", O_EXCL);
    C("Libc", O_NOCTTY);
    C("Libc", O_TRUNC);
    C("Libc", O_APPEND);
    C("Libc", O_NONBLOCK);
    C("Libc", O_DSYNC);
    C("Libc", O_DIRECT);
    C("Libc", O_CLOEXEC);
    C("Libc", PROT_NONE);
    C("Libc", PROT_READ);
    C("Libc", PROT_WRITE);
    C("Libc", PROT_EXEC);
    C("Libc", MAP_SHARED);
    C("Libc", MAP_PRIVATE);
    C("Libc", MAP_FIXED);
    C("Libc", MAP_ANONYMOUS);
    C("Libc", MAP_NORESERVE);
    C("Libc", MAP_POPULATE);
    C("Libc", MAP_HUGETLB);
    C("Libc", MFD_CLOEXEC);
    C("Libc", MFD_ALLOW_SEALING);
    C("Libc", MFD_HUGETLB);
    C("Libc", FALLOC_FL_KEEP_SIZE);
    C("Libc", FALLOC_FL_PUNCH_HOLE);
    C("Libc", FALLOC_FL_ZERO_RANGE);
    C("Libc", F_GETFD);
    C("Libc", F_SETFD);
    C("Libc", F_GETFL);
    C("Libc", F_SETFL);
    C("Libc", FD_CLOEXEC);
    C("Libc", F_ADD_SEALS);
    C("Libc", F_GET_SEALS);
    C("Libc", F_SEAL_SEAL);
    C("Libc", F_SEAL_SHRINK);
    C("Libc", F_SEAL_GROW);
    C("Libc", F_SEAL_WRITE);
    C("Libc", EFD_SEMAPHORE);
    C("Libc", EFD_NONBLOCK);
    C("Libc", EFD_CLOEXEC);
    C("Libc", EPOLL_CLOEXEC);
    C("Libc", EPOLL_CTL_ADD);
    C("Libc", EPOLL_CTL_DEL);
    C("Libc", EPOLL_CTL_MOD);
    C("Libc", EPOLLIN);
    C("Libc", EPOLLPRI);
    C("Libc", EPOLLOUT);
    C("Libc", EPOLLERR);
    C("Libc", EPOLLHUP);
    C("Libc", EPOLLRDHUP);
    C("Libc", EPOLLONESHOT);
    C("Libc", EPOLLET);
    C("Libc", POLLIN);
    C("Libc", POLLPRI);
    C("Libc", POLLOUT);
    C("Libc", POLLERR);
    C("Libc", POLLHUP);
    C("Libc", POLLNVAL);
    C("Libc", SIGHUP);
    C("Libc", SIGINT);
    C("Libc", SIGQUIT);
    C("Libc", SIGKILL);
    C("Libc", SIGUSR1);
    C("Libc", SIGUSR2);
    C("Libc", SIGPIPE);
    C("Libc", SIGTERM);
    C("Libc", STDIN_FILENO);
    C("Libc", STDOUT_FILENO);
    C("Libc", STDERR_FILENO);
    C("Libc", TCSANOW);
    C("Libc", TCSADRAIN);
    C("Libc", TCSAFLUSH);
    C("Libc", ISIG);
    C("Libc", ICANON);
    C("Libc", ECHO);
    C("Libc", VTIME);
    C("Libc", VMIN);
    V("Libc", "TERMIOS_SIZE", sizeof(struct termios));
    V("TermiosLayout", "NCCS", NCCS);
}

static void errno_constants(void)
{
    C("Errno", EPERM);
    C("Errno", ENOENT);
    C("Errno", ESRCH);
    C("Errno", EINTR);
    C("Errno", EIO);
    C("Errno", ENXIO);
    C("Errno", E2BIG);
    C("Errno", EBADF);
    C("Errno", ECHILD);
    C("Errno", EAGAIN);
    C("Errno", ENOMEM);
    C("Errno", EACCES);
    C("Errno", EFAULT);
    C("Errno", EBUSY);
    C("Errno", EEXIST);
    C("Errno", EXDEV);
    C("Errno", ENODEV);
    C("Errno", ENOTDIR);
    C("Errno", EISDIR);
    C("Errno", EINVAL);
    C("Errno", ENFILE);
    C("Errno", EMFILE);
    C("Errno", ENOTTY);
    C("Errno", EFBIG);
    C("Errno", ENOSPC);
    C("Errno", ESPIPE);
    C("Errno", EROFS);
    C("Errno", EPIPE);
    C("Errno", ERANGE);
    C("Errno", EDEADLK);
    C("Errno", ENAMETOOLONG);
    C("Errno", ENOSYS);
    C("Errno", ENOTEMPTY);
    C("Errno", ELOOP);
    C("Errno", ENODATA);
    C("Errno", EOVERFLOW);
    C("Errno", EBADFD);
    C("Errno", EOPNOTSUPP);
    C("Errno", EADDRINUSE);
    C("Errno", ECONNABORTED);
    C("Errno", ECONNRESET);
    C("Errno", ENOBUFS);
    C("Errno", ENOTCONN);
    C("Errno", ETIMEDOUT);
    C("Errno", ECONNREFUSED);
    C("Errno", EALREADY);
    C("Errno", EINPROGRESS);
    C("Errno", ESTALE);
    C("Errno", ECANCELED);
    C("Errno", EHWPOISON);
    C("Errno", EWOULDBLOCK);
    C("Errno", ENOTSUP);
    for (int e = 1; e <= 133; e++) {
        const char *name = strerrorname_np(e);
        printf("@errno %d %s\n", e, name != NULL ? name : "-");
    }
}

static void kvm_run(void)
{
    const char *k = "KvmRunLayout";
    SIZE(k, struct kvm_run);
    OFF(k, "REQUEST_INTERRUPT_WINDOW_OFFSET", struct kvm_run, request_interrupt_window);
    OFF(k, "IMMEDIATE_EXIT_OFFSET", struct kvm_run, immediate_exit);
    OFF(k, "EXIT_REASON_OFFSET", struct kvm_run, exit_reason);
    OFF(k, "READY_FOR_INTERRUPT_INJECTION_OFFSET", struct kvm_run, ready_for_interrupt_injection);
    OFF(k, "IF_FLAG_OFFSET", struct kvm_run, if_flag);
    OFF(k, "FLAGS_OFFSET", struct kvm_run, flags);
    OFF(k, "CR8_OFFSET", struct kvm_run, cr8);
    OFF(k, "APIC_BASE_OFFSET", struct kvm_run, apic_base);
    OFF(k, "EXIT_OFFSET", struct kvm_run, hw);
    OFF(k, "KVM_VALID_REGS_OFFSET", struct kvm_run, kvm_valid_regs);
    OFF(k, "KVM_DIRTY_REGS_OFFSET", struct kvm_run, kvm_dirty_regs);
    OFF(k, "S_OFFSET", struct kvm_run, s);
    OFF(k, "HW_HARDWARE_EXIT_REASON_OFFSET", struct kvm_run, hw.hardware_exit_reason);
    OFF(k, "FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON_OFFSET", struct kvm_run,
        fail_entry.hardware_entry_failure_reason);
    OFF(k, "FAIL_ENTRY_CPU_OFFSET", struct kvm_run, fail_entry.cpu);
    OFF(k, "EX_EXCEPTION_OFFSET", struct kvm_run, ex.exception);
    OFF(k, "EX_ERROR_CODE_OFFSET", struct kvm_run, ex.error_code);
    OFF(k, "IO_DIRECTION_OFFSET", struct kvm_run, io.direction);
    OFF(k, "IO_SIZE_OFFSET", struct kvm_run, io.size);
    OFF(k, "IO_PORT_OFFSET", struct kvm_run, io.port);
    OFF(k, "IO_COUNT_OFFSET", struct kvm_run, io.count);
    OFF(k, "IO_DATA_OFFSET_OFFSET", struct kvm_run, io.data_offset);
    OFF(k, "DEBUG_ARCH_OFFSET", struct kvm_run, debug.arch);
    OFF(k, "MMIO_PHYS_ADDR_OFFSET", struct kvm_run, mmio.phys_addr);
    OFF(k, "MMIO_DATA_OFFSET", struct kvm_run, mmio.data);
    OFF(k, "MMIO_LEN_OFFSET", struct kvm_run, mmio.len);
    OFF(k, "MMIO_IS_WRITE_OFFSET", struct kvm_run, mmio.is_write);
    OFF(k, "HYPERCALL_NR_OFFSET", struct kvm_run, hypercall.nr);
    OFF(k, "HYPERCALL_ARGS_OFFSET", struct kvm_run, hypercall.args);
    OFF(k, "HYPERCALL_RET_OFFSET", struct kvm_run, hypercall.ret);
    OFF(k, "INTERNAL_SUBERROR_OFFSET", struct kvm_run, internal.suberror);
    OFF(k, "INTERNAL_NDATA_OFFSET", struct kvm_run, internal.ndata);
    OFF(k, "INTERNAL_DATA_OFFSET", struct kvm_run, internal.data);
    OFF(k, "EMULATION_FAILURE_FLAGS_OFFSET", struct kvm_run, emulation_failure.flags);
    OFF(k, "EMULATION_FAILURE_INSN_SIZE_OFFSET", struct kvm_run, emulation_failure.insn_size);
    OFF(k, "EMULATION_FAILURE_INSN_BYTES_OFFSET", struct kvm_run, emulation_failure.insn_bytes);
    OFF(k, "SYSTEM_EVENT_TYPE_OFFSET", struct kvm_run, system_event.type);
    OFF(k, "SYSTEM_EVENT_NDATA_OFFSET", struct kvm_run, system_event.ndata);
    OFF(k, "SYSTEM_EVENT_FLAGS_OFFSET", struct kvm_run, system_event.flags);
    OFF(k, "SYSTEM_EVENT_DATA_OFFSET", struct kvm_run, system_event.data);
    OFF(k, "EOI_VECTOR_OFFSET", struct kvm_run, eoi.vector);
    OFF(k, "MSR_ERROR_OFFSET", struct kvm_run, msr.error);
    OFF(k, "MSR_REASON_OFFSET", struct kvm_run, msr.reason);
    OFF(k, "MSR_INDEX_OFFSET", struct kvm_run, msr.index);
    OFF(k, "MSR_DATA_OFFSET", struct kvm_run, msr.data);
}

static void kvm_registers(void)
{
    const char *r = "KvmRegsLayout";
    SIZE(r, struct kvm_regs);
    OFF(r, "RAX_OFFSET", struct kvm_regs, rax);
    OFF(r, "RBX_OFFSET", struct kvm_regs, rbx);
    OFF(r, "RCX_OFFSET", struct kvm_regs, rcx);
    OFF(r, "RDX_OFFSET", struct kvm_regs, rdx);
    OFF(r, "RSI_OFFSET", struct kvm_regs, rsi);
    OFF(r, "RDI_OFFSET", struct kvm_regs, rdi);
    OFF(r, "RSP_OFFSET", struct kvm_regs, rsp);
    OFF(r, "RBP_OFFSET", struct kvm_regs, rbp);
    OFF(r, "R8_OFFSET", struct kvm_regs, r8);
    OFF(r, "R9_OFFSET", struct kvm_regs, r9);
    OFF(r, "R10_OFFSET", struct kvm_regs, r10);
    OFF(r, "R11_OFFSET", struct kvm_regs, r11);
    OFF(r, "R12_OFFSET", struct kvm_regs, r12);
    OFF(r, "R13_OFFSET", struct kvm_regs, r13);
    OFF(r, "R14_OFFSET", struct kvm_regs, r14);
    OFF(r, "R15_OFFSET", struct kvm_regs, r15);
    OFF(r, "RIP_OFFSET", struct kvm_regs, rip);
    OFF(r, "RFLAGS_OFFSET", struct kvm_regs, rflags);

    const char *g = "KvmSegmentLayout";
    SIZE(g, struct kvm_segment);
    OFF(g, "BASE_OFFSET", struct kvm_segment, base);
    OFF(g, "LIMIT_OFFSET", struct kvm_segment, limit);
    OFF(g, "SELECTOR_OFFSET", struct kvm_segment, selector);
    OFF(g, "TYPE_OFFSET", struct kvm_segment, type);
    OFF(g, "PRESENT_OFFSET", struct kvm_segment, present);
    OFF(g, "DPL_OFFSET", struct kvm_segment, dpl);
    OFF(g, "DB_OFFSET", struct kvm_segment, db);
    OFF(g, "S_OFFSET", struct kvm_segment, s);
    OFF(g, "L_OFFSET", struct kvm_segment, l);
    OFF(g, "G_OFFSET", struct kvm_segment, g);
    OFF(g, "AVL_OFFSET", struct kvm_segment, avl);
    OFF(g, "UNUSABLE_OFFSET", struct kvm_segment, unusable);

    const char *d = "KvmDtableLayout";
    SIZE(d, struct kvm_dtable);
    OFF(d, "BASE_OFFSET", struct kvm_dtable, base);
    OFF(d, "LIMIT_OFFSET", struct kvm_dtable, limit);

    const char *s = "KvmSregsLayout";
    SIZE(s, struct kvm_sregs);
    OFF(s, "CS_OFFSET", struct kvm_sregs, cs);
    OFF(s, "DS_OFFSET", struct kvm_sregs, ds);
    OFF(s, "ES_OFFSET", struct kvm_sregs, es);
    OFF(s, "FS_OFFSET", struct kvm_sregs, fs);
    OFF(s, "GS_OFFSET", struct kvm_sregs, gs);
    OFF(s, "SS_OFFSET", struct kvm_sregs, ss);
    OFF(s, "TR_OFFSET", struct kvm_sregs, tr);
    OFF(s, "LDT_OFFSET", struct kvm_sregs, ldt);
    OFF(s, "GDT_OFFSET", struct kvm_sregs, gdt);
    OFF(s, "IDT_OFFSET", struct kvm_sregs, idt);
    OFF(s, "CR0_OFFSET", struct kvm_sregs, cr0);
    OFF(s, "CR2_OFFSET", struct kvm_sregs, cr2);
    OFF(s, "CR3_OFFSET", struct kvm_sregs, cr3);
    OFF(s, "CR4_OFFSET", struct kvm_sregs, cr4);
    OFF(s, "CR8_OFFSET", struct kvm_sregs, cr8);
    OFF(s, "EFER_OFFSET", struct kvm_sregs, efer);
    OFF(s, "APIC_BASE_OFFSET", struct kvm_sregs, apic_base);
    OFF(s, "INTERRUPT_BITMAP_OFFSET", struct kvm_sregs, interrupt_bitmap);

    const char *f = "KvmFpuLayout";
    SIZE(f, struct kvm_fpu);
    OFF(f, "FPR_OFFSET", struct kvm_fpu, fpr);
    OFF(f, "FCW_OFFSET", struct kvm_fpu, fcw);
    OFF(f, "FSW_OFFSET", struct kvm_fpu, fsw);
    OFF(f, "FTWX_OFFSET", struct kvm_fpu, ftwx);
    OFF(f, "LAST_OPCODE_OFFSET", struct kvm_fpu, last_opcode);
    OFF(f, "LAST_IP_OFFSET", struct kvm_fpu, last_ip);
    OFF(f, "LAST_DP_OFFSET", struct kvm_fpu, last_dp);
    OFF(f, "XMM_OFFSET", struct kvm_fpu, xmm);
    OFF(f, "MXCSR_OFFSET", struct kvm_fpu, mxcsr);

    const char *l = "KvmLapicStateLayout";
    SIZE(l, struct kvm_lapic_state);
    OFF(l, "REGS_OFFSET", struct kvm_lapic_state, regs);
    V(l, "KVM_APIC_REG_SIZE", KVM_APIC_REG_SIZE);

    const char *m = "KvmMpStateLayout";
    SIZE(m, struct kvm_mp_state);
    OFF(m, "MP_STATE_OFFSET", struct kvm_mp_state, mp_state);

    const char *e = "KvmMsrEntryLayout";
    SIZE(e, struct kvm_msr_entry);
    OFF(e, "INDEX_OFFSET", struct kvm_msr_entry, index);
    OFF(e, "DATA_OFFSET", struct kvm_msr_entry, data);

    const char *ms = "KvmMsrsLayout";
    SIZE(ms, struct kvm_msrs);
    OFF(ms, "NMSRS_OFFSET", struct kvm_msrs, nmsrs);
    OFF(ms, "ENTRIES_OFFSET", struct kvm_msrs, entries);

    const char *ml = "KvmMsrListLayout";
    SIZE(ml, struct kvm_msr_list);
    OFF(ml, "NMSRS_OFFSET", struct kvm_msr_list, nmsrs);
    OFF(ml, "INDICES_OFFSET", struct kvm_msr_list, indices);

    const char *c = "KvmCpuid2Layout";
    SIZE(c, struct kvm_cpuid2);
    OFF(c, "NENT_OFFSET", struct kvm_cpuid2, nent);
    OFF(c, "ENTRIES_OFFSET", struct kvm_cpuid2, entries);

    const char *ce = "KvmCpuidEntry2Layout";
    SIZE(ce, struct kvm_cpuid_entry2);
    OFF(ce, "FUNCTION_OFFSET", struct kvm_cpuid_entry2, function);
    OFF(ce, "INDEX_OFFSET", struct kvm_cpuid_entry2, index);
    OFF(ce, "FLAGS_OFFSET", struct kvm_cpuid_entry2, flags);
    OFF(ce, "EAX_OFFSET", struct kvm_cpuid_entry2, eax);
    OFF(ce, "EBX_OFFSET", struct kvm_cpuid_entry2, ebx);
    OFF(ce, "ECX_OFFSET", struct kvm_cpuid_entry2, ecx);
    OFF(ce, "EDX_OFFSET", struct kvm_cpuid_entry2, edx);

    const char *ev = "KvmVcpuEventsLayout";
    SIZE(ev, struct kvm_vcpu_events);
    OFF(ev, "EXCEPTION_INJECTED_OFFSET", struct kvm_vcpu_events, exception.injected);
    OFF(ev, "EXCEPTION_NR_OFFSET", struct kvm_vcpu_events, exception.nr);
    OFF(ev, "EXCEPTION_HAS_ERROR_CODE_OFFSET", struct kvm_vcpu_events, exception.has_error_code);
    OFF(ev, "EXCEPTION_PENDING_OFFSET", struct kvm_vcpu_events, exception.pending);
    OFF(ev, "EXCEPTION_ERROR_CODE_OFFSET", struct kvm_vcpu_events, exception.error_code);
    OFF(ev, "INTERRUPT_INJECTED_OFFSET", struct kvm_vcpu_events, interrupt.injected);
    OFF(ev, "INTERRUPT_NR_OFFSET", struct kvm_vcpu_events, interrupt.nr);
    OFF(ev, "INTERRUPT_SOFT_OFFSET", struct kvm_vcpu_events, interrupt.soft);
    OFF(ev, "INTERRUPT_SHADOW_OFFSET", struct kvm_vcpu_events, interrupt.shadow);
    OFF(ev, "NMI_INJECTED_OFFSET", struct kvm_vcpu_events, nmi.injected);
    OFF(ev, "NMI_PENDING_OFFSET", struct kvm_vcpu_events, nmi.pending);
    OFF(ev, "NMI_MASKED_OFFSET", struct kvm_vcpu_events, nmi.masked);
    OFF(ev, "SIPI_VECTOR_OFFSET", struct kvm_vcpu_events, sipi_vector);
    OFF(ev, "FLAGS_OFFSET", struct kvm_vcpu_events, flags);
    OFF(ev, "SMI_SMM_OFFSET", struct kvm_vcpu_events, smi.smm);
    OFF(ev, "SMI_PENDING_OFFSET", struct kvm_vcpu_events, smi.pending);
    OFF(ev, "TRIPLE_FAULT_PENDING_OFFSET", struct kvm_vcpu_events, triple_fault.pending);
    OFF(ev, "EXCEPTION_HAS_PAYLOAD_OFFSET", struct kvm_vcpu_events, exception_has_payload);
    OFF(ev, "EXCEPTION_PAYLOAD_OFFSET", struct kvm_vcpu_events, exception_payload);

    const char *dx = "KvmDebugExitArchLayout";
    SIZE(dx, struct kvm_debug_exit_arch);
    OFF(dx, "EXCEPTION_OFFSET", struct kvm_debug_exit_arch, exception);
    OFF(dx, "PC_OFFSET", struct kvm_debug_exit_arch, pc);
    OFF(dx, "DR6_OFFSET", struct kvm_debug_exit_arch, dr6);
    OFF(dx, "DR7_OFFSET", struct kvm_debug_exit_arch, dr7);

    const char *gd = "KvmGuestDebugLayout";
    SIZE(gd, struct kvm_guest_debug);
    OFF(gd, "CONTROL_OFFSET", struct kvm_guest_debug, control);
    OFF(gd, "DEBUGREG_OFFSET", struct kvm_guest_debug, arch.debugreg);

    const char *sm = "KvmSignalMaskLayout";
    SIZE(sm, struct kvm_signal_mask);
    OFF(sm, "LEN_OFFSET", struct kvm_signal_mask, len);
    OFF(sm, "SIGSET_OFFSET", struct kvm_signal_mask, sigset);
}

static void kvm_vm(void)
{
    const char *u = "KvmUserspaceMemoryRegionLayout";
    SIZE(u, struct kvm_userspace_memory_region);
    OFF(u, "SLOT_OFFSET", struct kvm_userspace_memory_region, slot);
    OFF(u, "FLAGS_OFFSET", struct kvm_userspace_memory_region, flags);
    OFF(u, "GUEST_PHYS_ADDR_OFFSET", struct kvm_userspace_memory_region, guest_phys_addr);
    OFF(u, "MEMORY_SIZE_OFFSET", struct kvm_userspace_memory_region, memory_size);
    OFF(u, "USERSPACE_ADDR_OFFSET", struct kvm_userspace_memory_region, userspace_addr);

    const char *p = "KvmPitConfigLayout";
    SIZE(p, struct kvm_pit_config);
    OFF(p, "FLAGS_OFFSET", struct kvm_pit_config, flags);

    const char *il = "KvmIrqLevelLayout";
    SIZE(il, struct kvm_irq_level);
    OFF(il, "IRQ_OFFSET", struct kvm_irq_level, irq);
    OFF(il, "STATUS_OFFSET", struct kvm_irq_level, status);
    OFF(il, "LEVEL_OFFSET", struct kvm_irq_level, level);

    const char *io = "KvmIoeventfdLayout";
    SIZE(io, struct kvm_ioeventfd);
    OFF(io, "DATAMATCH_OFFSET", struct kvm_ioeventfd, datamatch);
    OFF(io, "ADDR_OFFSET", struct kvm_ioeventfd, addr);
    OFF(io, "LEN_OFFSET", struct kvm_ioeventfd, len);
    OFF(io, "FD_OFFSET", struct kvm_ioeventfd, fd);
    OFF(io, "FLAGS_OFFSET", struct kvm_ioeventfd, flags);

    const char *fd = "KvmIrqfdLayout";
    SIZE(fd, struct kvm_irqfd);
    OFF(fd, "FD_OFFSET", struct kvm_irqfd, fd);
    OFF(fd, "GSI_OFFSET", struct kvm_irqfd, gsi);
    OFF(fd, "FLAGS_OFFSET", struct kvm_irqfd, flags);
    OFF(fd, "RESAMPLEFD_OFFSET", struct kvm_irqfd, resamplefd);

    const char *rt = "KvmIrqRoutingLayout";
    SIZE(rt, struct kvm_irq_routing);
    OFF(rt, "NR_OFFSET", struct kvm_irq_routing, nr);
    OFF(rt, "FLAGS_OFFSET", struct kvm_irq_routing, flags);
    OFF(rt, "ENTRIES_OFFSET", struct kvm_irq_routing, entries);

    const char *re = "KvmIrqRoutingEntryLayout";
    SIZE(re, struct kvm_irq_routing_entry);
    OFF(re, "GSI_OFFSET", struct kvm_irq_routing_entry, gsi);
    OFF(re, "TYPE_OFFSET", struct kvm_irq_routing_entry, type);
    OFF(re, "FLAGS_OFFSET", struct kvm_irq_routing_entry, flags);
    OFF(re, "U_OFFSET", struct kvm_irq_routing_entry, u);
    OFF(re, "IRQCHIP_IRQCHIP_OFFSET", struct kvm_irq_routing_entry, u.irqchip.irqchip);
    OFF(re, "IRQCHIP_PIN_OFFSET", struct kvm_irq_routing_entry, u.irqchip.pin);
    OFF(re, "MSI_ADDRESS_LO_OFFSET", struct kvm_irq_routing_entry, u.msi.address_lo);
    OFF(re, "MSI_ADDRESS_HI_OFFSET", struct kvm_irq_routing_entry, u.msi.address_hi);
    OFF(re, "MSI_DATA_OFFSET", struct kvm_irq_routing_entry, u.msi.data);
    OFF(re, "MSI_DEVID_OFFSET", struct kvm_irq_routing_entry, u.msi.devid);

    const char *ms = "KvmMsiLayout";
    SIZE(ms, struct kvm_msi);
    OFF(ms, "ADDRESS_LO_OFFSET", struct kvm_msi, address_lo);
    OFF(ms, "ADDRESS_HI_OFFSET", struct kvm_msi, address_hi);
    OFF(ms, "DATA_OFFSET", struct kvm_msi, data);
    OFF(ms, "FLAGS_OFFSET", struct kvm_msi, flags);
    OFF(ms, "DEVID_OFFSET", struct kvm_msi, devid);

    const char *ec = "KvmEnableCapLayout";
    SIZE(ec, struct kvm_enable_cap);
    OFF(ec, "CAP_OFFSET", struct kvm_enable_cap, cap);
    OFF(ec, "FLAGS_OFFSET", struct kvm_enable_cap, flags);
    OFF(ec, "ARGS_OFFSET", struct kvm_enable_cap, args);

    const char *sh = "KvmStatsHeaderLayout";
    SIZE(sh, struct kvm_stats_header);
    OFF(sh, "FLAGS_OFFSET", struct kvm_stats_header, flags);
    OFF(sh, "NAME_SIZE_OFFSET", struct kvm_stats_header, name_size);
    OFF(sh, "NUM_DESC_OFFSET", struct kvm_stats_header, num_desc);
    OFF(sh, "ID_OFFSET_OFFSET", struct kvm_stats_header, id_offset);
    OFF(sh, "DESC_OFFSET_OFFSET", struct kvm_stats_header, desc_offset);
    OFF(sh, "DATA_OFFSET_OFFSET", struct kvm_stats_header, data_offset);

    const char *sd = "KvmStatsDescLayout";
    SIZE(sd, struct kvm_stats_desc);
    OFF(sd, "FLAGS_OFFSET", struct kvm_stats_desc, flags);
    OFF(sd, "EXPONENT_OFFSET", struct kvm_stats_desc, exponent);
    OFF(sd, "SIZE_OFFSET", struct kvm_stats_desc, size);
    OFF(sd, "OFFSET_OFFSET", struct kvm_stats_desc, offset);
    OFF(sd, "BUCKET_SIZE_OFFSET", struct kvm_stats_desc, bucket_size);
    OFF(sd, "NAME_OFFSET", struct kvm_stats_desc, name);

    const char *cz = "KvmCoalescedMmioZoneLayout";
    SIZE(cz, struct kvm_coalesced_mmio_zone);
    OFF(cz, "ADDR_OFFSET", struct kvm_coalesced_mmio_zone, addr);
    OFF(cz, "SIZE_OFFSET", struct kvm_coalesced_mmio_zone, size);
    OFF(cz, "PIO_OFFSET", struct kvm_coalesced_mmio_zone, pio);

    const char *cm = "KvmCoalescedMmioLayout";
    SIZE(cm, struct kvm_coalesced_mmio);
    OFF(cm, "PHYS_ADDR_OFFSET", struct kvm_coalesced_mmio, phys_addr);
    OFF(cm, "LEN_OFFSET", struct kvm_coalesced_mmio, len);
    OFF(cm, "PIO_OFFSET", struct kvm_coalesced_mmio, pio);
    OFF(cm, "DATA_OFFSET", struct kvm_coalesced_mmio, data);

    const char *cr = "KvmCoalescedMmioRingLayout";
    SIZE(cr, struct kvm_coalesced_mmio_ring);
    OFF(cr, "FIRST_OFFSET", struct kvm_coalesced_mmio_ring, first);
    OFF(cr, "LAST_OFFSET", struct kvm_coalesced_mmio_ring, last);
    OFF(cr, "ENTRIES_OFFSET", struct kvm_coalesced_mmio_ring, coalesced_mmio);
}

static void libc_layouts(void)
{
    const char *e = "EpollEventLayout";
    SIZE(e, struct epoll_event);
    OFF(e, "EVENTS_OFFSET", struct epoll_event, events);
    OFF(e, "DATA_OFFSET", struct epoll_event, data);

    const char *p = "PollFdLayout";
    SIZE(p, struct pollfd);
    OFF(p, "FD_OFFSET", struct pollfd, fd);
    OFF(p, "EVENTS_OFFSET", struct pollfd, events);
    OFF(p, "REVENTS_OFFSET", struct pollfd, revents);

    const char *t = "TermiosLayout";
    SIZE(t, struct termios);
    OFF(t, "C_IFLAG_OFFSET", struct termios, c_iflag);
    OFF(t, "C_OFLAG_OFFSET", struct termios, c_oflag);
    OFF(t, "C_CFLAG_OFFSET", struct termios, c_cflag);
    OFF(t, "C_LFLAG_OFFSET", struct termios, c_lflag);
    OFF(t, "C_LINE_OFFSET", struct termios, c_line);
    OFF(t, "C_CC_OFFSET", struct termios, c_cc);
    OFF(t, "C_ISPEED_OFFSET", struct termios, c_ispeed);
    OFF(t, "C_OSPEED_OFFSET", struct termios, c_ospeed);
}

static void io_uring(void)
{
    const char *a = "IoUringAbi";
    V(a, "SYS_IO_URING_SETUP", SYS_io_uring_setup);
    V(a, "SYS_IO_URING_ENTER", SYS_io_uring_enter);
    V(a, "SYS_IO_URING_REGISTER", SYS_io_uring_register);
    C(a, IORING_SETUP_IOPOLL);
    C(a, IORING_SETUP_SQPOLL);
    C(a, IORING_SETUP_SQ_AFF);
    C(a, IORING_SETUP_CQSIZE);
    C(a, IORING_SETUP_CLAMP);
    C(a, IORING_SETUP_R_DISABLED);
    C(a, IORING_SETUP_SUBMIT_ALL);
    C(a, IORING_SETUP_COOP_TASKRUN);
    C(a, IORING_SETUP_SINGLE_ISSUER);
    C(a, IORING_SETUP_DEFER_TASKRUN);
    C(a, IORING_OP_NOP);
    C(a, IORING_OP_READV);
    C(a, IORING_OP_WRITEV);
    C(a, IORING_OP_FSYNC);
    C(a, IORING_OP_READ_FIXED);
    C(a, IORING_OP_WRITE_FIXED);
    C(a, IORING_OP_FALLOCATE);
    C(a, IORING_OP_READ);
    C(a, IORING_OP_WRITE);
    C(a, IORING_FSYNC_DATASYNC);
    C(a, IOSQE_FIXED_FILE);
    C(a, IOSQE_IO_DRAIN);
    C(a, IOSQE_IO_LINK);
    C(a, IOSQE_ASYNC);
    C(a, IORING_SQ_NEED_WAKEUP);
    C(a, IORING_SQ_CQ_OVERFLOW);
    C(a, IORING_CQ_EVENTFD_DISABLED);
    C(a, IORING_ENTER_GETEVENTS);
    C(a, IORING_ENTER_SQ_WAKEUP);
    C(a, IORING_ENTER_SQ_WAIT);
    C(a, IORING_FEAT_SINGLE_MMAP);
    C(a, IORING_FEAT_NODROP);
    C(a, IORING_FEAT_SUBMIT_STABLE);
    C(a, IORING_FEAT_SQPOLL_NONFIXED);
    C(a, IORING_OFF_SQ_RING);
    C(a, IORING_OFF_CQ_RING);
    C(a, IORING_OFF_SQES);
    C(a, IORING_REGISTER_BUFFERS);
    C(a, IORING_UNREGISTER_BUFFERS);
    C(a, IORING_REGISTER_FILES);
    C(a, IORING_UNREGISTER_FILES);
    C(a, IORING_REGISTER_EVENTFD);
    C(a, IORING_UNREGISTER_EVENTFD);
    C(a, IORING_REGISTER_ENABLE_RINGS);

    const char *p = "IoUringParamsLayout";
    SIZE(p, struct io_uring_params);
    OFF(p, "SQ_ENTRIES_OFFSET", struct io_uring_params, sq_entries);
    OFF(p, "CQ_ENTRIES_OFFSET", struct io_uring_params, cq_entries);
    OFF(p, "FLAGS_OFFSET", struct io_uring_params, flags);
    OFF(p, "SQ_THREAD_CPU_OFFSET", struct io_uring_params, sq_thread_cpu);
    OFF(p, "SQ_THREAD_IDLE_OFFSET", struct io_uring_params, sq_thread_idle);
    OFF(p, "FEATURES_OFFSET", struct io_uring_params, features);
    OFF(p, "WQ_FD_OFFSET", struct io_uring_params, wq_fd);
    OFF(p, "SQ_OFF_OFFSET", struct io_uring_params, sq_off);
    OFF(p, "CQ_OFF_OFFSET", struct io_uring_params, cq_off);

    const char *sq = "IoSqringOffsetsLayout";
    SIZE(sq, struct io_sqring_offsets);
    OFF(sq, "HEAD_OFFSET", struct io_sqring_offsets, head);
    OFF(sq, "TAIL_OFFSET", struct io_sqring_offsets, tail);
    OFF(sq, "RING_MASK_OFFSET", struct io_sqring_offsets, ring_mask);
    OFF(sq, "RING_ENTRIES_OFFSET", struct io_sqring_offsets, ring_entries);
    OFF(sq, "FLAGS_OFFSET", struct io_sqring_offsets, flags);
    OFF(sq, "DROPPED_OFFSET", struct io_sqring_offsets, dropped);
    OFF(sq, "ARRAY_OFFSET", struct io_sqring_offsets, array);

    const char *cq = "IoCqringOffsetsLayout";
    SIZE(cq, struct io_cqring_offsets);
    OFF(cq, "HEAD_OFFSET", struct io_cqring_offsets, head);
    OFF(cq, "TAIL_OFFSET", struct io_cqring_offsets, tail);
    OFF(cq, "RING_MASK_OFFSET", struct io_cqring_offsets, ring_mask);
    OFF(cq, "RING_ENTRIES_OFFSET", struct io_cqring_offsets, ring_entries);
    OFF(cq, "OVERFLOW_OFFSET", struct io_cqring_offsets, overflow);
    OFF(cq, "CQES_OFFSET", struct io_cqring_offsets, cqes);
    OFF(cq, "FLAGS_OFFSET", struct io_cqring_offsets, flags);

    const char *s = "IoUringSqeLayout";
    SIZE(s, struct io_uring_sqe);
    OFF(s, "OPCODE_OFFSET", struct io_uring_sqe, opcode);
    OFF(s, "FLAGS_OFFSET", struct io_uring_sqe, flags);
    OFF(s, "IOPRIO_OFFSET", struct io_uring_sqe, ioprio);
    OFF(s, "FD_OFFSET", struct io_uring_sqe, fd);
    OFF(s, "OFF_OFFSET", struct io_uring_sqe, off);
    OFF(s, "ADDR_OFFSET", struct io_uring_sqe, addr);
    OFF(s, "LEN_OFFSET", struct io_uring_sqe, len);
    OFF(s, "RW_FLAGS_OFFSET", struct io_uring_sqe, rw_flags);
    OFF(s, "FSYNC_FLAGS_OFFSET", struct io_uring_sqe, fsync_flags);
    OFF(s, "USER_DATA_OFFSET", struct io_uring_sqe, user_data);
    OFF(s, "BUF_INDEX_OFFSET", struct io_uring_sqe, buf_index);
    OFF(s, "PERSONALITY_OFFSET", struct io_uring_sqe, personality);
    OFF(s, "FILE_INDEX_OFFSET", struct io_uring_sqe, file_index);
    OFF(s, "ADDR3_OFFSET", struct io_uring_sqe, addr3);

    const char *c = "IoUringCqeLayout";
    SIZE(c, struct io_uring_cqe);
    OFF(c, "USER_DATA_OFFSET", struct io_uring_cqe, user_data);
    OFF(c, "RES_OFFSET", struct io_uring_cqe, res);
    OFF(c, "FLAGS_OFFSET", struct io_uring_cqe, flags);

    const char *v = "IoVecLayout";
    SIZE(v, struct iovec);
    OFF(v, "IOV_BASE_OFFSET", struct iovec, iov_base);
    OFF(v, "IOV_LEN_OFFSET", struct iovec, iov_len);
}

static void sockets(void)
{
    const char *k = "Sockets";
    C(k, AF_UNIX);
    C(k, AF_INET);
    C(k, SOCK_STREAM);
    C(k, SOCK_DGRAM);
    C(k, SOCK_NONBLOCK);
    C(k, SOCK_CLOEXEC);
    C(k, SOL_SOCKET);
    C(k, SCM_RIGHTS);
    C(k, MSG_CTRUNC);
    C(k, MSG_DONTWAIT);
    C(k, MSG_NOSIGNAL);
    C(k, MSG_CMSG_CLOEXEC);
    C(k, SHUT_RDWR);

    const char *m = "MsgHdrLayout";
    SIZE(m, struct msghdr);
    OFF(m, "MSG_NAME_OFFSET", struct msghdr, msg_name);
    OFF(m, "MSG_NAMELEN_OFFSET", struct msghdr, msg_namelen);
    OFF(m, "MSG_IOV_OFFSET", struct msghdr, msg_iov);
    OFF(m, "MSG_IOVLEN_OFFSET", struct msghdr, msg_iovlen);
    OFF(m, "MSG_CONTROL_OFFSET", struct msghdr, msg_control);
    OFF(m, "MSG_CONTROLLEN_OFFSET", struct msghdr, msg_controllen);
    OFF(m, "MSG_FLAGS_OFFSET", struct msghdr, msg_flags);

    const char *c = "CmsgHdrLayout";
    SIZE(c, struct cmsghdr);
    OFF(c, "CMSG_LEN_OFFSET", struct cmsghdr, cmsg_len);
    OFF(c, "CMSG_LEVEL_OFFSET", struct cmsghdr, cmsg_level);
    OFF(c, "CMSG_TYPE_OFFSET", struct cmsghdr, cmsg_type);

    const char *u = "SockaddrUnLayout";
    SIZE(u, struct sockaddr_un);
    OFF(u, "SUN_FAMILY_OFFSET", struct sockaddr_un, sun_family);
    OFF(u, "SUN_PATH_OFFSET", struct sockaddr_un, sun_path);
}

static void tun(void)
{
    const char *t = "Tun";
    C(t, IFF_TAP);
    C(t, IFF_NO_PI);
    C(t, IFF_VNET_HDR);
    C(t, IFF_MULTI_QUEUE);
    C(t, IFF_ATTACH_QUEUE);
    C(t, IFF_DETACH_QUEUE);
    C(t, TUN_F_CSUM);
    C(t, TUN_F_TSO4);
    C(t, TUN_F_TSO6);
    C(t, TUN_F_TSO_ECN);
    C(t, TUN_F_UFO);
    C(t, TUN_F_USO4);
    C(t, TUN_F_USO6);
    V(t, "TUNSETIFF", (unsigned int) TUNSETIFF);
    V(t, "TUNSETOFFLOAD", (unsigned int) TUNSETOFFLOAD);
    V(t, "TUNGETIFF", (unsigned int) TUNGETIFF);
    V(t, "TUNSETVNETHDRSZ", (unsigned int) TUNSETVNETHDRSZ);
    V(t, "TUNSETQUEUE", (unsigned int) TUNSETQUEUE);
    C(t, SIOCGIFMTU);
    C(t, SIOCSIFMTU);

    const char *r = "IfReqLayout";
    SIZE(r, struct ifreq);
    V(r, "NAME_BYTES", IFNAMSIZ);
    OFF(r, "IFR_NAME_OFFSET", struct ifreq, ifr_name);
    OFF(r, "IFR_FLAGS_OFFSET", struct ifreq, ifr_flags);
    OFF(r, "IFR_MTU_OFFSET", struct ifreq, ifr_mtu);
}

static void seccomp(void)
{
    const char *s = "Seccomp";
    V(s, "SYS_SOCKET", SYS_socket);
    V(s, "SYS_EXECVE", SYS_execve);
    V(s, "SYS_PTRACE", SYS_ptrace);
    V(s, "SYS_PERSONALITY", SYS_personality);
    V(s, "SYS_PIVOT_ROOT", SYS_pivot_root);
    V(s, "SYS_CHROOT", SYS_chroot);
    V(s, "SYS_ACCT", SYS_acct);
    V(s, "SYS_MOUNT", SYS_mount);
    V(s, "SYS_UMOUNT2", SYS_umount2);
    V(s, "SYS_SWAPON", SYS_swapon);
    V(s, "SYS_SWAPOFF", SYS_swapoff);
    V(s, "SYS_REBOOT", SYS_reboot);
    V(s, "SYS_IOPL", SYS_iopl);
    V(s, "SYS_IOPERM", SYS_ioperm);
    V(s, "SYS_INIT_MODULE", SYS_init_module);
    V(s, "SYS_DELETE_MODULE", SYS_delete_module);
    V(s, "SYS_KEXEC_LOAD", SYS_kexec_load);
    V(s, "SYS_ADD_KEY", SYS_add_key);
    V(s, "SYS_REQUEST_KEY", SYS_request_key);
    V(s, "SYS_KEYCTL", SYS_keyctl);
    V(s, "SYS_UNSHARE", SYS_unshare);
    V(s, "SYS_PROCESS_VM_READV", SYS_process_vm_readv);
    V(s, "SYS_PROCESS_VM_WRITEV", SYS_process_vm_writev);
    V(s, "SYS_FINIT_MODULE", SYS_finit_module);
    V(s, "SYS_SECCOMP", SYS_seccomp);
    V(s, "SYS_KEXEC_FILE_LOAD", SYS_kexec_file_load);
    V(s, "SYS_BPF", SYS_bpf);
    V(s, "SYS_EXECVEAT", SYS_execveat);
    V(s, "SYS_OPEN_BY_HANDLE_AT", SYS_open_by_handle_at);
    V(s, "SYS_SETNS", SYS_setns);
    V(s, "X32_SYSCALL_BIT", __X32_SYSCALL_BIT);
    C(s, PR_SET_NO_NEW_PRIVS);
    C(s, SECCOMP_SET_MODE_FILTER);
    C(s, SECCOMP_FILTER_FLAG_TSYNC);
    C(s, SECCOMP_FILTER_FLAG_LOG);
    V(s, "SECCOMP_RET_KILL_PROCESS", (int) SECCOMP_RET_KILL_PROCESS);
    C(s, SECCOMP_RET_ERRNO);
    C(s, SECCOMP_RET_LOG);
    C(s, SECCOMP_RET_ALLOW);
    V(s, "AUDIT_ARCH_X86_64", (int) AUDIT_ARCH_X86_64);
    C(s, AF_UNIX);
    OFF(s, "DATA_NR_OFFSET", struct seccomp_data, nr);
    OFF(s, "DATA_ARCH_OFFSET", struct seccomp_data, arch);
    OFF(s, "DATA_ARGS_OFFSET", struct seccomp_data, args);
    V(s, "BPF_LD_W_ABS", BPF_LD | BPF_W | BPF_ABS);
    V(s, "BPF_JMP_JEQ_K", BPF_JMP | BPF_JEQ | BPF_K);
    V(s, "BPF_JMP_JGE_K", BPF_JMP | BPF_JGE | BPF_K);
    V(s, "BPF_RET_K", BPF_RET | BPF_K);
    V(s, "MAX_INSNS", BPF_MAXINSNS);
}

int main(void)
{
    kvm_constants();
    libc_constants();
    errno_constants();
    kvm_run();
    kvm_registers();
    kvm_vm();
    libc_layouts();
    tun();
    io_uring();
    sockets();
    seccomp();
    return 0;
}
