#!/usr/bin/env bash
# Builds the L1 ("lab") kernel and initramfs that linux/nested-lab.sh boots under QEMU TCG:
#   vmlinuz             the kernel of Debian's generic linux-image-amd64 (it has 9p; the cloud one lacks it)
#   vmlinux             the same kernel decompressed (an ELF with a PVH entry): QEMU boots it ~3 s
#                       faster under TCG, which is slow at the bzImage's own xz decompression
#   initramfs.cpio.gz   busybox, the virtio/9p/kvm modules, /init = linux/lab-init.sh
# into $VIREO_CACHE/linux-lab (VIREO_CACHE defaulting to <repo>/.cache). Everything from Debian
# packages fetched with apt-get download. Rebuilt only when this script, lib.sh, lab-init.sh or a
# package version changes. Run as root.
#
# usage: linux/build-lab-image.sh [--out DIR] [--force] [--quiet]
set -euo pipefail
LOG_TAG=build-lab-image
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

out=$CACHE_ROOT/linux-lab force= quiet=
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --out=*) out=${1#--out=}; shift ;;
        --force) force=1; shift ;;
        --quiet) quiet=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (usage: $0 [--out DIR] [--force] [--quiet])" ;;
    esac
done

# In load order; dependencies not listed here are added by install_modules.
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
         netfs fscache 9pnet 9pnet_virtio 9p irqbypass kvm ccp kvm-amd tun)

require_root
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9    # one build at a time per output directory; readers of a finished build are not blocked
ensure_tools dpkg-deb:dpkg apt-get:apt depmod:kmod cpio:cpio gzip:gzip sha256sum:coreutils xz:xz-utils zstd:zstd readelf:binutils
ensure_apt_lists

kernel_pkg=$(metapackage_target linux-image-amd64)
versions=$(pkg_versions "$kernel_pkg" busybox-static)
self=$(readlink -f "${BASH_SOURCE[0]}")
stamp=$(stamp_of "$self" "$LINUX_DIR/lib.sh" "$LINUX_DIR/lab-init.sh" -- "$versions")

print_paths() {
    [ -n "$quiet" ] && return
    printf '%s\n' "$out/vmlinux" "$out/initramfs.cpio.gz"
}
if [ -z "$force" ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] \
   && [ -s "$out/vmlinux" ] && [ -s "$out/initramfs.cpio.gz" ]; then
    print_paths
    exit 0
fi

log "building in $out ($kernel_pkg)"
mapfile -t debs < <(fetch_debs $versions)
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
ktree=$work/kernel root=$work/root
mkdir -p "$ktree" "$root"

dpkg-deb -x "$(deb_of "$kernel_pkg")" "$ktree"
kver=${kernel_pkg#linux-image-}
[ -f "$ktree/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-$kver in $kernel_pkg"
install_busybox "$(deb_of busybox-static)" "$root"
install_modules "$ktree" "$kver" "$root" "${MODULES[@]}"
mkdir -p "$root"/{proc,sys,dev,tmp,run,root,etc,host,ctl}
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
install -m 0755 "$LINUX_DIR/lab-init.sh" "$root/init"
make_cpio "$root" "$out/initramfs.cpio.gz"

cp "$ktree/boot/vmlinuz-$kver" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
extract_vmlinux "$out/vmlinuz" > "$out/vmlinux.tmp" || die "cannot decompress $out/vmlinuz"
mv "$out/vmlinux.tmp" "$out/vmlinux"
printf '%s\n' "$versions" > "$out/packages.txt"
printf '%s\n' "$kver" > "$out/kernel-release"
printf '%s\n' "$stamp" > "$out/stamp"
log "done: kernel $kver, initramfs $(du -h "$out/initramfs.cpio.gz" | cut -f1)"
print_paths
