// SPDX-License-Identifier: GPL-2.0
/*
 * tbnlfuzz: a generic netlink fuzzer for the thinblk family, for thinblk's
 * guest tests (linked with libmnl, copied into the initramfs).
 *
 *   tbnlfuzz [OPTIONS] POOL VOLUME
 *       sends COUNT messages to the family: random command numbers (unknown
 *       ones, 0, 255), known commands with random subsets of attributes,
 *       unknown attribute types, wrong types and lengths, strings without
 *       NUL, bad names ('/', control bytes, bytes >= 0x80, too long), odd
 *       sizes (0, unaligned, U64_MAX), nests of garbage and deep nests,
 *       truncated messages and attributes running past the end, random
 *       flags (NLM_F_DUMP on commands without a dump, no NLM_F_REQUEST),
 *       batches of messages in one send.  POOL and VOLUME exist: names are
 *       aimed at them (and at a few names of the fuzzer's own) so that many
 *       requests reach the handlers.
 *   tbnlfuzz replay HEX
 *       sends the bytes HEX (one send, as a failure or -x prints it) and
 *       prints the answer to each message in it, with its extended ack.
 *   tbnlfuzz race POOL NAME COUNT
 *       two processes: one creates NAME COUNT times, the other deletes it
 *       COUNT times; every request answered, and at the end the creates
 *       that succeeded minus the deletes that did match whether NAME exists.
 *
 * Options: -s SEED   the generator's seed (default: from the time; printed)
 *          -n COUNT  messages to send (default DEFAULT_COUNT)
 *          -d DEV    a spare block device the fuzzer may make pools on
 *                    (repeat it; pools fzp0.. come and go on them)
 *          -e        --expect-eperm: run unprivileged; fail if any state
 *                    changing command is answered with success
 *          -u        unsafe: do send valid POOL_CLOSE/POOL_DESTROY of POOL
 *                    and VOL_DELETE/VOL_DEACTIVATE of VOLUME
 *          -v        print every message's answer
 *          -x        print every state change that succeeded, in hex
 *
 * The messages depend only on the seed (never on the answers), so a seed and
 * a message number reproduce one; a failure prints the message in hex.  Every
 * message must be answered within ANSWER_TIMEOUT_S (NLM_F_ACK is always set;
 * the kernel drops a message whose nlmsg_len is below the header or beyond
 * the bytes sent without a word, so such a message is followed by a probe,
 * GET_VERSION, that must be).  Replies are checked: the right sequence
 * numbers, dumps ending with NLMSG_DONE, errors in range, extended-ack
 * messages NUL-terminated.  At the end POOL and VOLUME must still exist and
 * every volume of POOL have a valid name (one that does not is reported and
 * deleted).
 * Prints a summary, `nlfuzz: N messages, seed S: K ok, K EINVAL, ..., 0
 * unanswered`, and exits 0, or 1 on a failure (naming the message number
 * and the seed), 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/thinblk.h>

#define DEFAULT_COUNT		100000UL
#define ANSWER_TIMEOUT_S	10
#define SOCK_BUF_BYTES		(1 << 20)	/* SO_SNDBUF and SO_RCVBUF */
#define RECV_BUF_BYTES		(256 << 10)	/* > any dump skb (32 KiB) */
#define MSG_BUF_BYTES		(128 << 10)	/* one send, batch included */
#define ATTR_PAYLOAD_MAX	(0xffff - NLA_HDRLEN)	/* nla_len is a u16 */
#define BATCH_MAX		3		/* messages in one send */
#define BATCH_ONE_IN		32		/* sends that are batches */
#define SPARE_MAX		4
#define FUZZ_VOL_NAMES		8		/* fz0.. that creates may use */
#define FUZZ_POOL_NAMES		2		/* fzp0.. */
#define NEST_DEPTH_MAX		64
#define BAD_NAMES_MAX		64		/* reported at the end */
#define ERRNO_SLOTS		4096		/* -MAX_ERRNO.. */
#define RANDOM_CMDS		256		/* genlmsghdr.cmd is a u8 */
#define RANDOM_ATTR_TYPES	(NLA_TYPE_MASK + 1)
#define LONG_NAME_BYTES		4096
#define PROGRESS_EVERY		20000UL
#define RACE_PROCS		2

/* Percentages for rnd_pct() */
#define PCT_RANDOM_CMD		8	/* a random command number */
#define PCT_OTHER_TYPE		3	/* not the family: control, unused id */
#define PCT_REQUIRED		90	/* a command's required attribute */
#define PCT_OPTIONAL		35	/* a command's optional attribute */
#define PCT_BAD_VALUE		20	/* an attribute malformed */
#define PCT_EXTRA_ATTRS		15	/* some attributes of other kinds */
#define PCT_BAD_HEADER		6	/* nlmsg_len, genl header mangled */
#define PCT_ODD_FLAGS		10	/* flags other than REQUEST|ACK */
#define PCT_DUMP		25	/* NLM_F_DUMP on a command that dumps */
#define PCT_AIMED_NAME		70	/* a name that exists */
#define PCT_DEEP		30	/* a bad nest: a deep chain */

static const char *prog = "nlfuzz";

static void __attribute__((noreturn)) usage(void);

/* Random numbers: splitmix64, one state per process. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool rnd_pct(unsigned int pct)
{
	return rnd_below(100) < pct;
}

#define PICK(arr) ((arr)[rnd_below(sizeof(arr) / sizeof((arr)[0]))])

/* What an attribute holds on the wire, by thinblk_attr. */
enum kind { K_NONE, K_FLAG, K_U8, K_U32, K_U64, K_POOL, K_VOL, K_PATH,
	    K_LIST, K_STR };

