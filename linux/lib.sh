# Shared helpers for linux/build-guest-image.sh and linux/build-lab-image.sh (sourced, not run).
#
# Everything that goes into an image comes from Debian packages fetched with `apt-get download`
# (never installed); the host only lends its tools (dpkg-deb, depmod, cpio, gzip).

LINUX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LINUX_DIR/.." && pwd)
CACHE_ROOT=${VIREO_CACHE:-$REPO_ROOT/.cache}
DEB_CACHE=$CACHE_ROOT/debs

log() { printf '%s: %s\n' "${LOG_TAG:-linux}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${LOG_TAG:-linux}" "$*" >&2; exit "${DIE_STATUS:-1}"; }

require_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (mknod for /dev/console, apt-get)"
}

# apt-get update once if this machine has never fetched package lists.
ensure_apt_lists() {
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        log "apt-get update (no package lists yet)"
        apt-get update -qq >&2 || die "apt-get update failed"
    fi
}

# ensure_tools CMD:PACKAGE ... — apt-get install the host tools that are missing.
ensure_tools() {
    local want=() spec
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || want+=("${spec#*:}")
    done
    if [ ${#want[@]} -gt 0 ]; then
        ensure_apt_lists
        log "installing host tools: ${want[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >&2 || die "apt-get install ${want[*]} failed"
    fi
}

# The single dependency of a metapackage such as linux-image-cloud-amd64 (-> linux-image-6.1.0-NN-cloud-amd64).
metapackage_target() {
    local t
    t=$(apt-cache depends "$1" 2>/dev/null | awk '/^ *Depends: linux-image-/{print $2; exit}')
    [ -n "$t" ] || die "cannot resolve $1 (apt-cache depends); run apt-get update?"
    printf '%s\n' "$t"
}

# pkg_info PKG... — "package version architecture" of each candidate, in one apt-cache call
# (each call costs ~0.5 s of list loading).
pkg_info() {
    apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
        /^Package: /      { p = $2 }
        /^Version: /      { v = $2 }
        /^Architecture: / { a = $2 }
        /^$/ { if (p != "") print p, v, a; p = "" }
        END  { if (p != "") print p, v, a }' | sort -u
}

# Recursive Depends/PreDepends closure of the given packages (real package names only).
dep_closure() {
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^ ' | grep -v '^<' | sort -u
}

# "pkg=version" lines for the given packages, sorted: what a build stamp hashes.
pkg_versions() {
    local info p
    info=$(pkg_info "$@")
    for p in "$@"; do
        grep -q "^$p " <<<"$info" || die "package $p has no candidate version (apt-get update?)"
    done
    awk '{ print $1 "=" $2 }' <<<"$info"
}

# fetch_debs PKG=VERSION ... — into $DEB_CACHE (kept across builds); prints the .deb paths.
fetch_debs() {
    local spec p v a f info missing=() files=()
    mkdir -p "$DEB_CACHE"
    info=$(pkg_info "${@%%=*}")
    for spec in "$@"; do
        p=${spec%%=*} v=${spec#*=}
        a=$(awk -v p="$p" '$1 == p { print $3; exit }' <<<"$info")
        f="$DEB_CACHE/${p}_${v//:/%3a}_${a}.deb"
        files+=("$f")
        [ -s "$f" ] || missing+=("$p=$v")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "apt-get download ${#missing[@]} package(s)"
        (cd "$DEB_CACHE" && apt-get download -qq -o APT::Sandbox::User=root "${missing[@]}" >&2) \
            || die "apt-get download failed"
    fi
    for f in "${files[@]}"; do
        [ -s "$f" ] || die "apt-get download did not produce $f"
        printf '%s\n' "$f"
    done
}

# deb_of PKG — the path of PKG's .deb in the global array debs (filled from fetch_debs).
deb_of() {
    local d
    for d in "${debs[@]}"; do case ${d##*/} in "$1"_*) printf '%s\n' "$d"; return;; esac; done
    die "no .deb for $1"
}

# stamp_of FILE... -- TEXT: a sha256 over files and extra text (package versions).
stamp_of() {
    local files=() text
    while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
    shift
    text=$*
    { sha256sum "${files[@]}" | awk '{print $1}'; printf '%s\n' "$text"; } | sha256sum | awk '{print $1}'
}

# install_busybox DEB ROOT — busybox at ROOT/bin/busybox plus a symlink for every applet.
install_busybox() {
    local deb=$1 root=$2 tmp applet dir
    tmp=$(mktemp -d)
    dpkg-deb -x "$deb" "$tmp"
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
    cp "$tmp/bin/busybox" "$root/bin/busybox"
    rm -rf "$tmp"
    for applet in $("$root/bin/busybox" --list-full); do
        [ -e "$root/$applet" ] || [ -L "$root/$applet" ] && continue
        dir=$(dirname "$applet")
        mkdir -p "$root/$dir"
        ln -s /bin/busybox "$root/$applet"
    done
}

# install_modules KTREE VERSION ROOT NAME... — copy the named modules and their dependencies from an
# unpacked kernel package (KTREE/lib/modules/VERSION) to ROOT/lib/modules/VERSION (decompressed),
# run depmod there, and write ROOT/lib/modules/VERSION/load-order: the .ko paths to insmod, in order.
# Names built into the kernel (modules.builtin) are skipped with a note; unknown names are an error.
install_modules() {
    local ktree=$1 ver=$2 root=$3
    shift 3
    local src=$ktree/lib/modules/$ver dst=$root/lib/modules/$ver
    [ -d "$src" ] || die "no modules for $ver in $ktree"
    mkdir -p "$dst"
    cp "$src"/modules.builtin* "$src"/modules.order "$dst"/ 2>/dev/null || true
    # depmod over the full tree once (cached inside the unpacked kernel dir), to learn dependencies.
    [ -s "$src/modules.dep" ] || depmod -b "$ktree" "$ver" || die "depmod on $ktree failed"
    local -A done_=()
    local order=()
    _mod_path() { # name -> path relative to $src (as in modules.dep), or empty
        local n=$1 alt
        alt=${n//-/_}
        awk -F: -v a="$n" -v b="$alt" '{
            f=$1; sub(/.*\//,"",f); sub(/\.ko(\.xz|\.zst|\.gz)?$/,"",f); g=f; gsub(/-/,"_",g)
            if (f==a || g==b) { print $1; exit } }' "$src/modules.dep"
    }
    _visit() {
        local rel=$1 d
        [ -n "${done_[$rel]:-}" ] && return
        done_[$rel]=1
        for d in $(awk -F: -v r="$rel" '$1==r { print $2; exit }' "$src/modules.dep"); do
            _visit "$d"
        done
        order+=("$rel")
    }
    local name rel
    for name in "$@"; do
        rel=$(_mod_path "$name")
        if [ -z "$rel" ]; then
            if grep -qE "/${name//-/[-_]}\.ko$" "$src/modules.builtin" 2>/dev/null \
               || grep -qE "/${name//_/[-_]}\.ko$" "$src/modules.builtin" 2>/dev/null; then
                log "module $name is built into $ver"
                continue
            fi
            die "module $name not found in $ver"
        fi
        _visit "$rel"
    done
    : > "$dst/load-order"
    for rel in "${order[@]}"; do
        local out=${rel%.xz} ; out=${out%.zst} ; out=${out%.gz}
        mkdir -p "$dst/$(dirname "$out")"
        case $rel in
            *.ko.xz)  xz -dc "$src/$rel" > "$dst/$out" ;;
            *.ko.zst) zstd -qdc "$src/$rel" > "$dst/$out" ;;
            *.ko.gz)  gzip -dc "$src/$rel" > "$dst/$out" ;;
            *)        cp "$src/$rel" "$dst/$out" ;;
        esac
        printf '%s\n' "$out" >> "$dst/load-order"
    done
    depmod -b "$root" "$ver" || die "depmod on the image tree failed"
}

# extract_vmlinux BZIMAGE > VMLINUX — the uncompressed ELF kernel inside a bzImage (like the kernel's
# scripts/extract-vmlinux): try each compressed-stream signature until one decompresses to an ELF.
extract_vmlinux() {
    local img=$1 sig cmd off tmp
    tmp=$(mktemp)
    for sig in "\xfd7zXZ\x00:xz -dcq" "\x28\xb5\x2f\xfd:zstd -dcq" "\x1f\x8b\x08:gzip -dcq" "\x02\x21\x4c\x18:lz4 -dcq"; do
        cmd=${sig#*:} sig=${sig%%:*}
        command -v "${cmd%% *}" >/dev/null || continue
        for off in $(LC_ALL=C grep -aboP "$sig" "$img" 2>/dev/null | cut -d: -f1); do
            tail -c +$((off + 1)) "$img" | $cmd > "$tmp" 2>/dev/null
            if readelf -h "$tmp" >/dev/null 2>&1; then cat "$tmp"; rm -f "$tmp"; return 0; fi
        done
    done
    rm -f "$tmp"
    return 1
}

# make_cpio ROOT OUT — newc cpio, gzip -9, owned by root, fixed mtimes (reproducible for the same input).
make_cpio() {
    local root=$1 out=$2
    mkdir -p "$root/dev"
    [ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1
    [ -e "$root/dev/null" ] || mknod -m 666 "$root/dev/null" c 1 3
    find "$root" -exec touch -h -d @0 {} +
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -9 -n) > "$out.tmp"
    mv "$out.tmp" "$out"
}
