#!/bin/sh
# check-layout.sh ELF -- fail the build if the image would not boot both ways.
# Multiboot's a.out kludge copies the file bytes linearly, so every PT_LOAD
# needs the same (file offset - address); PVH loaders load by p_paddr and need
# the Xen PHYS32_ENTRY note (type 18); the multiboot header (start of the first
# PT_LOAD) must be in the first 8 KiB of the file.
set -e
elf=$1
fail() { echo "check-layout: $elf: $*" >&2; exit 1; }
n=0
for seg in $(readelf -lW "$elf" | awk '$1 == "LOAD" { print $2 "," $3 "," $4 }'); do
    IFS=, read -r off va pa <<EOT
$seg
EOT
    [ $((va)) -eq $((pa)) ] || fail "PT_LOAD vaddr $va != paddr $pa"
    d=$((off - va))
    if [ $n -eq 0 ]; then
        delta=$d
        [ $((off)) -lt $((8192 - 48)) ] || fail "first PT_LOAD at file offset $off: multiboot header beyond 8 KiB"
    else
        [ "$d" = "$delta" ] || fail "PT_LOAD at $va: file layout differs from memory layout"
    fi
    n=$((n + 1))
done
[ $n -gt 0 ] || fail "no PT_LOAD"
readelf -nW "$elf" | grep -q '^ *Xen .*0x00000012' || fail "no Xen PHYS32_ENTRY (type 18) note"