static const uint8_t attr_kind[THINBLK_A_MAX + 1] = {
	[THINBLK_A_MODULE_VERSION] = K_STR,
	[THINBLK_A_UAPI_VERSION] = K_U32,
	[THINBLK_A_POOL_NAME] = K_POOL,
	[THINBLK_A_DATA_DEV] = K_PATH,
	[THINBLK_A_META_DEV] = K_PATH,
	[THINBLK_A_BLOCK_SIZE] = K_U32,
	[THINBLK_A_BASESIZE] = K_U64,
	[THINBLK_A_LOW_WATER] = K_U64,
	[THINBLK_A_LOW_WATER_PCT] = K_U8,
	[THINBLK_A_NO_SPACE] = K_U8,
	[THINBLK_A_NO_SPACE_TIMEOUT] = K_U32,
	[THINBLK_A_POOL_FLAGS] = K_U32,
	[THINBLK_A_POOL_MODE] = K_U8,
	[THINBLK_A_POOL_VOLUMES] = K_U32,
	[THINBLK_A_POOL_TRANSACTION] = K_U64,
	[THINBLK_A_DATA_SIZE] = K_U64,
	[THINBLK_A_DATA_USED] = K_U64,
	[THINBLK_A_META_SIZE] = K_U64,
	[THINBLK_A_META_USED] = K_U64,
	[THINBLK_A_VOL_NAME] = K_VOL,
	[THINBLK_A_VOL_ID] = K_U32,
	[THINBLK_A_VOL_DEVICE] = K_PATH,
	[THINBLK_A_VOL_SIZE] = K_U64,
	[THINBLK_A_VOL_ORIGIN] = K_VOL,
	[THINBLK_A_VOL_LIMIT] = K_U64,
	[THINBLK_A_VOL_OPEN] = K_U32,
	[THINBLK_A_VOL_REFERENCED] = K_U64,
	[THINBLK_A_VOL_EXCLUSIVE] = K_U64,
	[THINBLK_A_STATS] = K_LIST,
	[THINBLK_A_EVENT_TYPE] = K_U32,
	[THINBLK_A_EVENT_TIME] = K_U64,
	[THINBLK_A_ERRNO] = K_U32,
	[THINBLK_A_PAD] = K_U64,
	[THINBLK_A_FORCE] = K_FLAG,
	[THINBLK_A_META_FULL] = K_U8,
	[THINBLK_A_MIN_FREE] = K_U64,
	[THINBLK_A_MIN_FREE_PCT] = K_U8,
	[THINBLK_A_DEFERRED] = K_FLAG,
	[THINBLK_A_VOL_ACTIVE] = K_U8,
	[THINBLK_A_INACTIVE] = K_FLAG,
	[THINBLK_A_ACTIVATE] = K_U8,
	[THINBLK_A_ACTIVATE_LIST] = K_LIST,
};

/* Per command: the attributes it reads, required ones first. */
#define CMD_ATTRS_MAX 14
struct cmd_desc {
	uint8_t nreq;
	uint8_t attrs[CMD_ATTRS_MAX];	/* 0-terminated */
	bool changes;			/* needs CAP_SYS_ADMIN */
	bool dumps;
};

#define A(x) THINBLK_A_##x
static const struct cmd_desc cmds[THINBLK_CMD_MAX + 1] = {
	[THINBLK_CMD_GET_VERSION] = { 0, { 0 } },
	[THINBLK_CMD_POOL_CREATE] = { 3, { A(POOL_NAME), A(DATA_DEV), A(META_DEV),
		A(FORCE), A(BLOCK_SIZE), A(BASESIZE), A(LOW_WATER),
		A(LOW_WATER_PCT), A(MIN_FREE), A(MIN_FREE_PCT), A(NO_SPACE),
		A(NO_SPACE_TIMEOUT), A(POOL_FLAGS) }, true },
	[THINBLK_CMD_POOL_OPEN] = { 3, { A(POOL_NAME), A(DATA_DEV), A(META_DEV),
		A(ACTIVATE), A(ACTIVATE_LIST) }, true },
	[THINBLK_CMD_POOL_CLOSE] = { 1, { A(POOL_NAME) }, true },
	[THINBLK_CMD_POOL_DESTROY] = { 1, { A(POOL_NAME), A(FORCE) }, true },
	[THINBLK_CMD_POOL_GROW] = { 1, { A(POOL_NAME) }, true },
	[THINBLK_CMD_POOL_SET] = { 1, { A(POOL_NAME), A(BASESIZE), A(LOW_WATER),
		A(LOW_WATER_PCT), A(MIN_FREE), A(MIN_FREE_PCT), A(NO_SPACE),
		A(NO_SPACE_TIMEOUT) }, true },
	[THINBLK_CMD_POOL_GET] = { 1, { A(POOL_NAME) }, false, true },
	[THINBLK_CMD_VOL_CREATE] = { 2, { A(POOL_NAME), A(VOL_NAME), A(VOL_SIZE),
		A(VOL_LIMIT), A(INACTIVE) }, true },
	[THINBLK_CMD_VOL_SNAPSHOT] = { 3, { A(POOL_NAME), A(VOL_ORIGIN),
		A(VOL_NAME), A(VOL_SIZE), A(VOL_LIMIT), A(INACTIVE) }, true },
	[THINBLK_CMD_VOL_RESIZE] = { 3, { A(POOL_NAME), A(VOL_NAME),
		A(VOL_SIZE) }, true },
	[THINBLK_CMD_VOL_DELETE] = { 2, { A(POOL_NAME), A(VOL_NAME),
		A(DEFERRED) }, true },
	[THINBLK_CMD_VOL_SET] = { 3, { A(POOL_NAME), A(VOL_NAME), A(VOL_LIMIT) },
		true },
	[THINBLK_CMD_VOL_GET] = { 2, { A(POOL_NAME), A(VOL_NAME) }, false, true },
	[THINBLK_CMD_VOL_STATS] = { 2, { A(POOL_NAME), A(VOL_NAME) }, false, true },
	[THINBLK_CMD_EVENT] = { 0, { A(EVENT_TYPE), A(POOL_NAME) } },
	[THINBLK_CMD_VOL_ACTIVATE] = { 2, { A(POOL_NAME), A(VOL_NAME) }, true },
	[THINBLK_CMD_VOL_DEACTIVATE] = { 2, { A(POOL_NAME), A(VOL_NAME) }, true },
};
#undef A

struct fuzz {
	struct mnl_socket *nl;
	unsigned int portid;
	uint16_t family;
	uint16_t unused_type;		/* a generic netlink id nobody has */
	uint32_t seq;
	uint64_t seed;
	const char *pool, *vol;
	char data_dev[THINBLK_PATH_MAX], meta_dev[THINBLK_PATH_MAX];
	const char *spare[SPARE_MAX];
	int nspare;
	bool expect_eperm, unsafe, verbose, hex_changes;
	unsigned long msgno;		/* messages sent so far */
	unsigned long count[ERRNO_SLOTS];	/* by -error */
	unsigned long dumps, probes;
	/* called with each reply (not acks) that read_answers() reads */
	void (*on_reply)(struct fuzz *f, const struct nlmsghdr *nlh);
	struct { uint8_t cmd; char name[THINBLK_NAME_MAX]; } bad[BAD_NAMES_MAX];
	int nbad;
};

/* One netlink message being built in a send buffer. */
struct msg {
	uint32_t seq;
	bool answered;		/* an answer is owed (nlmsg_len sane) */
	bool changes;		/* a state-changing command, as a request */
	bool protected_guard;	/* carries a guard: must fail */
	bool done;
	int error;
	unsigned long no;	/* message number */
};

struct send_buf {
	uint8_t buf[MSG_BUF_BYTES];
	size_t len;
	struct msg msgs[BATCH_MAX + 1];
	size_t off[BATCH_MAX + 1];
	int n;
};

static uint8_t recv_buf[RECV_BUF_BYTES];

static void hexdump(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", b[i], (i + 1) % 32 ? "" : "\n");
	if (i % 32)
		fputc('\n', stderr);
}

