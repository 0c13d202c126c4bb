// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write radix trees.  See radix.h.
 */
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "radix.h"

#define TB_FANOUT (THINBLK_NODE_PAYLOAD / sizeof(__le64))
/* Deeper than any u64 key needs (509^7 * 31 > 2^64); tb_grow() stops here. */
#define TB_MAX_DEPTH 8

static __le64 *tb_children(struct thinblk_disk_node *n)
{
	return (__le64 *)(n + 1);
}

static void *tb_value(struct tb_radix *r, struct thinblk_disk_node *n,
		      unsigned int i)
{
	return (u8 *)(n + 1) + (size_t)i * r->value_size;
}

static bool tb_value_is_zero(struct tb_radix *r, const void *v)
{
	return !memchr_inv(v, 0, r->value_size);
}

bool tb_radix_depth_valid(u32 depth)
{
	return depth <= TB_MAX_DEPTH;
}

void tb_radix_init(struct tb_radix *r, struct tb_tm *tm,
		   unsigned int value_size,
		   int (*inc)(void *, const void *),
		   int (*dec)(void *, const void *), void *ctx)
{
	r->tm = tm;
	r->value_size = value_size;
	r->leaf_entries = THINBLK_NODE_PAYLOAD / value_size;
	r->inc = inc;
	r->dec = dec;
	r->ctx = ctx;
}

/* Keys covered by one entry of a node at @level. */
static u64 tb_span(struct tb_radix *r, u32 level)
{
	u64 span = r->leaf_entries;

	while (--level)
		span *= TB_FANOUT;
	return span;
}

static bool tb_fits(struct tb_radix *r, u32 depth, u64 key)
{
	u64 cap = r->leaf_entries;
	u32 i;

	for (i = 0; i < depth; i++) {
		if (cap > U64_MAX / TB_FANOUT)
			return true;
		cap *= TB_FANOUT;
	}
	return key < cap;
}

u32 tb_radix_path_blocks(struct tb_radix *r, const struct tb_radix_root *root,
			 u64 key)
{
	u32 depth = root->depth;

	while (depth < TB_MAX_DEPTH && !tb_fits(r, depth, key))
		depth++;
	return depth + 1;
}

static unsigned int tb_index(struct tb_radix *r, u32 level, u64 key)
{
	u64 q;

	if (!level)
		return do_div(key, r->leaf_entries);
	q = div64_u64(key, tb_span(r, level));
	return do_div(q, TB_FANOUT);
}

static int tb_check_node(struct tb_radix *r, u64 b,
			 struct thinblk_disk_node *n, u32 level)
{
	if (le32_to_cpu(n->level) != level ||
	    (!level && le32_to_cpu(n->value_size) != r->value_size)) {
		pr_err("thinblk: metadata block %llu: node level %u, expected %u\n",
		       b, le32_to_cpu(n->level), level);
		return -EUCLEAN;
	}
	return 0;
}

static int __tb_read_node(struct tb_radix *r, u64 b, u32 level,
			  bool can_block, struct dm_buffer **buf,
			  struct thinblk_disk_node **n)
{
	int err = tb_tm_read(r->tm, b, can_block, buf, (void **)n);

	if (err)
		return err;
	err = tb_check_node(r, b, *n, level);
	if (err)
		tb_bm_release(*buf);
	return err;
}

static int tb_read_node(struct tb_radix *r, u64 b, u32 level,
			struct dm_buffer **buf, struct thinblk_disk_node **n)
{
	return __tb_read_node(r, b, level, true, buf, n);
}

/* Walk down to the leaf holding @key; -ENODATA if there is none. */
static int tb_find_leaf(struct tb_radix *r, const struct tb_radix_root *root,
			u64 key, bool can_block, struct dm_buffer **buf,
			struct thinblk_disk_node **leaf, bool *shared)
{
	u64 b = root->block;
	u32 level = root->depth;
	int err;

	if (shared)
		*shared = false;
	if (!b || !tb_fits(r, root->depth, key))
		return -ENODATA;
	for (;;) {
		if (shared && tb_tm_ref(r->tm, b) > 1)
			*shared = true;
		err = __tb_read_node(r, b, level, can_block, buf, leaf);
		if (err || !level)
			return err;
		b = le64_to_cpu(tb_children(*leaf)[tb_index(r, level, key)]);
		tb_bm_release(*buf);
		if (!b)
			return -ENODATA;
		level--;
	}
}

