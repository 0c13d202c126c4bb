// SPDX-License-Identifier: GPL-2.0
/*
 * What a device already holds, as mkfs and pvcreate look for it: a
 * filesystem, RAID member, LVM PV or partition table signature (libblkid).
 * pool create refuses such a device without --force.
 */
#include <blkid.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thinctl.h"

bool device_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return errno == EBUSY;
	close(fd);
	return false;
}

int device_thinblk_pool(const char *path, char *name, size_t len)
{
	struct thinblk_disk_superblock sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &sb, sizeof(sb), 0);
	close(fd);
	if (n != (ssize_t)sizeof(sb) || le64toh(sb.magic) != THINBLK_SB_MAGIC)
		return 0;
	snprintf(name, len, "%.*s", (int)strnlen(sb.name, sizeof(sb.name)),
		 sb.name);
	for (; *name; name++)		/* from disk: nothing raw to a terminal */
		if (!isalnum((unsigned char)*name) && !strchr("_.-", *name))
			*name = '?';
	return 1;
}

int device_signature(const char *path, char *what, size_t len)
{
	const char *type = NULL, *kind = "";
	blkid_probe pr;
	int found = 0;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return -1;	/* the kernel names the problem with the device */
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	switch (blkid_do_safeprobe(pr)) {
	case -2:	/* several: mkfs and wipefs refuse that too */
		snprintf(what, len, "several signatures");
		found = 1;
		break;
	case 0:
		if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
			kind = "a signature of type";
		} else if (!blkid_probe_lookup_value(pr, "PTTYPE", &type,
						     NULL)) {
			kind = "a partition table of type";
		}
		if (type) {
			snprintf(what, len, "%s %s", kind, type);
			found = 1;
		}
		break;
	}
	blkid_free_probe(pr);
	return found;
}
