#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host/packaging: what a packager gets from
#     make install-tools DESTDIR=$tmp PREFIX=/usr
# and what an administrator then runs, checked without a kernel:
#   - the installed file list, exactly (unit, helper, udev rule under
#     /usr/lib/udev/rules.d, headers, .so links, .pc, man pages);
#   - one version everywhere (module, tools, dkms.conf, pkg-config);
#   - libthinblk: soname, only the functions of its headers exported (nm -D),
#     and a small program built against the installed tree through pkg-config
#     alone, linked shared and static, and run;
#   - the unit passes `systemd-analyze verify` without a word, and orders
#     itself before the container daemons;
#   - the helper's configuration parser (a file that would run commands if it
#     were sourced runs none; bad files are refused with file:line) and its
#     start/stop logic against a fake thinctl;
#   - the DKMS source set is complete, the module installs under DESTDIR
#     without a module index (when the module is built);
#   - make uninstall DESTDIR=$tmp leaves no file behind.
# Runs in a few seconds.  Prints "ok: N checks" or the first failure.

set -u
# Under `make check` the outer make exports its install directories (for
# PREFIX=/usr/local) and MAKEFLAGS: the installs below must see only their
# own command lines, as a packager's would.
unset PREFIX DESTDIR SBINDIR LIBEXECDIR MANDIR DOCDIR SYSCONFDIR UNITDIR \
	UDEVRULESDIR LIBDIR INCLUDEDIR PKGCONFIGDIR MAKEFLAGS MFLAGS MAKELEVEL
TOP=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/thinblk-packaging.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
dest=$scratch/dest
checks=0
notes=''

fail() {
	echo "FAIL: $*"
	exit 1
}

# expect DESCRIPTION COMMAND...: COMMAND must succeed
expect() {
	local what=$1
	shift
	"$@" || fail "$what"
	checks=$((checks + 1))
}

# same FILE-A FILE-B DESCRIPTION: the two files hold the same lines
same() {
	diff -u "$1" "$2" >"$scratch/diff" ||
		fail "$3:"$'\n'"$(cat "$scratch/diff")"
	checks=$((checks + 1))
}

requires() {
	command -v "$1" >/dev/null ||
		fail "requires $1 ($2), not installed: run make deps"
}

requires pkg-config pkg-config
requires systemd-analyze systemd
requires man man-db
requires nm binutils
requires cc build-essential

make_q() {
	make -s -C "$TOP" "$@" >"$scratch/make.log" 2>&1 ||
		fail "make $*: $(tail -n 3 "$scratch/make.log")"
}

# ---- install-tools -----------------------------------------------------------

make_q install-tools DESTDIR="$dest" PREFIX=/usr
checks=$((checks + 1))

version=$(sed -n 's/^#define THINBLK_VERSION "\(.*\)"/\1/p' "$TOP/kmod/main.c")
[ -n "$version" ] || fail "no THINBLK_VERSION in kmod/main.c"

cat >"$scratch/want" <<EOF
/etc/thinblk/
/usr/include/thinblk/libthinblk.h
/usr/include/thinblk/linux/thinblk.h
/usr/include/thinblk/offline.h
/usr/lib/libthinblk.a
/usr/lib/libthinblk.so -> libthinblk.so.1
/usr/lib/libthinblk.so.$version
/usr/lib/libthinblk.so.1 -> libthinblk.so.$version
/usr/lib/pkgconfig/libthinblk.pc
/usr/lib/systemd/system/thinblk-pool@.service
/usr/lib/thinblk/thinblk-pool
/usr/lib/udev/rules.d/60-thinblk.rules
/usr/sbin/thinctl
/usr/share/doc/thinblk/examples/pool.conf
/usr/share/man/man8/thinblk-pool.8
/usr/share/man/man8/thinctl.8
EOF
# files, links with their targets, and empty directories
list_tree() {
	(cd "$1" && find . \( -type f -o -type l -o -type d -empty \) \
		-printf '%p %l %y\n') |
		sed -e 's|^\.||' -e 's|  d$|/|' -e 's|  f$||' -e 's| \(.*\) l$| -> \1|' |
		LC_ALL=C sort
}
list_tree "$dest" >"$scratch/got"
same "$scratch/want" "$scratch/got" "installed files differ from the expected list"