int tb_radix_lookup(struct tb_radix *r, const struct tb_radix_root *root,
		    u64 key, bool can_block, void *value, bool *shared)
{
	struct thinblk_disk_node *leaf;
	struct dm_buffer *buf;
	int err;

	err = tb_find_leaf(r, root, key, can_block, &buf, &leaf, shared);
	if (err == -ENODATA) {
		memset(value, 0, r->value_size);
		return 0;
	}
	if (err)
		return err;
	memcpy(value, tb_value(r, leaf, tb_index(r, 0, key)), r->value_size);
	tb_bm_release(buf);
	return 0;
}

int tb_radix_read_leaf(struct tb_radix *r, const struct tb_radix_root *root,
		       u64 key, void *values)
{
	size_t len = (size_t)r->leaf_entries * r->value_size;
	struct thinblk_disk_node *leaf;
	struct dm_buffer *buf;
	int err;

	err = tb_find_leaf(r, root, key, true, &buf, &leaf, NULL);
	if (err == -ENODATA) {
		memset(values, 0, len);
		return 0;
	}
	if (err)
		return err;
	memcpy(values, tb_value(r, leaf, 0), len);
	tb_bm_release(buf);
	return 0;
}

/* A node copied away from a shared original: its children gain a parent. */
static int tb_inc_children(struct tb_radix *r, struct thinblk_disk_node *n)
{
	unsigned int i;
	int err;

	if (le32_to_cpu(n->level)) {
		for (i = 0; i < TB_FANOUT; i++) {
			if (!tb_children(n)[i])
				continue;
			err = tb_tm_inc(r->tm, le64_to_cpu(tb_children(n)[i]));
			if (err)
				return err;
		}
		return 0;
	}
	if (!r->inc)
		return 0;
	for (i = 0; i < r->leaf_entries; i++) {
		if (tb_value_is_zero(r, tb_value(r, n, i)))
			continue;
		err = r->inc(r->ctx, tb_value(r, n, i));
		if (err)
			return err;
	}
	return 0;
}

static int tb_new_node(struct tb_radix *r, u32 level, u64 *b,
		       struct dm_buffer **buf, struct thinblk_disk_node **n)
{
	int err = tb_tm_new_block(r->tm, b, buf, (void **)n);

	if (err)
		return err;
	(*n)->level = cpu_to_le32(level);
	(*n)->value_size = cpu_to_le32(level ? sizeof(__le64) : r->value_size);
	tb_bm_dirty(*buf);
	return 0;
}

/* Writable copy of node @*b at @level (a new node if @*b is 0). */
static int tb_shadow_node(struct tb_radix *r, u64 *b, u32 level,
			  struct dm_buffer **buf, struct thinblk_disk_node **n)
{
	bool inc;
	u64 new;
	int err;

	if (!*b)
		return tb_new_node(r, level, b, buf, n);
	err = tb_tm_shadow(r->tm, *b, &new, buf, (void **)n, &inc);
	if (err)
		return err;
	err = tb_check_node(r, new, *n, level);
	if (!err && inc)
		err = tb_inc_children(r, *n);
	if (err) {
		tb_bm_release(*buf);
		return err;
	}
	if (inc)
		tb_tm_dec(r->tm, *b);
	*b = new;
	tb_bm_dirty(*buf);
	return 0;
}

static int tb_grow(struct tb_radix *r, struct tb_radix_root *root, u64 key)
{
	struct thinblk_disk_node *n;
	struct dm_buffer *buf;
	u64 b;
	int err;

	while (!tb_fits(r, root->depth, key)) {
		if (root->depth >= TB_MAX_DEPTH)
			return -EFBIG;
		if (root->block) {
			err = tb_new_node(r, root->depth + 1, &b, &buf, &n);
			if (err)
				return err;
			tb_children(n)[0] = cpu_to_le64(root->block);
			tb_bm_release(buf);
			root->block = b;
		}
		root->depth++;
	}
	return 0;
}