static void __attribute__((noreturn)) failure(struct fuzz *f,
					      const struct send_buf *sb,
					      const struct msg *m,
					      const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: FAIL: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (message %lu, seed %llu)\n", m ? m->no : f->msgno,
		(unsigned long long)f->seed);
	if (sb) {
		fprintf(stderr, "%s: the send (%zu bytes, %d message%s):\n", prog,
			sb->len, sb->n, sb->n == 1 ? "" : "s");
		hexdump(sb->buf, sb->len);
	}
	exit(1);
}

/* Building attributes by hand: any type, any length, any content. */

static bool room(const struct send_buf *sb, size_t bytes)
{
	return sb->len + NLA_ALIGN(NLA_HDRLEN + bytes) <= sizeof(sb->buf);
}

static struct nlattr *raw_attr(struct send_buf *sb, uint16_t type,
			       const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(sb->buf + sb->len);

	if (len > ATTR_PAYLOAD_MAX)
		len = ATTR_PAYLOAD_MAX;
	if (!room(sb, len))
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	else
		memset((uint8_t *)a + NLA_HDRLEN, 0, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(a->nla_len) - a->nla_len);
	sb->len += NLA_ALIGN(a->nla_len);
	return a;
}

static void random_bytes(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rnd();
}

static const uint64_t u64_values[] = {
	0, 1, 7, 511, THINBLK_SECTOR_SIZE, THINBLK_SECTOR_SIZE + 1,
	THINBLK_BLOCK_SIZE_MIN, 1ULL << 20, 1ULL << 24, 10ULL << 30,
	THINBLK_VOL_SIZE_MAX, THINBLK_VOL_SIZE_MAX + 1, 1ULL << 63,
	UINT64_MAX, UINT64_MAX - THINBLK_SECTOR_SIZE + 1, 1ULL << 32,
};

static const uint32_t u32_values[] = {
	0, 1, 2, 3, 60, THINBLK_NO_SPACE_TIMEOUT_MAX,
	THINBLK_NO_SPACE_TIMEOUT_MAX + 1, THINBLK_BLOCK_SIZE_MIN,
	THINBLK_BLOCK_SIZE_MIN * 2, THINBLK_BLOCK_SIZE_MAX,
	THINBLK_BLOCK_SIZE_MAX * 2, THINBLK_BLOCK_SIZE_MIN + 1,
	THINBLK_POOL_F_ALL, THINBLK_POOL_F_ALL + 1, UINT32_MAX,
};

static const uint8_t u8_values[] = { 0, 1, 2, 3, 4, 99, 100, 101, 255 };

static uint64_t some_u64(void)
{
	switch (rnd_below(4)) {
	case 0:
		return rnd();
	case 1:
		return (rnd() >> rnd_below(64)) & ~(uint64_t)(THINBLK_SECTOR_SIZE - 1);
	default:
		return PICK(u64_values);
	}
}

static uint32_t some_u32(void)
{
	return rnd_pct(25) ? (uint32_t)rnd() : PICK(u32_values);
}

static uint8_t some_u8(void)
{
	return rnd_pct(25) ? (uint8_t)rnd() : PICK(u8_values);
}

/* Characters of a valid name. */
static const char name_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

/* A string that is not a valid name: bytes @out, length returned (no NUL). */
static size_t bad_name(char *out, size_t max)
{
	static const char *const bad[] = {
		"", ".", "..", "/", "a/b", "../p0", "a b", "a\tb", "-", "a\\b",
		"\xff", "\xc3\xa9t\xc3\xa9", "a\x01", "\x7f", "%s%n", "*",
	};
	size_t len, i;

	switch (rnd_below(5)) {
	case 0:		/* too long, or at the limit */
		len = THINBLK_NAME_MAX - 2 + rnd_below(4);
		if (rnd_pct(20))
			len = rnd_below(LONG_NAME_BYTES);
		if (len > max)
			len = max;
		for (i = 0; i < len; i++)
			out[i] = name_chars[rnd_below(sizeof(name_chars) - 1)];
		return len;
	case 1:		/* any bytes but NUL */
		len = 1 + rnd_below(THINBLK_NAME_MAX);
		for (i = 0; i < len && i < max; i++)
			out[i] = 1 + rnd_below(UINT8_MAX);
		return i;
	default: {
		const char *s = PICK(bad);

		len = strlen(s) < max ? strlen(s) : max;
		memcpy(out, s, len);
		return len;
	}
	}
}

/* A name for a pool or volume attribute: often one that exists. */
static size_t some_name(struct fuzz *f, enum kind k, char *out, size_t max)
{
	if (rnd_pct(PCT_AIMED_NAME))
		return snprintf(out, max, "%s", k == K_POOL ? f->pool : f->vol);
	if (rnd_pct(PCT_AIMED_NAME)) {
		if (k == K_POOL)
			return snprintf(out, max, "fzp%u",
					rnd_below(FUZZ_POOL_NAMES));
		if (rnd_pct(5))	/* the longest valid name */
			return snprintf(out, max, "fz%0*u", THINBLK_NAME_MAX - 3, 7);
		return snprintf(out, max, "fz%u", rnd_below(FUZZ_VOL_NAMES));
	}
	return bad_name(out, max);
}

static size_t some_path(struct fuzz *f, char *out, size_t max)
{
	static const char *const paths[] = {
		"/dev/null", "/nonexistent", "/", "", "/dev", "/dev/ram0/../ram0",
		"/proc/self/fd/0", "dev/ram0", "/dev/zero",
	};

	switch (rnd_below(6)) {
	case 0:
		return snprintf(out, max, "%s", f->data_dev);
	case 1:
		return snprintf(out, max, "%s", f->meta_dev);
	case 2:
		if (f->nspare)
			return snprintf(out, max, "%s",
					f->spare[rnd_below(f->nspare)]);
		/* fall through */
	case 3:
		return snprintf(out, max, "%s", PICK(paths));
	case 4:		/* too long */
		memset(out, '/', max);
		return rnd_below(max);
	default:
		return bad_name(out, max);
	}
}

static void put_attr(struct fuzz *f, struct send_buf *sb, uint16_t type,
		     int depth);

/* A nest: names (ACTIVATE_LIST's content), garbage, or nests in nests. */
static void put_nest(struct fuzz *f, struct send_buf *sb, uint16_t type,
		     int depth)
{
	struct nlattr *nest = raw_attr(sb, type | NLA_F_NESTED, NULL, 0);
	unsigned int i, n = rnd_below(8);
	uint8_t junk[64];

	if (!nest)
		return;
	for (i = 0; i < n; i++) {
		switch (rnd_below(4)) {
		case 0:
			if (depth < NEST_DEPTH_MAX) {
				put_nest(f, sb, rnd_below(THINBLK_A_MAX + 2),
					 depth + 1);
				break;
			}
			/* fall through */
		case 1:
			random_bytes(junk, sizeof(junk));
			raw_attr(sb, rnd(), junk, rnd_below(sizeof(junk)));
			break;
		default:
			put_attr(f, sb, THINBLK_A_VOL_NAME, depth + 1);
			break;
		}
	}
	if ((uint8_t *)nest + UINT16_MAX < sb->buf + sb->len)
		sb->len = (uint8_t *)nest - sb->buf + NLA_HDRLEN; /* too big */
	nest->nla_len = sb->buf + sb->len - (uint8_t *)nest;
}

