#!/bin/sh
# desc: thinctl check finds refcounts that disagree with the trees; dump shows volumes and mappings; busy while open
# needs: thinctl
. /tests/lib/guest.sh
. /tests/lib/thinblk.sh
tb_pool_setup p0 64 64 --basesize 64M
v=$(tb_vol p0/base)
expect_ok tbpattern write "$v" 0 1M 1		# blocks 0..15
s=$(tb_snap p0/base layer)
expect_ok tbpattern write "$s" 128K 64K 2	# breaks sharing of block 2
# an open pool's metadata device is held exclusively
expect_err "busy" thinctl check --metadata /dev/ram1
expect_ok thinctl pool close p0

expect_ok thinctl -j check --metadata /dev/ram1
expect_eq "$(json_get "$OUT" .status)" clean "check status"
expect_eq "$(json_get "$OUT" .volumes)" 2 "volumes checked"
expect_eq "$(json_get "$OUT" .data_used)" $((17 * 65536)) "data used"

expect_ok thinctl -j dump --metadata /dev/ram1
expect_eq "$(json_get "$OUT" '.volumes | length')" 2 "volumes dumped"
expect_eq "$(json_get "$OUT" '.volumes[0].name')" base "first volume"
expect_eq "$(json_get "$OUT" '.volumes[1].origin')" 0 "snapshot origin id"
expect_eq "$(json_get "$OUT" '[.volumes[1].mappings[].blocks] | add')" 16 "snapshot mapped blocks"
expect_eq "$(json_get "$OUT" '.volumes[1].mapped_blocks')" 16 "snapshot record"
# The snapshot maps what base maps but its block 2, which went to a block of
# its own; each volume's mappings are its maximal runs (consecutive virtual
# and data blocks).  Which data blocks base's writes got depends on the order
# their bios were provisioned in, so the runs are counted from the blocks.
PER='def per: [.mappings[] as $m | range($m.blocks) |
		{v: ($m.vblock + .), d: ($m.dblock + .)}] | sort_by(.v);
	def runs(p): [range(p | length) as $i | select($i == 0 or
		p[$i].v != p[$i - 1].v + 1 or p[$i].d != p[$i - 1].d + 1)] | length;
	(.volumes[0] | per) as $b | (.volumes[1] | per) as $s'
expect_eq "$(json_get "$OUT" "$PER | [range(16) | select(\$b[.].d != \$s[.].d)] | @text")" "[2]" "blocks where the snapshot differs"
expect_eq "$(json_get "$OUT" "$PER | [\$b[].d] | index(\$s[2].d)")" null "snapshot's block 2 in base"
expect_eq "$(json_get "$OUT" "$PER | [runs(\$b), runs(\$s)] == [.volumes[].mappings | length]")" true "dump runs are maximal"
expect_ok thinctl dump --metadata /dev/ram1
case "$OUT" in *"volume 1 layer"*) ;; *) fail "text dump lacks the snapshot: $OUT" ;; esac

# Keep this state's refcount slots, make more changes, then put the old
# slots back under the new superblock: every checksum is valid, but the
# refcounts no longer match the trees.
R=$(od -An -tu4 -j100 -N4 /dev/ram1 | tr -d ' ')
[ "$R" -gt 0 ] || fail "cannot read msm_blocks from the superblock"
dd if=/dev/ram1 of=/tmp/old-slots bs=4096 skip=1 count=$((2 * R)) 2>/dev/null
expect_ok thinctl pool open p0 --data /dev/ram0 --metadata /dev/ram1
s2=$(tb_snap p0/layer ctr)
expect_ok tbpattern write "$s2" 0 4M 3
expect_ok thinctl pool close p0
expect_ok thinctl check --metadata /dev/ram1
dd if=/tmp/old-slots of=/dev/ram1 bs=4096 seek=1 conv=notrunc 2>/dev/null
expect_err "refcount" thinctl check --metadata /dev/ram1
info "check said: $LAST_ERR"