int tb_radix_writable(struct tb_radix *r, struct tb_radix_root *root, u64 key,
		      struct tb_radix_slot *slot)
{
	struct thinblk_disk_node *n, *child;
	struct dm_buffer *buf, *child_buf;
	u32 level = root->depth;
	u64 b;
	int err;

	err = tb_grow(r, root, key);
	if (err)
		return err;
	level = root->depth;
	err = tb_shadow_node(r, &root->block, level, &buf, &n);
	if (err)
		return err;
	for (; level; level--) {
		__le64 *entry = &tb_children(n)[tb_index(r, level, key)];

		b = le64_to_cpu(*entry);
		err = tb_shadow_node(r, &b, level - 1, &child_buf, &child);
		if (err) {
			tb_bm_release(buf);
			return err;
		}
		*entry = cpu_to_le64(b);
		tb_bm_release(buf);
		buf = child_buf;
		n = child;
	}
	slot->buf = buf;
	slot->value = tb_value(r, n, tb_index(r, 0, key));
	return 0;
}

void tb_radix_put(struct tb_radix_slot *slot)
{
	tb_bm_dirty(slot->buf);
	tb_bm_release(slot->buf);
}

static int tb_drop_values(struct tb_radix *r, struct thinblk_disk_node *n)
{
	unsigned int i;
	int err;

	if (!r->dec)
		return 0;
	for (i = 0; i < r->leaf_entries; i++) {
		if (tb_value_is_zero(r, tb_value(r, n, i)))
			continue;
		err = r->dec(r->ctx, tb_value(r, n, i));
		if (err)
			return err;
	}
	return 0;
}

/* Drop one reference on node @b at @level; free its subtree if it was last. */
static int tb_drop_node(struct tb_radix *r, u64 b, u32 level)
{
	struct thinblk_disk_node *n;
	struct dm_buffer *buf;
	unsigned int i;
	int err;

	if (!tb_tm_ref(r->tm, b)) {
		pr_err("thinblk: metadata block %llu: freed twice (more parents than its refcount)\n",
		       b);
		return -EUCLEAN;
	}
	if (tb_tm_ref(r->tm, b) > 1) {
		tb_tm_dec(r->tm, b);
		return 0;
	}
	err = tb_read_node(r, b, level, &buf, &n);
	if (err)
		return err;
	if (!level) {
		err = tb_drop_values(r, n);
	} else {
		for (i = 0; i < TB_FANOUT && !err; i++) {
			u64 child = le64_to_cpu(tb_children(n)[i]);

			if (child)
				err = tb_drop_node(r, child, level - 1);
		}
	}
	tb_bm_release(buf);
	if (!err)
		tb_tm_dec(r->tm, b);
	return err;
}

int tb_radix_drop(struct tb_radix *r, struct tb_radix_root *root)
{
	int err = 0;

	if (root->block)
		err = tb_drop_node(r, root->block, root->depth);
	if (!err)
		root->block = 0;
	return err;
}

/*
 * Child @i of @n is about to be dropped (freed when its refcount is 1): the
 * entries after it that name the same block are parents too, and must be
 * counted in its refcount.  A legal tree never names a child twice; a crafted
 * one that does with a low refcount would free the child while later entries
 * still point at it (freed again by a later step, maybe after a commit gave
 * the block to another tree).
 */
static int tb_check_child_refs(struct tb_radix *r, u64 b,
			       struct thinblk_disk_node *n, unsigned int i)
{
	__le64 child = tb_children(n)[i];
	u32 parents = 0;

	for (; i < TB_FANOUT; i++)
		if (tb_children(n)[i] == child)
			parents++;
	if (parents <= tb_tm_ref(r->tm, le64_to_cpu(child)))
		return 0;
	pr_err("thinblk: metadata block %llu: child %llu named %u times, refcount %u\n",
	       b, le64_to_cpu(child), parents,
	       tb_tm_ref(r->tm, le64_to_cpu(child)));
	return -EUCLEAN;
}

/*
 * The drop of one tree in steps takes each of its nodes out of it once: in a
 * tree a node has one parent (snapshots share subtrees across trees, never
 * within one).  @dropped marks the blocks taken out so far, over all steps:
 * one that an entry names again is a crafted DAG whose second parent would
 * drop it again, whatever its refcount says - freeing it twice, perhaps after
 * a commit gave the block to another tree.  Called before @b is dropped or
 * descended.
 */