/* A chain of nests DEPTH deep around one name: what recursion makes of it. */
static void put_deep(struct fuzz *f, struct send_buf *sb, uint16_t type)
{
	size_t at[NEST_DEPTH_MAX];
	unsigned int i, depth = 1 + rnd_below(NEST_DEPTH_MAX);

	for (i = 0; i < depth; i++) {
		at[i] = sb->len;
		if (!raw_attr(sb, (i ? THINBLK_A_ACTIVATE_LIST : type) | NLA_F_NESTED,
			      NULL, 0))
			return;
	}
	put_attr(f, sb, THINBLK_A_VOL_NAME, NEST_DEPTH_MAX);
	while (i--)
		((struct nlattr *)(sb->buf + at[i]))->nla_len = sb->len - at[i];
}

/* A well-formed attribute of its own kind, values anywhere in range. */
static void put_good(struct fuzz *f, struct send_buf *sb, uint16_t type,
		     int depth)
{
	enum kind k = type <= THINBLK_A_MAX ? attr_kind[type] : K_NONE;
	char s[LONG_NAME_BYTES + 1];
	uint64_t v64;
	uint32_t v32;
	uint8_t v8;
	size_t len;

	switch (k) {
	case K_FLAG:
		raw_attr(sb, type, NULL, 0);
		break;
	case K_U8:
		v8 = some_u8();
		raw_attr(sb, type, &v8, sizeof(v8));
		break;
	case K_U32:
		v32 = some_u32();
		raw_attr(sb, type, &v32, sizeof(v32));
		break;
	case K_U64:
		v64 = some_u64();
		raw_attr(sb, type, &v64, sizeof(v64));
		break;
	case K_LIST:
		put_nest(f, sb, type, depth);
		break;
	default:
		if (k == K_PATH)
			len = some_path(f, s, THINBLK_PATH_MAX + 2);
		else
			len = some_name(f, k, s, sizeof(s) - 1);
		s[len] = 0;
		raw_attr(sb, type, s, len + 1);
		break;
	}
}

/* An attribute of @type that the policy should refuse (or that is odd). */
static void put_bad(struct fuzz *f, struct send_buf *sb, uint16_t type,
		    int depth)
{
	uint8_t junk[LONG_NAME_BYTES];
	struct nlattr *a;
	size_t len;

	switch (rnd_below(8)) {
	case 0:		/* wrong length: a u8 where a u64 goes, ... */
		len = rnd_below(2 * sizeof(uint64_t) + 1);
		random_bytes(junk, len);
		raw_attr(sb, type, junk, len);
		break;
	case 1:		/* a string without its NUL */
		len = some_name(f, K_VOL, (char *)junk, sizeof(junk));
		raw_attr(sb, type, junk, len);
		break;
	case 2:		/* huge */
		len = rnd_pct(50) ? sizeof(junk) : rnd_below(ATTR_PAYLOAD_MAX);
		if (len > sizeof(junk)) {
			a = raw_attr(sb, type, NULL, len);
			if (a)
				memset(a + 1, 'a', len);
		} else {
			random_bytes(junk, len);
			raw_attr(sb, type, junk, len);
		}
		break;
	case 3:		/* NLA_F_NESTED with garbage in it, or deep */
		if (rnd_pct(PCT_DEEP))
			put_deep(f, sb, type);
		else
			put_nest(f, sb, type, depth);
		break;
	case 4:		/* NLA_F_NET_BYTEORDER on a good one */
		a = (struct nlattr *)(sb->buf + sb->len);
		put_good(f, sb, type, depth);
		if ((uint8_t *)a < sb->buf + sb->len)
			a->nla_type |= NLA_F_NET_BYTEORDER;
		break;
	case 5:		/* nla_len runs past the end, or below the header */
		a = raw_attr(sb, type, NULL, rnd_below(sizeof(uint64_t)));
		if (a)
			a->nla_len = rnd_pct(50) ? rnd_below(NLA_HDRLEN) :
				     a->nla_len + 1 + rnd_below(UINT16_MAX - a->nla_len);
		break;
	case 6:		/* unaligned: a length not a multiple of 4 */
		len = 1 + rnd_below(sizeof(uint64_t) - 1) * 2;
		random_bytes(junk, len);
		raw_attr(sb, type, junk, len);
		break;
	default:	/* a name with an embedded NUL */
		len = some_name(f, K_VOL, (char *)junk, sizeof(junk) - 2);
		junk[len / 2] = 0;
		junk[len] = 0;
		raw_attr(sb, type, junk, len + 1);
		break;
	}
}

static void put_attr(struct fuzz *f, struct send_buf *sb, uint16_t type,
		     int depth)
{
	if (type <= THINBLK_A_MAX && !rnd_pct(PCT_BAD_VALUE))
		put_good(f, sb, type, depth);
	else
		put_bad(f, sb, type, depth);
}

/* An attribute type nobody asked for: unknown, 0, or another command's. */
static uint16_t other_type(void)
{
	switch (rnd_below(3)) {
	case 0:
		return rnd_below(RANDOM_ATTR_TYPES);
	case 1:
		return THINBLK_A_MAX + 1 + rnd_below(4);
	default:
		return rnd_below(THINBLK_A_MAX + 1);
	}
}

/* The kernel reads a NUL_STRING up to its first NUL: "p0\0junk" is "p0". */
static bool is_name(const struct nlattr *a, const char *name)
{
	size_t len = a->nla_len - NLA_HDRLEN;

	return strnlen((const char *)(a + 1), len) < len &&
	       !strcmp((const char *)(a + 1), name);
}

/*
 * Would this request, if the kernel took it, close or destroy POOL or delete
 * or deactivate VOLUME?  The attributes are from @from to the end.
 */
static bool hits_protected(struct fuzz *f, uint8_t cmd, const uint8_t *from,
			   const uint8_t *end)
{
	const struct nlattr *a;
	bool pool_cmd = cmd == THINBLK_CMD_POOL_CLOSE ||
			cmd == THINBLK_CMD_POOL_DESTROY;
	bool vol_cmd = cmd == THINBLK_CMD_VOL_DELETE ||
		       cmd == THINBLK_CMD_VOL_DEACTIVATE;

	if (!pool_cmd && !vol_cmd)
		return false;
	for (; from + NLA_HDRLEN <= end; from += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)from;
		if (a->nla_len < NLA_HDRLEN)
			return false;
		if (from + a->nla_len > end)
			return false;
		if (pool_cmd && (a->nla_type & NLA_TYPE_MASK) == THINBLK_A_POOL_NAME &&
		    is_name(a, f->pool))
			return true;
		if (vol_cmd && (a->nla_type & NLA_TYPE_MASK) == THINBLK_A_VOL_NAME &&
		    is_name(a, f->vol))
			return true;
	}
	return false;
}

