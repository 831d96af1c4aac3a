package io.vireo.vmm.kvm;

import io.vireo.sys.Errno;
import io.vireo.sys.Kvm;
import io.vireo.sys.Libc;
import io.vireo.sys.SysException;
import io.vireo.vmm.VireoException;
import io.vireo.vmm.ExitStatus;

/** The open {@code /dev/kvm}: API checks and system-wide queries. */
public final class KvmSystem implements AutoCloseable {
    /** The KVM device; VIREO_KVM_DEVICE overrides it (tests use that to show the error path). */
    public static final String DEVICE = System.getenv().getOrDefault("VIREO_KVM_DEVICE", "/dev/kvm");

    private final int fd;

    private KvmSystem(int fd) {
        this.fd = fd;
    }

    /** Opens /dev/kvm, or throws a {@link VireoException} with one line saying why not. */
    public static KvmSystem open() {
        int fd;
        try {
            fd = Libc.open(DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC);
        } catch (SysException e) {
            String hint = switch (e.errno()) {
                case Errno.ENOENT -> " (no KVM on this host: is the kvm module loaded?)";
                case Errno.EACCES, Errno.EPERM -> " (add your user to the kvm group, or run as root)";
                default -> "";
            };
            throw new VireoException(ExitStatus.KVM_UNAVAILABLE, "cannot use " + DEVICE + ": " + e.getMessage() + hint);
        }
        KvmSystem kvm = new KvmSystem(fd);
        try {
            long version;
            try {
                version = Libc.ioctl(fd, Kvm.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
            } catch (SysException e) {
                throw new VireoException(ExitStatus.KVM_UNAVAILABLE, "cannot use " + DEVICE + ": " + e.getMessage()
                    + " (not a KVM device)");
            }
            if (version != Kvm.KVM_API_VERSION) {
                throw new VireoException(ExitStatus.KVM_UNAVAILABLE,
                    DEVICE + " speaks KVM API version " + version + "; Vireo needs " + Kvm.KVM_API_VERSION);
            }
            kvm.require(Kvm.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP");
            kvm.require(Kvm.KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
            kvm.require(Kvm.KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
            kvm.require(Kvm.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
            return kvm;
        } catch (RuntimeException e) {
            kvm.close();
            throw e;
        }
    }

    private void require(int cap, String name) {
        if (checkExtension(cap) <= 0) {
            throw new VireoException(ExitStatus.KVM_UNAVAILABLE, DEVICE + " lacks " + name + ", which Vireo needs");
        }
    }

    public int fd() {
        return fd;
    }

    public long checkExtension(int cap) {
        return Libc.ioctl(fd, Kvm.KVM_CHECK_EXTENSION, cap, "KVM_CHECK_EXTENSION");
    }

    public int vcpuMmapSize() {
        return (int) Libc.ioctl(fd, Kvm.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** The most vCPUs a VM may have here (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS). */
    public int maxVcpus() {
        long max = checkExtension(Kvm.KVM_CAP_MAX_VCPUS);
        return (int) (max > 0 ? max : Math.max(1, checkExtension(Kvm.KVM_CAP_NR_VCPUS)));
    }

    public CpuidTable supportedCpuid() {
        return CpuidTable.supported(fd, checkExtension(Kvm.KVM_CAP_TSC_DEADLINE_TIMER) > 0);
    }

    @Override
    public void close() {
        Libc.closeQuietly(fd);
    }
}