for exe in usr/sbin/thinctl usr/lib/thinblk/thinblk-pool; do
	expect "$exe is executable" test -x "$dest/$exe"
done
expect "the unit is not executable" test ! -x "$dest/usr/lib/systemd/system/thinblk-pool@.service"

# ---- one version -------------------------------------------------------------

dkms_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
tool_version=$(sed -n 's/^TOOL_VERSION := //p' "$TOP/tools/Makefile")
pc_version=$(PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig pkg-config --modversion libthinblk)
for v in "dkms.conf:$dkms_version" "tools/Makefile:$tool_version" "libthinblk.pc:$pc_version"; do
	expect "${v%%:*} says version ${v#*:}, kmod/main.c $version" test "${v#*:}" = "$version"
done

# ---- libthinblk: soname, exports, pkg-config ----------------------------------

lib=$dest/usr/lib/libthinblk.so.$version
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
expect "soname is libthinblk.so.1, not '$soname'" test "$soname" = libthinblk.so.1

# The functions the headers declare (a declaration starts in column 0 with
# its type), the version script's list, and what the library exports.
sed -n 's/^[a-z].*[ *]\(tb_[a-z0-9_]*\)(.*/\1/p' \
	"$dest"/usr/include/thinblk/libthinblk.h "$dest"/usr/include/thinblk/offline.h |
	LC_ALL=C sort -u >"$scratch/declared"
expect "the headers declare functions" test -s "$scratch/declared"
sed -n 's/^[[:blank:]]*\(tb_[a-z0-9_]*\);.*/\1/p' "$TOP/tools/lib/libthinblk.map" |
	LC_ALL=C sort -u >"$scratch/mapped"
same "$scratch/declared" "$scratch/mapped" "libthinblk.map and the headers disagree"
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	LC_ALL=C sort -u >"$scratch/exported"
same "$scratch/declared" "$scratch/exported" "nm -D: exports are not exactly the headers' functions"
expect "every export is versioned (LIBTHINBLK_N)" \
	test -z "$(nm -D --defined-only "$lib" | awk '$2 != "A" && $3 !~ /@@LIBTHINBLK_[0-9]+$/')"
expect "tb_vol_delete_deferred is at LIBTHINBLK_1" \
	sh -c "nm -D --defined-only '$lib' | grep -q ' tb_vol_delete_deferred@@LIBTHINBLK_1\$'"

# The installed .pc with its prefix moved into DESTDIR, as if installed there.
mkdir "$scratch/pkgconfig"
sed "s|^prefix=.*|prefix=$dest/usr|" "$dest/usr/lib/pkgconfig/libthinblk.pc" \
	>"$scratch/pkgconfig/libthinblk.pc"
pc() {
	PKG_CONFIG_PATH=$scratch/pkgconfig pkg-config "$@" libthinblk
}
expect "libthinblk.pc: libnl-genl-3.0 in Requires.private" \
	grep -qx 'Requires.private:.*libnl-genl-3.0.*' "$dest/usr/lib/pkgconfig/libthinblk.pc"
expect "libthinblk.pc: prefix=/usr" grep -qx 'prefix=/usr' "$dest/usr/lib/pkgconfig/libthinblk.pc"
cflags=$(pc --cflags) || fail "pkg-config --cflags libthinblk"
# -I$includedir (and libnl's, from Requires.private), never .../include/thinblk
expect "pkg-config --cflags: '$cflags'" grep -qw -- "-I$dest/usr/include" <<<"$cflags"
expect "pkg-config --cflags: '$cflags'" test "${cflags#*include/thinblk}" = "$cflags"
libs=$(pc --libs)
expect "pkg-config --libs: '$libs'" grep -qw -- -lthinblk <<<"$libs"
libs=$(pc --static --libs)
expect "pkg-config --static --libs: no libnl in '$libs'" grep -qw -- -lnl-genl-3 <<<"$libs"

# Built outside the tree, with nothing but what pkg-config says.
mkdir "$scratch/prog"
cat >"$scratch/prog/prog.c" <<'EOF'
#include <stdio.h>
#include <thinblk/libthinblk.h>
#include <thinblk/offline.h>