/* One message at the end of @sb. */
static void gen_msg(struct fuzz *f, struct send_buf *sb, bool in_batch)
{
	size_t start = sb->len;
	struct msg *m = &sb->msgs[sb->n];
	struct nlmsghdr *nlh = (struct nlmsghdr *)(sb->buf + start);
	struct genlmsghdr *g;
	const struct cmd_desc *d = NULL;
	size_t attrs, guard;
	unsigned int i, extra;
	uint64_t pad = 0;
	bool request;
	uint8_t cmd;

	memset(m, 0, sizeof(*m));
	m->no = ++f->msgno;
	m->seq = ++f->seq;
	m->answered = true;
	sb->off[sb->n++] = start;

	memset(nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = f->family;
	if (rnd_pct(PCT_OTHER_TYPE))
		nlh->nlmsg_type = rnd_pct(50) ? f->unused_type :
				  rnd_below(NLMSG_MIN_TYPE);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = m->seq;
	nlh->nlmsg_pid = rnd_pct(5) ? (uint32_t)rnd() : 0;
	g = (struct genlmsghdr *)(nlh + 1);
	cmd = 1 + rnd_below(THINBLK_CMD_MAX);
	if (rnd_pct(PCT_RANDOM_CMD))
		cmd = rnd_pct(30) ? (rnd_pct(50) ? 0 : UINT8_MAX) :
		      rnd_below(RANDOM_CMDS);
	g->cmd = cmd;
	g->version = rnd_pct(95) ? THINBLK_GENL_VERSION : (uint8_t)rnd();
	g->reserved = rnd_pct(95) ? 0 : (uint16_t)rnd();
	if (cmd <= THINBLK_CMD_MAX)
		d = &cmds[cmd];
	if (d && d->dumps && !in_batch && rnd_pct(PCT_DUMP))
		nlh->nlmsg_flags |= NLM_F_DUMP;
	if (rnd_pct(PCT_ODD_FLAGS)) {
		switch (rnd_below(4)) {
		case 0:
			if (!in_batch)
				nlh->nlmsg_flags |= NLM_F_DUMP;
			break;
		case 1:
			nlh->nlmsg_flags &= ~NLM_F_REQUEST;
			break;
		case 2:
			nlh->nlmsg_flags |= NLM_F_ECHO | NLM_F_MULTI;
			break;
		default:
			nlh->nlmsg_flags |= rnd() & ~(uint16_t)NLM_F_DUMP;
			if (in_batch)
				nlh->nlmsg_flags &= ~NLM_F_DUMP;
			break;
		}
	}
	sb->len = start + NLMSG_HDRLEN + GENL_HDRLEN;

	/*
	 * A guard: an attribute the policy rejects (NLA_REJECT), first, so
	 * that whatever is cut off the end it stays; kept only if the request
	 * turns out to aim at POOL or VOLUME.
	 */
	guard = sb->len;
	raw_attr(sb, THINBLK_A_PAD, &pad, sizeof(pad));
	attrs = sb->len;

	if (d) {
		for (i = 0; i < CMD_ATTRS_MAX && d->attrs[i]; i++)
			if (rnd_pct(i < d->nreq ? PCT_REQUIRED : PCT_OPTIONAL))
				put_attr(f, sb, d->attrs[i], 0);
	}
	if (!d || rnd_pct(PCT_EXTRA_ATTRS)) {
		extra = 1 + rnd_below(4);
		for (i = 0; i < extra; i++)
			put_attr(f, sb, other_type(), 0);
	}
	if (!f->unsafe && hits_protected(f, cmd, sb->buf + attrs,
					 sb->buf + sb->len)) {
		m->protected_guard = true;
	} else {		/* no guard: take its slot back */
		memmove(sb->buf + guard, sb->buf + attrs, sb->len - attrs);
		sb->len -= attrs - guard;
	}
	nlh->nlmsg_len = sb->len - start;
	/* the kernel acks a message without NLM_F_REQUEST unread */
	request = nlh->nlmsg_type == f->family &&
		  (nlh->nlmsg_flags & NLM_F_REQUEST);
	m->changes = request && d && d->changes;
	m->protected_guard &= request;

	if (rnd_pct(PCT_BAD_HEADER)) {
		switch (rnd_below(5)) {
		case 0:	/* shorter: the rest of the attributes cut off */
			nlh->nlmsg_len = NLMSG_HDRLEN +
				rnd_below(nlh->nlmsg_len - NLMSG_HDRLEN + 1);
			/* the rest must not look like a message of its own */
			sb->len = start + NLMSG_ALIGN(nlh->nlmsg_len);
			break;
		case 1:	/* longer than what is sent: dropped unanswered */
			if (in_batch)
				break;
			nlh->nlmsg_len += 1 + rnd_below(UINT16_MAX);
			m->answered = false;
			break;
		case 2:	/* shorter than the netlink header: dropped too */
			if (in_batch)
				break;
			nlh->nlmsg_len = rnd_below(NLMSG_HDRLEN);
			m->answered = false;
			break;
		case 3:	/* a genetlink header cut short */
			nlh->nlmsg_len = NLMSG_HDRLEN + rnd_below(GENL_HDRLEN);
			sb->len = start + NLMSG_ALIGN(nlh->nlmsg_len);
			break;
		default: /* not a multiple of 4: the tail is ignored */
			if (nlh->nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN)
				nlh->nlmsg_len -= 1 + rnd_below(NLA_ALIGNTO - 1);
			break;
		}
	}
}

/* A send: usually one message, sometimes a batch; or a few stray bytes. */
static void gen_send(struct fuzz *f, struct send_buf *sb, unsigned long left)
{
	int i, n = 1;

	sb->len = 0;
	sb->n = 0;
	if (rnd_below(BATCH_ONE_IN) == 0)
		n = 2 + rnd_below(BATCH_MAX - 1);
	if (n > 1 && left >= (unsigned long)n) {
		for (i = 0; i < n; i++) {
			gen_msg(f, sb, true);
			sb->len = sb->off[i] + NLMSG_ALIGN(sb->len - sb->off[i]);
		}
		return;
	}
	gen_msg(f, sb, false);
	if (rnd_below(RANDOM_CMDS) == 0) {	/* fewer bytes than a header */
		sb->len = 1 + rnd_below(NLMSG_HDRLEN - 1);	/* 0: ENODATA */
		sb->msgs[0].answered = false;
	}
}

/* Answers */

static void check_ext_ack(struct fuzz *f, const struct send_buf *sb,
			  const struct msg *m, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_HDRLEN + off > nlh->nlmsg_len)
		failure(f, sb, m, "ack TLVs beyond the ack (%u bytes)",
			nlh->nlmsg_len);
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			failure(f, sb, m, "extended-ack message not a string");
		if (f->verbose && mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			printf("  ext ack: %s\n", mnl_attr_get_str(a));
	}
}

