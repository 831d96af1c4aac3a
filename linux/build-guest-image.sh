#!/usr/bin/env bash
# Builds Vireo's default Linux guest from Debian packages (apt-get download, never installed):
#   bzImage                 the kernel of linux-image-cloud-amd64
#   initramfs.cpio.gz       busybox, virtio modules, fio, iperf3 (+ their libraries), ioport, /init
#   initramfs-base.cpio.gz  the same without fio and iperf3 (and their 80 MB of libraries): boots faster
# into a cache directory (default $VIREO_CACHE/linux-guest, VIREO_CACHE defaulting to <repo>/.cache).
# Rebuilt only when this script, lib.sh, init.sh or a package version changes. Run as root.
#
# usage: linux/build-guest-image.sh [--out DIR] [--force] [--quiet]
set -euo pipefail
LOG_TAG=build-guest-image
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

out=$CACHE_ROOT/linux-guest force= quiet=
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

MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover virtio_net
         fuse virtiofs)
TOOLS=(fio iperf3)

# A read-only view of a built cache (the nested lab sees the host's over 9p): use it as it is.
if [ -z "$force" ] && [ -d "$out" ] && ! touch "$out/.lock" 2>/dev/null \
   && [ -s "$out/bzImage" ] && [ -s "$out/initramfs.cpio.gz" ] && [ -s "$out/initramfs-base.cpio.gz" ]; then
    [ -n "$quiet" ] || printf '%s\n' "$out/bzImage" "$out/initramfs.cpio.gz" "$out/initramfs-base.cpio.gz"
    exit 0
fi
require_root
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9    # one build at a time per output directory; readers of a finished build are not blocked
ensure_tools dpkg-deb:dpkg apt-get:apt depmod:kmod cpio:cpio gzip:gzip xz:xz-utils sha256sum:coreutils
ensure_apt_lists

kernel_pkg=$(metapackage_target linux-image-cloud-amd64)
# Library packages in the dependency closure of the tools; the ELF walk below takes only the
# files the binaries actually load. Perl, Python and configuration-only packages are left out.
lib_pkgs=$(dep_closure "${TOOLS[@]}" | grep -E '^(lib|zlib1g)' \
    | grep -vE -- '-(perl|common|dev|bin|data)$|^libpython|^libperl|^libpam|^libsemanage|^libdebian-installer' || true)
versions=$(pkg_versions "$kernel_pkg" busybox-static ioport "${TOOLS[@]}" $lib_pkgs)
self=$(readlink -f "${BASH_SOURCE[0]}")
stamp=$(stamp_of "$self" "$LINUX_DIR/lib.sh" "$LINUX_DIR/init.sh" -- "$versions")

print_paths() {
    [ -n "$quiet" ] && return
    printf '%s\n' "$out/bzImage" "$out/initramfs.cpio.gz" "$out/initramfs-base.cpio.gz"
}
if [ -z "$force" ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] \
   && [ -s "$out/bzImage" ] && [ -s "$out/initramfs.cpio.gz" ] && [ -s "$out/initramfs-base.cpio.gz" ]; then
    print_paths
    exit 0
fi

log "building in $out ($kernel_pkg)"
mapfile -t debs < <(fetch_debs $versions)

work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
ktree=$work/kernel staging=$work/staging root=$work/root
mkdir -p "$ktree" "$staging" "$root"

# Kernel and its modules.
dpkg-deb -x "$(deb_of "$kernel_pkg")" "$ktree"
kver=${kernel_pkg#linux-image-}
[ -f "$ktree/boot/vmlinuz-$kver" ] || die "no /boot/vmlinuz-$kver in $kernel_pkg"

# Base image: busybox, modules, ioport (outb for the exit ports), /init.
install_busybox "$(deb_of busybox-static)" "$root"
install_modules "$ktree" "$kver" "$root" "${MODULES[@]}"
mkdir -p "$root"/{proc,sys,dev,tmp,run,root,etc,mnt,var/tmp}
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
install -m 0755 "$LINUX_DIR/init.sh" "$root/init"

for d in "${debs[@]}"; do
    case ${d##*/} in linux-image-*|busybox-static_*) ;; *) dpkg-deb -x "$d" "$staging" ;; esac
done
loader=$staging/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
[ -x "$loader" ] || die "no dynamic loader in the libc6 package"
libpath=$(find "$staging" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd:)

# copy_elf ROOT BIN... — the binaries (same path as in the packages) and every library they load,
# resolved by the packages' own loader against the staging tree only.
copy_elf() {
    local dest=$1 bin lib listing
    shift
    for bin in "$@"; do
        [ -f "$staging/$bin" ] || die "$bin not in the downloaded packages"
        install -D -m 0755 "$staging/$bin" "$dest/$bin"
        listing=$("$loader" --library-path "$libpath" --list "$staging/$bin") || die "cannot resolve libraries of $bin: $listing"
        if grep -q 'not found' <<<"$listing"; then die "$bin: missing libraries: $(grep 'not found' <<<"$listing" | tr -s ' \t' ' ')"; fi
        for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$listing"); do
            case $lib in "$staging"/*) ;; *) die "$bin: $lib resolved outside the packages";; esac
            lib=${lib#"$staging"}
            [ -e "$dest$lib" ] || install -D -m 0755 "$(readlink -f "$staging$lib")" "$dest$lib"
        done
    done
    install -D -m 0755 "$(readlink -f "$loader")" "$dest/lib64/ld-linux-x86-64.so.2"
    # An ld.so.cache for the image (covers RUNPATH-less lookups such as .../ceph); the host's
    # ldconfig only writes the cache file.
    find "$dest" -name '*.so*' -printf '/%P\n' | xargs -rn1 dirname | sort -u > "$dest/etc/ld.so.conf"
    ldconfig -r "$dest" 2>/dev/null || log "ldconfig -r failed (not fatal: the loader's default paths still work)"
}

copy_elf "$root" /usr/bin/outb
for l in inb inw inl outw outl; do ln -sf outb "$root/usr/bin/$l"; done
make_cpio "$root" "$out/initramfs-base.cpio.gz"

copy_elf "$root" /usr/bin/fio /usr/bin/iperf3
make_cpio "$root" "$out/initramfs.cpio.gz"

cp "$ktree/boot/vmlinuz-$kver" "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
cp "$ktree/boot/config-$kver" "$out/config"
printf '%s\n' "$versions" > "$out/packages.txt"
printf '%s\n' "$kver" > "$out/kernel-release"
printf '%s\n' "$stamp" > "$out/stamp"
log "done: kernel $kver, initramfs $(du -h "$out/initramfs.cpio.gz" | cut -f1), base $(du -h "$out/initramfs-base.cpio.gz" | cut -f1)"
print_paths