int main(void)
{
	char buf[TB_SIZE_STR_MAX];
	uint64_t size, meta;

	if (tb_parse_size("1.5G", &size) || size != 1610612736ULL)
		return 1;
	if (tb_metadata_size(size, 65536, 4, &meta) || !meta)
		return 2;
	printf("%s %s %s %s\n", tb_format_size(size, buf),
	       tb_name_valid("docker") ? "valid" : "invalid",
	       tb_name_valid("a/b") ? "valid" : "invalid",
	       tb_pool_mode_name(THINBLK_MODE_WRITE));
	return 0;
}
EOF
(cd "$scratch/prog" &&
	cc -Wall -Wextra -Werror -o prog prog.c $(pc --cflags --libs) 2>"$scratch/cc.log") ||
	fail "building against the installed library: $(head -n 5 "$scratch/cc.log")"
checks=$((checks + 1))
expect "prog needs libthinblk.so.1" \
	sh -c "objdump -p '$scratch/prog/prog' | grep -q 'NEEDED *libthinblk.so.1$'"
out=$(LD_LIBRARY_PATH=$dest/usr/lib "$scratch/prog/prog") || fail "prog (shared) exited $?"
expect "prog printed '$out'" test "$out" = "1.5G valid invalid write"
# The static library, with libnl as pkg-config --static says.
(cd "$scratch/prog" &&
	cc -Wall -o prog-static prog.c $(pc --cflags) -Wl,-Bstatic -lthinblk -Wl,-Bdynamic \
		$(pc --static --libs | sed 's/-lthinblk//') -L"$dest/usr/lib" 2>"$scratch/cc.log") ||
	fail "building against libthinblk.a: $(head -n 5 "$scratch/cc.log")"
expect "prog-static does not need libthinblk.so" \
	sh -c "! objdump -p '$scratch/prog/prog-static' | grep -q 'NEEDED *libthinblk'"
out=$("$scratch/prog/prog-static") || fail "prog (static) exited $?"
expect "prog-static printed '$out'" test "$out" = "1.5G valid invalid write"

# ---- the unit ---------------------------------------------------------------

unit=$dest/usr/lib/systemd/system/thinblk-pool@.service
grep -q '^ExecStart=/usr/lib/thinblk/thinblk-pool %i start$' "$unit" ||
	fail "ExecStart is not /usr/lib/thinblk/thinblk-pool %i start"
grep -q '^ExecStop=/usr/lib/thinblk/thinblk-pool %i stop$' "$unit" ||
	fail "ExecStop is not /usr/lib/thinblk/thinblk-pool %i stop"
for want in '^Before=.*\bcontainerd\.service\b' '^Before=.*\bdocker\.service\b' \
	'^Type=oneshot$' '^RemainAfterExit=yes$' '^WantedBy=multi-user\.target$'; do
	expect "unit: no line matching $want" grep -Eq "$want" "$unit"
done
# verify wants an instance, and the commands and man pages where they are: the
# commands' paths point into DESTDIR, MANPATH is the installed one.  Any
# output (an unknown key, a bad value: verify still exits 0) is a failure.
mkdir "$scratch/units"
sed "s|=/usr/lib/thinblk/|=$dest/usr/lib/thinblk/|" "$unit" \
	>"$scratch/units/thinblk-pool@docker.service"
MANPATH=$dest/usr/share/man systemd-analyze verify \
	"$scratch/units/thinblk-pool@docker.service" >"$scratch/verify" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$scratch/verify")"
expect "systemd-analyze verify said: $(cat "$scratch/verify")" test ! -s "$scratch/verify"
# ... and it does catch a broken unit.
sed 's/^Type=oneshot/Type=oneshoot/' "$scratch/units/thinblk-pool@docker.service" \
	>"$scratch/units/broken@docker.service"
MANPATH=$dest/usr/share/man systemd-analyze verify \
	"$scratch/units/broken@docker.service" >"$scratch/verify" 2>&1
expect "systemd-analyze verify is silent on a bad Type=" test -s "$scratch/verify"

# ---- the helper ---------------------------------------------------------------