static int tb_check_reach(struct tb_radix *r, const unsigned long *dropped,
			  u64 b)
{
	if (b < tb_bm_nr_blocks(tb_tm_bm(r->tm)) && test_bit(b, dropped)) {
		pr_err("thinblk: metadata block %llu: reached twice in one tree (a node with several parents there)\n",
		       b);
		return -EUCLEAN;
	}
	if (tb_tm_ref(r->tm, b))
		return 0;
	pr_err("thinblk: metadata block %llu: in a tree, but its refcount is 0\n",
	       b);
	return -EUCLEAN;
}

/*
 * Free the first unit (a leaf, or a shared subtree) below *@b at @level and
 * clear its entry; *@empty tells whether *@b itself is now gone.  Every block
 * taken out of the tree is marked in @dropped; a copy made here is in it
 * again (its block may be one an earlier step freed and a commit let us
 * reuse).
 */
static int tb_drop_first(struct tb_radix *r, unsigned long *dropped, u64 *b,
			 u32 level, bool *empty)
{
	struct thinblk_disk_node *n;
	struct dm_buffer *buf;
	bool child_empty;
	unsigned int i;
	u64 child, old = *b;
	int err;

	*empty = false;
	if (!level || tb_tm_ref(r->tm, *b) > 1) {
		err = tb_drop_node(r, *b, level);
		if (!err) {
			__set_bit(*b, dropped);
			*b = 0;
			*empty = true;
		}
		return err;
	}
	err = tb_shadow_node(r, b, level, &buf, &n);
	if (err)
		return err;
	if (*b != old) {
		__set_bit(old, dropped);
		__clear_bit(*b, dropped);
	}
	for (i = 0; i < TB_FANOUT; i++)
		if (tb_children(n)[i])
			break;
	if (i < TB_FANOUT) {
		child = le64_to_cpu(tb_children(n)[i]);
		err = tb_check_reach(r, dropped, child);
		if (!err)
			err = tb_check_child_refs(r, *b, n, i);
		if (err) {
			tb_bm_release(buf);
			return err;
		}
		err = tb_drop_first(r, dropped, &child, level - 1,
				    &child_empty);
		tb_children(n)[i] = cpu_to_le64(child);
		if (err || !child_empty) {
			tb_bm_release(buf);
			return err;
		}
		for (i++; i < TB_FANOUT; i++)
			if (tb_children(n)[i])
				break;
	}
	tb_bm_release(buf);
	if (i < TB_FANOUT)
		return 0;
	tb_tm_dec(r->tm, *b);
	__set_bit(*b, dropped);
	*b = 0;
	*empty = true;
	return 0;
}

int tb_radix_drop_step(struct tb_radix *r, struct tb_radix_root *root,
		       unsigned long *dropped, bool *done)
{
	int err;

	*done = !root->block;
	if (*done)
		return 0;
	err = tb_check_reach(r, dropped, root->block);
	if (err)
		return err;
	return tb_drop_first(r, dropped, &root->block, root->depth, done);
}

struct tb_walk {
	struct tb_radix *r;
	/*
	 * Nodes the walk may still read.  From one root a legal tree is a
	 * tree: each node has one path, so a walk reads each at most once and
	 * never more nodes than the device holds.  A crafted DAG (a node
	 * named by several entries) has exponentially many paths: stop it.
	 */
	u64 budget;
	/*
	 * A walk in pieces (tb_radix_walk_from()): keys below @start are
	 * skipped, and after @leaves more leaves (0: no limit) the walk
	 * pauses with @start at the next key.  @leaf_budget bounds the leaves
	 * read over all pieces as @budget bounds the nodes of one.
	 */
	u64 start;
	u64 leaves;
	u64 *leaf_budget;
	bool skip_shared;
	int (*fn)(void *arg, u64 key, const void *value, bool shared);
	void *arg;
};

/* tb_walk_node(): the walk paused at w->start (not an error). */
#define TB_WALK_PAUSED	1

/* Is the subtree at @base, of @span keys, all below the walk's start? */
static bool tb_walk_before_start(struct tb_walk *w, u64 base, u64 span)
{
	return w->start > base && w->start - base >= span;
}