static struct msg *find_msg(struct send_buf *sb, uint32_t seq)
{
	int i;

	for (i = 0; i < sb->n; i++)
		if (sb->msgs[i].seq == seq)
			return &sb->msgs[i];
	return NULL;
}

static bool all_done(const struct send_buf *sb)
{
	int i;

	for (i = 0; i < sb->n; i++)
		if (sb->msgs[i].answered && !sb->msgs[i].done)
			return false;
	return true;
}

/* Read until every message of @sb that is owed an answer has its last one. */
static void read_answers(struct fuzz *f, struct send_buf *sb)
{
	const struct nlmsghdr *nlh;
	struct msg *m;
	ssize_t n;
	int len;

	while (!all_done(sb)) {
		n = mnl_socket_recvfrom(f->nl, recv_buf, sizeof(recv_buf));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			for (m = sb->msgs; m < sb->msgs + sb->n; m++)
				if (m->answered && !m->done)
					break;
			failure(f, sb, m, "no answer in %d s", ANSWER_TIMEOUT_S);
		}
		if (n < 0)
			failure(f, sb, NULL, "recv: %s", strerror(errno));
		len = n;
		for (nlh = (struct nlmsghdr *)recv_buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			m = find_msg(sb, nlh->nlmsg_seq);
			if (!m || m->done)
				failure(f, sb, m, "answer with sequence %u type %u, "
					"not owed one", nlh->nlmsg_seq,
					nlh->nlmsg_type);
			if (!m->answered)
				failure(f, sb, m, "answer to a message the kernel "
					"should have dropped");
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
					failure(f, sb, m, "short ack");
				if (e->error > 0 || e->error <= -ERRNO_SLOTS)
					failure(f, sb, m, "ack with error %d",
						e->error);
				check_ext_ack(f, sb, m, nlh);
				m->error = e->error;
				m->done = true;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					m->error = *(int *)mnl_nlmsg_get_payload(nlh);
				if (m->error > 0 || m->error <= -ERRNO_SLOTS)
					failure(f, sb, m, "dump done with error %d",
						m->error);
				m->done = true;
				f->dumps++;
			} else if (nlh->nlmsg_type != f->family) {
				failure(f, sb, m, "answer of type %u",
					nlh->nlmsg_type);
			} else if (f->on_reply) {
				f->on_reply(f, nlh);
			}
		}
		if (len)
			failure(f, sb, NULL, "%d bytes of a broken answer", len);
	}
}

static void open_socket(struct fuzz *f)
{
	int one = 1, bytes = SOCK_BUF_BYTES, fd;
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };

	f->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!f->nl || mnl_socket_bind(f->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: netlink socket: %s\n", prog, strerror(errno));
		exit(1);
	}
	f->portid = mnl_socket_get_portid(f->nl);
	fd = mnl_socket_get_fd(f->nl);
	/* the FORCE variants need CAP_NET_ADMIN: fall back quietly */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    mnl_socket_setsockopt(f->nl, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    mnl_socket_setsockopt(f->nl, NETLINK_CAP_ACK, &one, sizeof(one))) {
		fprintf(stderr, "%s: setsockopt: %s\n", prog, strerror(errno));
		exit(1);
	}
}

static void do_send(struct fuzz *f, struct send_buf *sb)
{
	if (mnl_socket_sendto(f->nl, sb->buf, sb->len) < 0)
		failure(f, sb, NULL, "send: %s", strerror(errno));
}

/* A well-formed request with @cmd; @pool, @vol may be NULL.  -> error */
static int request(struct fuzz *f, struct send_buf *sb, uint16_t type,
		   uint8_t cmd, uint16_t flags,
		   void (*put)(struct nlmsghdr *, const void *), const void *arg)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = mnl_nlmsg_put_header(sb->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++f->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = THINBLK_GENL_VERSION;
	if (put)
		put(nlh, arg);
	sb->len = nlh->nlmsg_len;
	sb->n = 1;
	memset(sb->msgs, 0, sizeof(sb->msgs[0]));
	sb->msgs[0].seq = nlh->nlmsg_seq;
	sb->msgs[0].answered = true;
	sb->msgs[0].no = f->msgno;
	do_send(f, sb);
	read_answers(f, sb);
	return sb->msgs[0].error;
}

struct names {
	const char *pool, *vol;
};

static void put_names(struct nlmsghdr *nlh, const void *arg)
{
	const struct names *n = arg;

	if (n->pool)
		mnl_attr_put_strz(nlh, THINBLK_A_POOL_NAME, n->pool);
	if (n->vol)
		mnl_attr_put_strz(nlh, THINBLK_A_VOL_NAME, n->vol);
}

static void put_family_name(struct nlmsghdr *nlh, const void *arg)
{
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, arg);
}

static void put_family_id(struct nlmsghdr *nlh, const void *arg)
{
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, *(const uint16_t *)arg);
}

/*
 * A request without NLM_F_ACK whose one answer, a reply, is what we want:
 * -> that reply; an error exits, @what naming what was asked for.
 */
static const struct nlmsghdr *ask(struct fuzz *f, struct send_buf *sb,
				  uint16_t type, uint8_t cmd,
				  void (*put)(struct nlmsghdr *, const void *),
				  const void *arg, const char *what)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(sb->buf);
	ssize_t n;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++f->seq;
	((struct genlmsghdr *)mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN))->cmd = cmd;
	put(nlh, arg);
	if (mnl_socket_sendto(f->nl, nlh, nlh->nlmsg_len) < 0)
		failure(f, NULL, NULL, "send: %s", strerror(errno));
	n = mnl_socket_recvfrom(f->nl, recv_buf, sizeof(recv_buf));
	nlh = (struct nlmsghdr *)recv_buf;
	if (n < 0 || !mnl_nlmsg_ok(nlh, n))
		failure(f, NULL, NULL, "%s: no answer", what);
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "%s: %s: %s\n", prog, what,
			strerror(-((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error));
		exit(1);
	}
	return nlh;
}

/* The family's id, from the controller. */
static uint16_t resolve_family(struct fuzz *f, struct send_buf *sb)
{
	const struct nlmsghdr *nlh;
	const struct nlattr *a;
	uint16_t id = 0;

	nlh = ask(f, sb, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, put_family_name,
		  THINBLK_GENL_NAME, "family " THINBLK_GENL_NAME
		  " (module not loaded?)");
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			id = mnl_attr_get_u16(a);
	if (!id)
		failure(f, NULL, NULL, "no family id in the controller's reply");
	return id;
}