helper=$dest/usr/lib/thinblk/thinblk-pool
state=$scratch/fake
mkdir -p "$state" "$scratch/etc"
: >"$state/open"
# A thinctl that records its calls and keeps the open pools in a file.
cat >"$state/thinctl" <<'EOF'
#!/bin/sh
S=${0%/*}
echo "$*" >>"$S/calls"
[ "$1" = -q ] && shift
case $1/$2 in
pool/show) grep -qx "$3" "$S/open" ;;
pool/open) grep -qx "$3" "$S/open" || echo "$3" >>"$S/open" ;;
pool/set) [ ! -e "$S/fail-set" ] || { echo "thinctl: pool set: Invalid argument" >&2; exit 1; } ;;
pool/close) grep -qx "$3" "$S/open" || exit 1
	grep -vx "$3" "$S/open" >"$S/open.new"; mv "$S/open.new" "$S/open" ;;
*) exit 64 ;;
esac
EOF
chmod +x "$state/thinctl"
export THINCTL=$state/thinctl

# run_helper CONF-TEXT ARGS...: sets rc and out (stdout and stderr)
run_helper() {
	printf '%s' "$1" >"$scratch/etc/docker.conf"
	shift
	out=$("$helper" --config "$scratch/etc/docker.conf" "$@" 2>&1 </dev/null)
	rc=$?
}

expect "thinblk-pool --help" sh -c "'$helper' --help | grep -q '^Usage: thinblk-pool'"

# Parsed, not sourced: comments, blanks, quotes, spaces around '=', a last line
# without newline; what a shell would run is one argument of thinctl.
run_helper "# docker's pool

  DATA = \"/dev/disk/by-id/data disk\"
METADATA='/dev/vg/meta'
BASESIZE=10G
	LOW_WATER=10%
MIN_FREE = '5%'
NO_SPACE=\$(touch $scratch/pwned)
DEVICE_TIMEOUT=5" docker check
expect "check: exit $rc: $out" test "$rc" = 0
expect "a \$(command) in the configuration ran" test ! -e "$scratch/pwned"
cat >"$scratch/want" <<EOF
$THINCTL pool open docker --data '/dev/disk/by-id/data disk' --metadata /dev/vg/meta
$THINCTL pool set docker --basesize 10G --low-water 10% --min-free 5% --no-space '\$(touch $scratch/pwned)'
EOF
echo "$out" >"$scratch/got"
same "$scratch/want" "$scratch/got" "thinblk-pool check printed"
expect "check ran thinctl" test ! -e "$state/calls"

# Refused before anything is done: exit 2, FILE:LINE and what is wrong.
conf=$scratch/etc/docker.conf
while IFS='|' read -r text want; do
	run_helper "$(printf "$text")" docker start
	expect "'$text': exit $rc (want 2): $out" test "$rc" = 2
	expect "'$text': said '$out', not '$want'" test "$out" = "thinblk-pool: $want"
done <<EOF
DATA=/dev/a\nMETADATA=/dev/b\nBASESZE=1G|$conf:3: unknown key 'BASESZE'
DATA=/dev/a\nMETADATA=/dev/b\nDATA=/dev/c|$conf:3: DATA given twice
DATA=/dev/a\n# METADATA=/dev/b|$conf: METADATA= (the metadata device) is required
DATA=/dev/a\nMETADATA=/dev/b\nsource /etc/evil|$conf:3: expected KEY=VALUE
DATA="/dev/a\nMETADATA=/dev/b|$conf:1: unbalanced quote in the value of DATA
DATA=/dev/a\nMETADATA=/dev/a|$conf: DATA and METADATA are the same device
DATA=/dev/a\nMETADATA=/dev/b\nDEVICE_TIMEOUT=5s|$conf:3: DEVICE_TIMEOUT must be a number of seconds
EOF
expect "a refused configuration ran thinctl" test ! -e "$state/calls"
out=$("$helper" ../etc/passwd start 2>&1)
expect "pool name '../etc/passwd' accepted: $out" test "$?" = 2
out=$("$helper" --config /nonexistent docker start 2>&1)
expect "missing configuration: exit $? ($out)" test "$?" = 2

# start/stop against the fake thinctl, with block device nodes made here.
mkdir "$scratch/dev"
if mknod "$scratch/dev/data" b 7 250 2>/dev/null && mknod "$scratch/dev/meta" b 7 251; then
	devs="DATA=$scratch/dev/data
METADATA=$scratch/dev/meta
"
	calls() { cat "$state/calls" 2>/dev/null; rm -f "$state/calls"; }

	run_helper "$devs" docker start
	expect "start: exit $rc: $out" test "$rc" = 0
	expect "start: calls were: $(cat "$state/calls")" test "$(calls)" = "-q pool show docker
pool open docker --data $scratch/dev/data --metadata $scratch/dev/meta"
	expect "start: pool not open" grep -qx docker "$state/open"

	run_helper "" docker stop
	expect "stop: exit $rc: $out" test "$rc" = 0
	expect "stop: calls were: $(cat "$state/calls")" test "$(calls)" = "-q pool show docker
pool close docker"
	run_helper "" docker stop
	expect "stop of a closed pool: exit $rc: $out" test "$rc" = 0
	expect "stop of a closed pool: calls were: $(cat "$state/calls")" \
		test "$(calls)" = "-q pool show docker"

	# MIN_FREE= is thinctl pool set --min-free
	run_helper "${devs}MIN_FREE=2G" docker start
	expect "start with MIN_FREE: exit $rc: $out" test "$rc" = 0
	expect "start with MIN_FREE: calls were: $(cat "$state/calls")" test "$(calls)" = "-q pool show docker
pool open docker --data $scratch/dev/data --metadata $scratch/dev/meta
pool set docker --min-free 2G"
	: >"$state/open"

	# properties refused: the pool it opened is closed again, exit 1
	touch "$state/fail-set"
	run_helper "${devs}NO_SPACE=queue:60" docker start
	expect "start, set refused: exit $rc (want 1): $out" test "$rc" = 1
	expect "start, set refused: calls were: $(cat "$state/calls")" test "$(calls)" = "-q pool show docker
pool open docker --data $scratch/dev/data --metadata $scratch/dev/meta
pool set docker --no-space queue:60
pool close docker"
	expect "start, set refused: pool left open" test ! -s "$state/open"
	# ... but one that was open before stays open
	echo docker >"$state/open"
	run_helper "${devs}NO_SPACE=queue:60" docker start
	expect "start of an open pool, set refused: exit $rc: $out" test "$rc" = 1
	expect "start of an open pool, set refused: closed it" grep -qx docker "$state/open"
	rm -f "$state/fail-set" "$state/calls"

	run_helper "DATA=$scratch/dev/none
METADATA=$scratch/dev/meta
DEVICE_TIMEOUT=1" docker start
	expect "start, no data device: exit $rc (want 1): $out" test "$rc" = 1
	expect "start, no data device: said '$out'" \
		grep -q "no such block device after 1s" <<<"$out"
	expect "start, no data device: ran $(cat "$state/calls" 2>/dev/null)" test ! -e "$state/calls"
else
	notes="$notes; start/stop skipped: mknod not permitted"
fi
unset THINCTL

# ---- DKMS and the module -----------------------------------------------------

make_q install-dkms DESTDIR="$dest"
src=$dest/usr/src/thinblk-$version
expect "install-dkms: no $src/dkms.conf" test -f "$src/dkms.conf"
# every object of the module has its source, every quoted include its file
for obj in $(sed -n 's/^thinblk-y :=//p' "$src/kmod/Kbuild"); do
	expect "DKMS sources: no kmod/${obj%.o}.c" test -f "$src/kmod/${obj%.o}.c"
done
for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$src"/kmod/*.[ch] | sort -u); do
	expect "DKMS sources: no kmod/$inc" test -f "$src/kmod/$inc"
done
for inc in $(sed -n 's/^#include <\(linux\/thinblk\.h\)>/\1/p' "$src"/kmod/*.[ch] | sort -u); do
	expect "DKMS sources: no uapi/$inc" test -f "$src/uapi/$inc"
done

if [ -f "$TOP/kmod/thinblk.ko" ]; then
	make_q install-module DESTDIR="$dest"
	ko=$(cd "$dest" && find lib/modules -name 'thinblk.ko*')
	expect "install-module: installed '$ko'" \
		grep -qx 'lib/modules/[^/]*/extra/kmod/thinblk.ko' <<<"$ko"
	expect "install-module wrote a module index into DESTDIR" \
		test -z "$(find "$dest/lib/modules" -name 'modules.*')"
else
	notes="$notes; install-module skipped: module not built"
fi

# ---- uninstall -----------------------------------------------------------------

make_q uninstall DESTDIR="$dest" PREFIX=/usr
make_q uninstall-dkms DESTDIR="$dest"
left=$(find "$dest" -type f -o -type l)
expect "make uninstall left: $left" test -z "$left"

echo "ok: $checks checks${notes}"