/* A node in a tree has a parent, so its refcount is not 0. */
static int tb_check_referenced(struct tb_walk *w, u64 b)
{
	if (tb_tm_ref(w->r->tm, b))
		return 0;
	pr_err("thinblk: metadata block %llu: in a tree, but its refcount is 0\n",
	       b);
	return -EUCLEAN;
}

static int tb_walk_node(struct tb_walk *w, u64 b, u32 level, u64 base,
			bool shared)
{
	struct tb_radix *r = w->r;
	struct thinblk_disk_node *n;
	struct dm_buffer *buf;
	u64 *children, i, span;
	void *copy;
	int err = 0;

	/* a leaf root wholly before the start: the walk is done */
	if (!level && tb_walk_before_start(w, base, r->leaf_entries))
		return 0;
	err = tb_check_referenced(w, b);
	if (err)
		return err;
	shared |= tb_tm_ref(r->tm, b) > 1;
	if (shared && w->skip_shared)
		return 0;
	if (!w->budget-- || (!level && !(*w->leaf_budget)--)) {
		pr_err("thinblk: metadata block %llu: a walk reached more nodes than the device holds (a node with several parents in one tree)\n",
		       b);
		return -EUCLEAN;
	}
	cond_resched();		/* a legal walk may read millions of nodes */
	err = tb_read_node(r, b, level, &buf, &n);
	if (err)
		return err;
	/* Don't hold the node while calling out: copy what it holds. */
	copy = kmalloc(THINBLK_NODE_PAYLOAD, GFP_NOIO);
	if (!copy) {
		tb_bm_release(buf);
		return -ENOMEM;
	}
	if (!level) {
		memcpy(copy, n + 1, THINBLK_NODE_PAYLOAD);
		tb_bm_release(buf);
		i = w->start > base ? w->start - base : 0;
		for (; i < r->leaf_entries && !err; i++) {
			void *v = copy + (size_t)i * r->value_size;

			if (!tb_value_is_zero(r, v))
				err = w->fn(w->arg, base + i, v, shared);
		}
		kfree(copy);
		if (!err && w->leaves && !--w->leaves) {
			w->start = base + r->leaf_entries;
			return TB_WALK_PAUSED;
		}
		return err;
	}
	children = (u64 *)copy;
	for (i = 0; i < TB_FANOUT; i++)
		children[i] = le64_to_cpu(tb_children(n)[i]);
	tb_bm_release(buf);
	span = tb_span(r, level);
	for (i = 0; i < TB_FANOUT && !err; i++)
		if (children[i] &&
		    !tb_walk_before_start(w, base + i * span, span))
			err = tb_walk_node(w, children[i], level - 1,
					   base + i * span, shared);
	kfree(children);
	return err;
}

u64 tb_radix_walk_budget(struct tb_radix *r)
{
	return tb_bm_nr_blocks(tb_tm_bm(r->tm));
}

int tb_radix_walk_from(struct tb_radix *r, const struct tb_radix_root *root,
		       bool skip_shared, u64 *start, u64 max_leaves,
		       u64 *leaf_budget,
		       int (*fn)(void *arg, u64 key, const void *value,
				 bool shared),
		       void *arg)
{
	struct tb_walk w = {
		.r = r,
		.budget = tb_radix_walk_budget(r),
		.start = *start,
		.leaves = max_leaves,
		.leaf_budget = leaf_budget,
		.skip_shared = skip_shared,
		.fn = fn,
		.arg = arg,
	};
	int err = 0;

	if (root->block)
		err = tb_walk_node(&w, root->block, root->depth, 0, false);
	if (err == TB_WALK_PAUSED) {
		*start = w.start;
		return 0;
	}
	*start = U64_MAX;
	return err;
}

int tb_radix_walk(struct tb_radix *r, const struct tb_radix_root *root,
		  bool skip_shared,
		  int (*fn)(void *arg, u64 key, const void *value, bool shared),
		  void *arg)
{
	u64 start = 0, leaf_budget = tb_radix_walk_budget(r);

	return tb_radix_walk_from(r, root, skip_shared, &start, 0,
				  &leaf_budget, fn, arg);
}
