#!/usr/bin/env bash
# Builds the tiny qemu dummy the tests and `npm run bench -- revert` boot, from Debian packages only:
# the Debian kernel (linux-image-amd64) and a BusyBox initramfs (busybox-static) whose web server
# runs a deliberately vulnerable CGI: /cgi-bin/ping.cgi?host=X runs `sh -c "ping -c 1 X"`, so
# `host=;any command` runs any command (the classic embedded-router command injection).
#
# Networking is static, from the kernel command line (crashtest.ip=ADDR/LEN crashtest.gw=ADDR), so
# one image serves every address plan; a root shell on the second serial port (ttyS1, a host unix
# socket, out of the guest network's reach) lets the driver re-address clones. The guest says what its CGI runs on the serial console as
# `crashtest: exec sh COMMAND` lines, which the qemu driver turns into observations.
#
# Output (gitignored): .cache/qemu-guest/{vmlinuz,initramfs.cpio.gz,guest.json}. Rebuilds only when
# the kernel or busybox changed. Usage: scripts/build-qemu-guest.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-.cache/qemu-guest}
# CRASHTEST_KERNEL_ROOT: a Debian kernel package unpacked with dpkg-deb -x (what .ci/run does, so CI
# needs no installed kernel and no regenerated host initramfs); default: the installed kernel
kernel_root=${CRASHTEST_KERNEL_ROOT:-}
kernel=$(ls -1 "$kernel_root"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
busybox=$(command -v busybox || true)
if [ -z "$kernel" ] || [ -z "$busybox" ]; then
  echo "build-qemu-guest: needs /boot/vmlinuz-* (apt-get install linux-image-amd64) and busybox (apt-get install busybox-static)" >&2
  exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked' && ldd "$busybox" >/dev/null 2>&1; then
  echo "build-qemu-guest: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
release=${kernel#"$kernel_root"/boot/vmlinuz-}
e1000=$kernel_root/lib/modules/$release/kernel/drivers/net/ethernet/intel/e1000/e1000.ko
if [ ! -f "$e1000" ]; then
  echo "build-qemu-guest: $e1000 is missing (the kernel's modules are not installed)" >&2
  exit 1
fi

stamp="$release $(sha256sum "$busybox" | cut -c1-16) $(sha256sum "$0" | cut -c1-16)"
if [ -f "$out/guest.json" ] && grep -qF "\"stamp\": \"$stamp\"" "$out/guest.json"; then
  echo "$out is up to date"
  exit 0
fi

mkdir -p "$out"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib/modules,www/cgi-bin}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$e1000" "$root/lib/modules/"

cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ip=10.13.37.10/24
gw=10.13.37.1
for word in $(cat /proc/cmdline); do
  case "$word" in
    crashtest.ip=*) ip=${word#crashtest.ip=} ;;
    crashtest.gw=*) gw=${word#crashtest.gw=} ;;
  esac
done
insmod /lib/modules/e1000.ko
ip link set lo up
ip addr add "$ip" dev eth0
ip link set eth0 up
ip route add default via "$gw"
echo "dvr" >/proc/sys/kernel/hostname
httpd -p 80 -h /www
# the driver's control line on the second serial port (a host unix socket the guest's network
# cannot reach): it re-addresses each clone restored from the one golden snapshot
stty -F /dev/ttyS1 raw -echo
setsid sh -c 'exec sh </dev/ttyS1 >/dev/ttyS1 2>/dev/null' &
echo "crashtest: ready $ip"
while true; do sleep 3600; done
INIT
chmod +x "$root/init"

cat >"$root/www/index.html" <<'HTML'
<html><head><title>DVR</title></head><body>Network DVR. <a href="/cgi-bin/ping.cgi?host=127.0.0.1">Diagnostics</a></body></html>
HTML

# The vulnerable CGI: the host parameter goes to sh unquoted.
cat >"$root/www/cgi-bin/ping.cgi" <<'CGI'
#!/bin/sh
echo "Content-Type: text/plain"
echo ""
host=$(httpd -d "${QUERY_STRING#host=}")
echo "crashtest: exec sh ping -c 1 -W 1 $host" >/dev/console
sh -c "ping -c 1 -W 1 $host" 2>&1
CGI
chmod +x "$root/www/cgi-bin/ping.cgi"

# every output lands by rename: two test files building at once never see a half-written file
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) >"$out/initramfs.cpio.gz.$$"
mv "$out/initramfs.cpio.gz.$$" "$out/initramfs.cpio.gz"
cp "$kernel" "$out/vmlinuz.$$"
mv "$out/vmlinuz.$$" "$out/vmlinuz"
cat >"$out/guest.json.$$" <<JSON
{
  "kernel": "vmlinuz",
  "initrd": "initramfs.cpio.gz",
  "append": "console=ttyS0 quiet panic=-1",
  "service": { "proto": "tcp", "port": 80 },
  "vulnerable": "/cgi-bin/ping.cgi?host=;COMMAND",
  "stamp": "$stamp"
}
JSON
mv "$out/guest.json.$$" "$out/guest.json"
echo "built $out (kernel $release)"