/* A generic netlink id below the id space's end that no family has. */
static uint16_t find_unused_type(struct fuzz *f, struct send_buf *sb)
{
	uint16_t id;

	for (id = UINT16_MAX; id > f->family; id--)
		if (request(f, sb, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
			    put_family_id, &id) == -ENOENT)
			return id;
	failure(f, NULL, NULL, "every generic netlink id in use?");
}

/* POOL's devices (as the kernel names them), for paths that hit them. */
static void read_pool(struct fuzz *f, struct send_buf *sb)
{
	struct names n = { .pool = f->pool };
	const struct nlmsghdr *nlh;
	const struct nlattr *a;

	nlh = ask(f, sb, f->family, THINBLK_CMD_POOL_GET, put_names, &n, f->pool);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			continue;
		if (mnl_attr_get_type(a) == THINBLK_A_DATA_DEV)
			snprintf(f->data_dev, sizeof(f->data_dev), "%s",
				 mnl_attr_get_str(a));
		if (mnl_attr_get_type(a) == THINBLK_A_META_DEV)
			snprintf(f->meta_dev, sizeof(f->meta_dev), "%s",
				 mnl_attr_get_str(a));
	}
}

static void probe(struct fuzz *f, struct send_buf *sb)
{
	int r = request(f, sb, f->family, THINBLK_CMD_GET_VERSION, 0, NULL, NULL);

	if (r)
		failure(f, sb, NULL, "probe after a dropped message: %s",
			strerror(-r));
	f->probes++;
}

static const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "ok";

	return s ? s : "E?";
}

static void print_counts(const struct fuzz *f)
{
	int e;

	for (e = 0; e < ERRNO_SLOTS; e++)
		if (f->count[e])
			printf(" %lu %s", f->count[e], errname(e));
}

static void summary(struct fuzz *f, unsigned long unanswered, double secs)
{
	printf("%s: %lu messages, seed %llu:", prog, f->msgno,
	       (unsigned long long)f->seed);
	print_counts(f);
	printf(", %lu unanswered\n", unanswered);
	printf("%s: %lu dumps, %lu probes after dropped messages, %.1f s, "
	       "%.0f messages/s\n", prog, f->dumps, f->probes, secs,
	       secs > 0 ? f->msgno / secs : 0);
}

/* The uapi's rule for names; as thinctl check applies it. */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	return len && len < THINBLK_NAME_MAX && strcmp(name, ".") &&
	       strcmp(name, "..") && strspn(name, name_chars) == len;
}

/* A dump reply: keep the names (of pools, of POOL's volumes) that break it. */
static void note_bad_name(struct fuzz *f, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	uint16_t type = g->cmd == THINBLK_CMD_POOL_GET ? THINBLK_A_POOL_NAME :
			THINBLK_A_VOL_NAME;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != type ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) ||
		    valid_name(mnl_attr_get_str(a)) || f->nbad == BAD_NAMES_MAX)
			continue;
		f->bad[f->nbad].cmd = g->cmd;
		snprintf(f->bad[f->nbad++].name, THINBLK_NAME_MAX, "%s",
			 mnl_attr_get_str(a));
	}
}

/*
 * Every pool and every volume of POOL has a valid name (the kernel should
 * refuse others; thinctl check calls them damage).  Those that do not are
 * reported, and closed or deleted so that the rest can still be checked.
 * -> how many.
 */
static int check_names(struct fuzz *f, struct send_buf *sb)
{
	struct names n = { .pool = f->pool };
	const unsigned char *c;
	bool pool;
	int i, r;

	f->on_reply = note_bad_name;
	r = request(f, sb, f->family, THINBLK_CMD_POOL_GET, NLM_F_DUMP, NULL,
		    NULL);
	if (!r)
		r = request(f, sb, f->family, THINBLK_CMD_VOL_GET, NLM_F_DUMP,
			    put_names, &n);
	f->on_reply = NULL;
	if (r)
		failure(f, NULL, NULL, "afterwards: listing: %s", strerror(-r));
	for (i = 0; i < f->nbad; i++) {
		pool = f->bad[i].cmd == THINBLK_CMD_POOL_GET;
		fprintf(stderr, "%s: FAIL: the kernel took %s name", prog,
			pool ? "pool" : "volume");
		for (c = (const unsigned char *)f->bad[i].name; *c; c++)
			fprintf(stderr, " %02x", *c);
		fprintf(stderr, " (not 1-63 characters of [A-Za-z0-9_.-]); "
			"seed %llu (-x shows the requests)\n",
			(unsigned long long)f->seed);
		n.pool = pool ? f->bad[i].name : f->pool;
		n.vol = pool ? NULL : f->bad[i].name;
		r = request(f, sb, f->family, pool ? THINBLK_CMD_POOL_CLOSE :
			    THINBLK_CMD_VOL_DELETE, 0, put_names, &n);
		if (r)
			fprintf(stderr, "%s: %s it: %s\n", prog,
				pool ? "closing" : "deleting", strerror(-r));
	}
	return f->nbad;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fuzz(struct fuzz *f, unsigned long count)
{
	static struct send_buf sb;
	struct names n = { .pool = f->pool, .vol = f->vol };
	unsigned long next_progress = PROGRESS_EVERY;
	double start = now();
	bool dropped;
	int i, r;

	while (f->msgno < count) {
		gen_send(f, &sb, count - f->msgno);
		do_send(f, &sb);
		read_answers(f, &sb);
		dropped = false;
		for (i = 0; i < sb.n; i++) {
			struct msg *m = &sb.msgs[i];

			if (!m->answered) {
				dropped = true;
				continue;
			}
			f->count[-m->error]++;
			if (f->verbose)
				printf("%lu: %s\n", m->no, errname(-m->error));
			if (!m->error && m->protected_guard)
				failure(f, &sb, m, "a request with a rejected "
					"attribute succeeded");
			if (!m->error && m->changes && f->expect_eperm)
				failure(f, &sb, m, "a state change succeeded "
					"without CAP_SYS_ADMIN");
			if (!m->error && m->changes && f->hex_changes) {
				fprintf(stderr, "%s: message %lu changed state:\n",
					prog, m->no);
				hexdump(sb.buf + sb.off[i], (i + 1 < sb.n ?
					sb.off[i + 1] : sb.len) - sb.off[i]);
			}
		}
		if (dropped)
			probe(f, &sb);
		if (f->msgno >= next_progress) {
			fprintf(stderr, "%s: %lu messages, %.0f/s\n", prog,
				f->msgno, f->msgno / (now() - start));
			next_progress += PROGRESS_EVERY;
		}
	}
	r = request(f, &sb, f->family, THINBLK_CMD_VOL_GET, 0, put_names, &n);
	if (r)
		failure(f, NULL, NULL, "afterwards: volume %s/%s: %s", f->pool,
			f->vol, strerror(-r));
	summary(f, 0, now() - start);
	return check_names(f, &sb) ? 1 : 0;
}

static int replay(struct fuzz *f, const char *hex)
{
	static struct send_buf sb;
	const struct nlmsghdr *nlh;
	unsigned int byte;
	size_t off;

	for (sb.len = 0; hex[0] && hex[1] && sb.len < sizeof(sb.buf); hex += 2) {
		if (sscanf(hex, "%2x", &byte) != 1)
			usage();
		sb.buf[sb.len++] = byte;
	}
	/* the messages in it, as the kernel will walk them */
	for (off = 0; off + NLMSG_HDRLEN <= sb.len && sb.n < BATCH_MAX + 1;
	     off += NLMSG_ALIGN(nlh->nlmsg_len)) {
		nlh = (const struct nlmsghdr *)(sb.buf + off);
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > sb.len - off)
			break;
		sb.off[sb.n] = off;
		sb.msgs[sb.n].seq = nlh->nlmsg_seq;
		sb.msgs[sb.n].no = sb.n + 1;
		sb.msgs[sb.n++].answered = true;
	}
	f->verbose = true;
	do_send(f, &sb);
	read_answers(f, &sb);
	for (off = 0; off < (size_t)sb.n; off++)
		printf("%s: message %zu: %s\n", prog, off + 1,
		       errname(-sb.msgs[off].error));
	return 0;
}

