#!/usr/bin/env bash
# Builds a tiny Linux guest for the label and namespace-mode tests: Debian's kernel, the NVDIMM, device-DAX
# and ext4 modules, ndctl, mkfs.ext4 and a busybox /init, packed into an initramfs. Everything comes from Debian packages fetched with
# apt-get download (no root needed, nothing installed on the host). Output: $OUT/vmlinuz, $OUT/initrd,
# by default in ~/.cache/vnvdimm/linux-guest (where the tests look, unless VNVDIMM_LINUX_GUEST says otherwise),
# kept across runs and rebuilt when the init script changes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-${VNVDIMM_LINUX_GUEST:-$HOME/.cache/vnvdimm/linux-guest}}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
[[ -s "$OUT/vmlinuz" && -s "$OUT/initrd" && "$OUT/initrd" -nt "$here/init" ]] && exit 0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
kernel=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
libs=(e2fsprogs libext2fs2 libcom-err2 libblkid1 libcxl1 libdaxctl1 libiniparser1 libjson-c5 libkeyutils1 libndctl6 libtraceevent1 libtracefs1 libuuid1 libkmod2 libudev1 liblzma5 libzstd1 libssl3 zlib1g libc6)
apt-get download "$kernel" ndctl busybox-static "${libs[@]}" >/dev/null 2>&1
for deb in *.deb; do dpkg-deb -x "$deb" x; done

root="$work/root"
mkdir -p "$root"/{bin,sbin,lib/x86_64-linux-gnu,lib64,modules,proc,sys,dev,tmp,run,etc}
cp x/bin/busybox "$root/bin/busybox"
for tool in sh mount umount insmod sleep cat echo poweroff mkdir dmesg grep head ls basename; do ln -sf busybox "$root/bin/$tool"; done
cp x/usr/bin/ndctl "$root/sbin/ndctl"
cp x/sbin/mke2fs "$root/sbin/mkfs.ext4"
cp x/etc/mke2fs.conf "$root/etc/mke2fs.conf"
# The libraries ndctl needs, from the packages (the loader resolves them inside the initramfs).
for lib in x/usr/lib/x86_64-linux-gnu/*.so.* x/lib/x86_64-linux-gnu/*.so.*; do
  [[ -e "$lib" ]] && cp -L "$lib" "$root/lib/x86_64-linux-gnu/" 2>/dev/null || true
done
cp -L x/lib64/ld-linux-x86-64.so.2 "$root/lib64/" 2>/dev/null || cp -L x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/"
modules="x/lib/modules/${kernel#linux-image-}/kernel"
for m in drivers/nvdimm/libnvdimm drivers/nvdimm/nd_btt drivers/nvdimm/nd_pmem drivers/acpi/nfit/nfit \
    drivers/dax/device_dax drivers/dax/dax_pmem lib/crc16 crypto/crc32c_generic fs/jbd2/jbd2 fs/mbcache fs/ext4/ext4; do
  cp "$modules/$m.ko" "$root/modules/"
  echo "$(basename "$m").ko" >> "$root/modules/order"
done
cp "$here/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | "$work/x/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) > "$OUT/initrd.tmp"
cp "x/boot/vmlinuz-${kernel#linux-image-}" "$OUT/vmlinuz"
mv "$OUT/initrd.tmp" "$OUT/initrd"
