/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline tools: read a closed pool's metadata device directly, like
 * thin_check / thin_dump / thin_metadata_size.  They depend on the on-disk
 * format (kmod/), which is still being designed: until it is, every function
 * returns -ENOSYS.  The signatures are the contract with thinctl; the format's
 * owner fills in offline.c.
 */
#ifndef LIBTHINBLK_OFFLINE_H
#define LIBTHINBLK_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * tb_offline_check - check the metadata of a pool that is not open.
 * Returns 0 when consistent; -EUCLEAN when damaged (msg says where), -EBUSY
 * when the pool is open, -errno when the device can't be read.
 */
int tb_offline_check(const char *meta_dev, char *msg, size_t msg_len);

/*
 * tb_offline_dump - write the metadata of a pool that is not open to out,
 * human readable or, when json, as one JSON object.
 */
int tb_offline_dump(const char *meta_dev, FILE *out, bool json);

/*
 * tb_metadata_size - metadata device size needed for data_size bytes of data
 * in blocks of block_size bytes holding up to volumes volumes.
 */
int tb_metadata_size(uint64_t data_size, uint32_t block_size,
		     uint32_t volumes, uint64_t *meta_size);

#endif /* LIBTHINBLK_OFFLINE_H */
