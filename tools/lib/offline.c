// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Offline metadata tools: stubs until the on-disk format is settled (see
 * offline.h).
 */
#include <errno.h>

#include "offline.h"

int tb_offline_check(const char *meta_dev, char *msg, size_t msg_len)
{
	(void)meta_dev;
	if (msg_len)
		msg[0] = '\0';
	return -ENOSYS;
}

int tb_offline_dump(const char *meta_dev, FILE *out, bool json)
{
	(void)meta_dev;
	(void)out;
	(void)json;
	return -ENOSYS;
}

int tb_metadata_size(uint64_t data_size, uint32_t block_size,
		     uint32_t volumes, uint64_t *meta_size)
{
	(void)data_size;
	(void)block_size;
	(void)volumes;
	(void)meta_size;
	return -ENOSYS;
}