/* race: one process creates NAME, the other deletes it, COUNT times each */
static void race_side(struct fuzz *f, const char *name, unsigned long count,
		      bool creator, unsigned long *ok, unsigned long *other)
{
	static struct send_buf sb;
	struct names n = { .pool = f->pool, .vol = name };
	unsigned long i;
	int r;

	for (i = 0; i < count; i++) {
		f->msgno++;
		r = request(f, &sb, f->family, creator ? THINBLK_CMD_VOL_CREATE :
			    THINBLK_CMD_VOL_DELETE, 0, put_names, &n);
		if (r > -ERRNO_SLOTS)
			f->count[-r]++;
		if (!r)
			(*ok)++;
		else if (r == (creator ? -EEXIST : -ENOENT) || r == -EBUSY)
			(*other)++;
		else
			failure(f, &sb, NULL, "%s %s: %s", creator ? "create" :
				"delete", name, strerror(-r));
	}
}

static int race(struct fuzz *f, const char *name, unsigned long count)
{
	static struct send_buf sb;
	struct names n = { .pool = f->pool, .vol = name };
	unsigned long res[RACE_PROCS][2] = { { 0 } };
	int fds[2], ready[2], status, r;
	char go = 0;
	long exists;
	pid_t pid;

	if (pipe(fds) || pipe(ready)) {
		perror("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		close(fds[0]);
		mnl_socket_close(f->nl);
		open_socket(f);
		if (write(ready[1], &go, 1) != 1)	/* both start at once */
			_exit(1);
		race_side(f, name, count, false, &res[1][0], &res[1][1]);
		printf("%s: race: deletes:", prog);
		print_counts(f);
		printf("\n");
		if (write(fds[1], res[1], sizeof(res[1])) != sizeof(res[1]))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(ready[0], &go, 1) != 1) {
		fprintf(stderr, "%s: race: the deleting process did not start\n",
			prog);
		return 1;
	}
	race_side(f, name, count, true, &res[0][0], &res[0][1]);
	printf("%s: race: creates:", prog);
	print_counts(f);
	printf("\n");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) ||
	    read(fds[0], res[1], sizeof(res[1])) != sizeof(res[1])) {
		fprintf(stderr, "%s: race: the deleting process failed\n", prog);
		return 1;
	}
	r = request(f, &sb, f->family, THINBLK_CMD_VOL_GET, 0, put_names, &n);
	if (r && r != -ENOENT)
		failure(f, &sb, NULL, "race: get %s: %s", name, strerror(-r));
	exists = !r;
	printf("%s: race on %s/%s, %lu each: %lu created (%lu refused), "
	       "%lu deleted (%lu refused), %s at the end\n", prog, f->pool, name,
	       count, res[0][0], res[0][1], res[1][0], res[1][1],
	       exists ? "exists" : "gone");
	if ((long)(res[0][0] - res[1][0]) != exists) {
		fprintf(stderr, "%s: FAIL: race: %lu creates and %lu deletes "
			"succeeded but the volume %s\n", prog, res[0][0],
			res[1][0], exists ? "exists" : "is gone");
		return 1;
	}
	if (exists) {
		r = request(f, &sb, f->family, THINBLK_CMD_VOL_DELETE, 0,
			    put_names, &n);
		if (r)
			failure(f, &sb, NULL, "race: delete %s at the end: %s",
				name, strerror(-r));
	}
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: tbnlfuzz [-s SEED] [-n COUNT] [-d DEV]... [-e] "
		"[-u] [-v] POOL VOLUME\n"
		"       tbnlfuzz replay HEX\n"
		"       tbnlfuzz race POOL NAME COUNT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "expect-eperm", no_argument, NULL, 'e' },
		{ "unsafe", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	static struct send_buf sb;
	static struct fuzz f;
	unsigned long count = DEFAULT_COUNT;
	bool seeded = false;
	int c;

	while ((c = getopt_long(argc, argv, "+s:n:d:euvx", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			f.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			if (f.nspare == SPARE_MAX)
				usage();
			f.spare[f.nspare++] = optarg;
			break;
		case 'e':
			f.expect_eperm = true;
			break;
		case 'u':
			f.unsafe = true;
			break;
		case 'v':
			f.verbose = true;
			break;
		case 'x':
			f.hex_changes = true;
			break;
		default:
			usage();
		}
	}
	if (!seeded)
		f.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = f.seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	argc -= optind;
	argv += optind;
	if (argc == 4 && !strcmp(argv[0], "race")) {
		f.pool = argv[1];
		open_socket(&f);
		f.family = resolve_family(&f, &sb);
		return race(&f, argv[2], strtoul(argv[3], NULL, 0));
	}
	if (argc == 2 && !strcmp(argv[0], "replay")) {
		open_socket(&f);
		f.family = resolve_family(&f, &sb);
		return replay(&f, argv[1]);
	}
	if (argc != 2)
		usage();
	f.pool = argv[0];
	f.vol = argv[1];
	open_socket(&f);
	f.family = resolve_family(&f, &sb);
	f.unused_type = find_unused_type(&f, &sb);
	read_pool(&f, &sb);
	printf("%s: seed %llu, %lu messages, family %u, pool %s (%s, %s), "
	       "volume %s\n", prog, (unsigned long long)f.seed, count, f.family,
	       f.pool, f.data_dev, f.meta_dev, f.vol);
	return fuzz(&f, count);
}
