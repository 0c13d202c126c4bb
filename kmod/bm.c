// SPDX-License-Identifier: GPL-2.0
/*
 * Block manager: dm-bufio plus per-block validation.  See bm.h.
 */
#include <linux/crc32c.h>
#include <linux/slab.h>
#include <linux/thinblk.h>

#include "bm.h"
#include "fault.h"

struct tb_bm {
	struct dm_bufio_client *bufio;
	u64 nr_blocks;
};

/* dm-bufio aux data: has this cached copy been validated? */
struct tb_bm_aux {
	bool valid;
};

static u32 tb_block_csum(const void *data)
{
	const size_t skip = sizeof(__le32);

	return crc32c(THINBLK_CSUM_SEED, data + skip,
		      THINBLK_META_BLOCK_SIZE - skip);
}

static void tb_bm_alloc_cb(struct dm_buffer *buf)
{
	struct tb_bm_aux *aux = dm_bufio_get_aux_data(buf);

	aux->valid = false;
}

static void tb_bm_write_cb(struct dm_buffer *buf)
{
	struct thinblk_disk_header *hdr = dm_bufio_get_block_data(buf);

	hdr->csum = cpu_to_le32(tb_block_csum(hdr));
}

struct tb_bm *tb_bm_create(struct block_device *bdev, u64 nr_blocks)
{
	struct tb_bm *bm = kzalloc(sizeof(*bm), GFP_KERNEL);

	if (!bm)
		return ERR_PTR(-ENOMEM);
	bm->nr_blocks = nr_blocks;
	bm->bufio = dm_bufio_client_create(bdev, THINBLK_META_BLOCK_SIZE,
					   TB_BM_MAX_HELD,
					   sizeof(struct tb_bm_aux),
					   tb_bm_alloc_cb, tb_bm_write_cb, 0);
	if (IS_ERR(bm->bufio)) {
		int r = PTR_ERR(bm->bufio);

		kfree(bm);
		return ERR_PTR(r);
	}
	return bm;
}

void tb_bm_destroy(struct tb_bm *bm)
{
	dm_bufio_client_destroy(bm->bufio);
	kfree(bm);
}

u64 tb_bm_nr_blocks(struct tb_bm *bm)
{
	return bm->nr_blocks;
}

void tb_bm_set_nr_blocks(struct tb_bm *bm, u64 nr_blocks)
{
	bm->nr_blocks = nr_blocks;
}

static int tb_bm_validate(u64 b, u32 type, const struct thinblk_disk_header *hdr)
{
	if (le32_to_cpu(hdr->csum) != tb_block_csum(hdr)) {
		pr_err("thinblk: metadata block %llu: bad checksum\n", b);
		return -EUCLEAN;
	}
	if (le32_to_cpu(hdr->type) != type || le64_to_cpu(hdr->blocknr) != b) {
		pr_err("thinblk: metadata block %llu: wrong type %#x or number %llu\n",
		       b, le32_to_cpu(hdr->type), le64_to_cpu(hdr->blocknr));
		return -EUCLEAN;
	}
	return 0;
}

int tb_bm_read(struct tb_bm *bm, u64 b, u32 type, bool can_block,
	       struct dm_buffer **buf, void **data)
{
	struct tb_bm_aux *aux;
	void *p;
	int r;

	if (b >= bm->nr_blocks) {
		pr_err("thinblk: metadata block %llu beyond the device\n", b);
		return -EUCLEAN;
	}
	if (can_block) {
		p = tb_fault(TB_FAULT_META_READ) ? ERR_PTR(-EIO) :
		    dm_bufio_read(bm->bufio, b, buf);
		if (IS_ERR(p)) {
			pr_err_ratelimited("thinblk: metadata block %llu: read error %ld\n",
					   b, PTR_ERR(p));
			return PTR_ERR(p);
		}
	} else {
		p = dm_bufio_get(bm->bufio, b, buf);
		if (IS_ERR_OR_NULL(p))
			return p ? PTR_ERR(p) : -EWOULDBLOCK;
	}
	aux = dm_bufio_get_aux_data(*buf);
	if (!aux->valid) {
		r = tb_bm_validate(b, type, p);
		if (r) {
			dm_bufio_release(*buf);
			dm_bufio_forget(bm->bufio, b);
			return r;
		}
		aux->valid = true;
	}
	*data = p;
	return 0;
}

int tb_bm_peek(struct tb_bm *bm, u64 b, void *out)
{
	struct dm_buffer *buf;
	void *p;

	p = dm_bufio_read(bm->bufio, b, &buf);
	if (IS_ERR(p))
		return PTR_ERR(p);
	memcpy(out, p, THINBLK_META_BLOCK_SIZE);
	dm_bufio_release(buf);
	dm_bufio_forget(bm->bufio, b);
	return 0;
}

int tb_bm_new(struct tb_bm *bm, u64 b, u32 type, struct dm_buffer **buf,
	      void **data)
{
	struct thinblk_disk_header *hdr;

	if (b >= bm->nr_blocks)
		return -EUCLEAN;
	hdr = dm_bufio_new(bm->bufio, b, buf);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	memset(hdr, 0, THINBLK_META_BLOCK_SIZE);
	hdr->type = cpu_to_le32(type);
	hdr->blocknr = cpu_to_le64(b);
	((struct tb_bm_aux *)dm_bufio_get_aux_data(*buf))->valid = true;
	*data = hdr;
	return 0;
}

void tb_bm_dirty(struct dm_buffer *buf)
{
	dm_bufio_mark_buffer_dirty(buf);
}

void tb_bm_release(struct dm_buffer *buf)
{
	dm_bufio_release(buf);
}

int tb_bm_flush(struct tb_bm *bm)
{
	int r = dm_bufio_write_dirty_buffers(bm->bufio);

	if (r)
		return r;
	if (tb_fault(TB_FAULT_META_WRITE))
		return -EIO;
	return dm_bufio_issue_flush(bm->bufio);
}

void tb_bm_forget(struct tb_bm *bm, u64 b)
{
	dm_bufio_forget(bm->bufio, b);
}
