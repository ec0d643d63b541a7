#!/bin/sh
# /init of the nodenet test VM: mount the pseudo file systems, load the
# modules, run each suite of /nnt/suites (lines "name|binary|VAR=value|run
# regexp") with -test.v, frame its output for the host
# (NNT-VM-BEGIN/END/DONE lines) and end qemu through isa-debug-exit with
# the verdict. Kernel command-line words of the form NNT_RUN=regexp reach
# this script as environment variables and narrow every suite.
export PATH=/usr/sbin:/usr/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
export HOME=/tmp TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
ln -s /run /var/run
mkdir -p /run/netns /dev/pts /dev/shm
mount -t devpts devpts /dev/pts

while read -r m; do
	insmod "$m" 2>/dev/null || echo "nnt-vm: insmod $m failed"
done </etc/nnt-modules
/usr/bin/ip link set lo up

NNT_ECHO_BIN=/nnt/bin/nnt-echo NODENET_BIN=/nnt/bin/nodenet
export NNT_ECHO_BIN NODENET_BIN NNT_IN_VM=1
verdict=0
while IFS='|' read -r name bin env run; do
	echo "NNT-VM-BEGIN $name"
	set -- -test.v -test.count=1 -test.timeout=${NNT_TIMEOUT:-10m}
	[ -n "$run" ] && set -- "$@" -test.run "$run"
	[ -n "$NNT_RUN" ] && set -- "$@" -test.run "$NNT_RUN"
	[ -n "$NNT_BENCH" ] && set -- "$@" -test.bench "$NNT_BENCH" -test.benchtime 1x
	(cd /nnt/tests && env $env "/nnt/tests/$bin" "$@" 2>&1 </dev/null)
	rc=$?
	echo "NNT-VM-END $name rc=$rc"
	[ "$rc" = 0 ] || verdict=1
done </nnt/suites
echo "NNT-VM-DONE verdict=$verdict"
# isa-debug-exit: qemu exits with (byte<<1)|1, so 1 is pass and 3 is fail.
printf "\\$(printf %03o "$verdict")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
