// SPDX-License-Identifier: GPL-2.0
/*
 * xfnlfuzz: mutation fuzzer of the xfilter generic netlink family, run
 * against the loaded module (inside the QEMU guest of the debug tier).
 *
 *   xfnlfuzz run [-t SECONDS] [-s SEED] [-c CORPUS_DIR] [--kcov]
 *                [--unpriv UID] [--max-domains N]
 *   xfnlfuzz seeds DIR      writes the built-in seed messages (one valid
 *                           request of every command) to DIR
 *   xfnlfuzz mutate N [-c DIR]  N rounds of mutations without a kernel (a
 *                           check of the mutator itself under ASan+UBSan)
 *
 * Inputs are whole netlink messages (nlmsghdr + genlmsghdr + attributes,
 * nlmsg_type 0: the family id is filled in at run time), seeded from the
 * corpus. Mutations work on the attribute tree: types (and the nested/byte
 * order bits), lengths, integer values, truncation, duplication, deletion,
 * extra nesting levels, attributes spliced from other inputs, a nest grown
 * into a huge batch of its own children, header fields (command, version,
 * flags: dumps, echo), several messages in one datagram, and dumps
 * abandoned after their first part (the socket closed mid-dump). With
 * --kcov, inputs that reach module code not seen before join the pool
 * (KCOV on the debug kernel, only xfilter.ko instrumented).
 *
 * After every input a GET_INFO probe must be answered, and a dump that
 * started must finish. With --unpriv the last fifth of the time runs in a
 * child as UID without capabilities: every privileged command must be
 * refused with EPERM (a seed each, then mutated inputs: no privileged
 * request may succeed) and joining the multicast groups too. At the end
 * the rules and every domain's owner table are flushed and must be empty.
 * Kernel splats (KASAN, lockdep, ...) and leaks are the tier's to catch.
 *
 * Prints "xfnlfuzz: execs=N secs=S execs_per_s=R ..." and exits 0 when no
 * check failed, 1 when one did, 2 on usage errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/kcov.h>
#include <linux/netlink.h>
#include <linux/xfilter.h>

#define MAXMSG		(96 * 1024)
#define POOL_MAX	2048
#define MAX_ATTRS	4096
#define MAX_GROUPS	8
#define COVER_WORDS	(64 * 1024)
#define PC_SLOTS	(1U << 18)
#define PROBE_TIMEOUT_MS 10000

struct input {
	size_t len;
	uint8_t *b;
};

static struct input pool[POOL_MAX];
static unsigned int npool, nseeds;

static int nlfd = -1;
static uint16_t family;
static uint32_t groups[MAX_GROUPS];
static unsigned int ngroups;
static uint32_t seq = 1;
static uint8_t rbuf[256 * 1024];

static uint64_t rng_state;
static unsigned long long execs, new_inputs, abandoned, batches, hangs_checked;
static unsigned long long errnos[140];
static int unpriv_mode;
static const char *failure;

/* KCOV */
static uint64_t *cover;
static uint64_t *pcs;
static unsigned long npcs;

/* the last inputs, printed on a failure */
static struct input last;

static uint64_t rnd64(void)
{
	/* xorshift64*: fast, and a seed reproduces a run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: xfnlfuzz run [-t SECONDS] [-s SEED] [-c DIR] [--kcov] [--unpriv UID]\n"
		"       xfnlfuzz seeds DIR\n       xfnlfuzz mutate N [-c DIR]\n");
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "xfnlfuzz: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *why)
{
	if (!failure) {
		failure = why;
		fprintf(stderr, "xfnlfuzz: FAIL: %s (exec %llu)\n", why, execs);
	}
}

static void dump_hex(const struct input *in)
{
	size_t i;

	fprintf(stderr, "xfnlfuzz: last input (%zu bytes):", in->len);
	for (i = 0; i < in->len && i < 512; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", in->b[i]);
	fprintf(stderr, "\n");
}

/* ---- message building (seeds) ------------------------------------------- */

struct mb {
	uint8_t b[MAXMSG];
	size_t len;
	size_t nest[16];
	int depth;
};

static void mb_init(struct mb *m, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	struct genlmsghdr *gh = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);

	memset(m->b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	gh->cmd = cmd;
	gh->version = XFILTER_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->depth = 0;
}

static void mb_put(struct mb *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->len);

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->b))
		abort();
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	memset(m->b + m->len + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void mb_u8(struct mb *m, uint16_t t, uint8_t v) { mb_put(m, t, &v, 1); }
static void mb_u16(struct mb *m, uint16_t t, uint16_t v) { mb_put(m, t, &v, 2); }
static void mb_u32(struct mb *m, uint16_t t, uint32_t v) { mb_put(m, t, &v, 4); }
static void mb_u64(struct mb *m, uint16_t t, uint64_t v) { mb_put(m, t, &v, 8); }
static void mb_str(struct mb *m, uint16_t t, const char *s) { mb_put(m, t, s, strlen(s) + 1); }

static void mb_nest(struct mb *m, uint16_t type)
{
	m->nest[m->depth++] = m->len;
	mb_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void mb_end(struct mb *m)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->nest[--m->depth]);

	a->nla_len = m->len - m->nest[m->depth];
}

static void mb_key(struct mb *m, uint16_t type, int v6, uint8_t proto,
		   uint16_t gport, uint16_t pport)
{
	uint8_t g[16] = { 0 }, p[16] = { 0 };

	if (v6) {
		g[0] = 0xfd; g[15] = 2;
		p[0] = 0xfd; p[15] = 3;
	} else {
		g[0] = 10; g[3] = 2;
		p[0] = 10; p[3] = 3;
	}
	mb_nest(m, type);
	mb_u8(m, XFILTER_KEY_A_FAMILY, v6 ? AF_INET6 : AF_INET);
	mb_u8(m, XFILTER_KEY_A_PROTO, proto);
	mb_put(m, XFILTER_KEY_A_GUEST_ADDR, g, v6 ? 16 : 4);
	mb_u16(m, XFILTER_KEY_A_GUEST_PORT, gport);
	if (pport) {
		mb_put(m, XFILTER_KEY_A_PEER_ADDR, p, v6 ? 16 : 4);
		mb_u16(m, XFILTER_KEY_A_PEER_PORT, pport);
	}
	mb_end(m);
}

static void mb_owner(struct mb *m, int v6, uint16_t gport, uint32_t uid)
{
	mb_nest(m, XFILTER_A_OWNER);
	mb_key(m, XFILTER_OWNER_A_KEY, v6, gport & 1 ? 17 : 6, gport, gport & 2 ? 8080 : 0);
	mb_u32(m, XFILTER_OWNER_A_PID, 4000 + gport);
	mb_u32(m, XFILTER_OWNER_A_TGID, 4000 + gport);
	mb_u32(m, XFILTER_OWNER_A_UID, uid);
	mb_u32(m, XFILTER_OWNER_A_GID, uid);
	mb_u32(m, XFILTER_OWNER_A_SOCK_UID, uid);
	mb_str(m, XFILTER_OWNER_A_COMM, "curl");
	mb_u8(m, XFILTER_OWNER_A_STATE, 1);
	mb_u64(m, XFILTER_OWNER_A_START_TIME, 123456789ULL);
	mb_u64(m, XFILTER_OWNER_A_INODE, 9000 + gport);
	mb_u32(m, XFILTER_OWNER_A_FLAGS, gport & 4 ? XFILTER_OWNER_F_SHARED : 0);
	mb_end(m);
}

/* A rule of one of a few shapes; every selector appears in one of them. */
static void mb_rule(struct mb *m, int shape)
{
	uint8_t a6[16] = { 0xfd };
	uint8_t a4[4] = { 10, 0, 0, 3 };

	mb_nest(m, XFILTER_A_RULE);
	switch (shape) {
	case 0:
		mb_u8(m, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_DROP);
		mb_u32(m, XFILTER_RULE_A_DOMID, 5);
		mb_u32(m, XFILTER_RULE_A_UID, 1002);
		break;
	case 1:
		mb_u8(m, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_REJECT);
		mb_u32(m, XFILTER_RULE_A_PRIO, 10);
		mb_u32(m, XFILTER_RULE_A_PID, 77);
		mb_u32(m, XFILTER_RULE_A_TGID, 77);
		mb_u32(m, XFILTER_RULE_A_GID, 1001);
		mb_str(m, XFILTER_RULE_A_COMM, "nc");
		mb_u8(m, XFILTER_RULE_A_DIR, XFILTER_DIR_OUT);
		mb_u8(m, XFILTER_RULE_A_PROTO, 6);
		break;
	case 2:
		mb_u8(m, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_LOG);
		mb_u8(m, XFILTER_RULE_A_FAMILY, AF_INET);
		mb_put(m, XFILTER_RULE_A_PEER_ADDR, a4, 4);
		mb_u8(m, XFILTER_RULE_A_PEER_PLEN, 24);
		mb_u16(m, XFILTER_RULE_A_GUEST_PORT_MIN, 1024);
		mb_u16(m, XFILTER_RULE_A_GUEST_PORT_MAX, 65535);
		mb_u16(m, XFILTER_RULE_A_PEER_PORT_MIN, 80);
		mb_u16(m, XFILTER_RULE_A_PEER_PORT_MAX, 443);
		mb_u32(m, XFILTER_RULE_A_TIMEOUT_MS, 600000);
		break;
	default:
		mb_u8(m, XFILTER_RULE_A_VERDICT, XFILTER_VERDICT_ACCEPT);
		mb_u8(m, XFILTER_RULE_A_FAMILY, AF_INET6);
		mb_put(m, XFILTER_RULE_A_PEER_ADDR, a6, 16);
		mb_u8(m, XFILTER_RULE_A_PEER_PLEN, 8);
		mb_u8(m, XFILTER_RULE_A_DIR, XFILTER_DIR_IN);
		mb_u32(m, XFILTER_RULE_A_FLAGS, XFILTER_RULE_F_OWNER_UNKNOWN);
		break;
	}
	mb_end(m);
}

struct seed {
	const char *name;
	void (*build)(struct mb *m);
};

static void s_info(struct mb *m) { mb_init(m, XFILTER_CMD_GET_INFO, 0); }
static void s_rule_uid(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_NEW, 0); mb_rule(m, 0); }
static void s_rule_pid(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_NEW, NLM_F_ECHO); mb_rule(m, 1); }
static void s_rule_net(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_NEW, 0); mb_rule(m, 2); }
static void s_rule_v6(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_NEW, 0); mb_rule(m, 3); }

static void s_rule_del(struct mb *m)
{
	mb_init(m, XFILTER_CMD_RULE_DEL, 0);
	mb_nest(m, XFILTER_A_RULE);
	mb_u32(m, XFILTER_RULE_A_ID, 1);
	mb_end(m);
}

static void s_rule_get(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_GET, NLM_F_DUMP); }

static void s_rule_get_dom(struct mb *m)
{
	mb_init(m, XFILTER_CMD_RULE_GET, NLM_F_DUMP);
	mb_u32(m, XFILTER_A_DOMID, 5);
}

static void s_rule_flush(struct mb *m) { mb_init(m, XFILTER_CMD_RULE_FLUSH, 0); }

static void s_rule_flush_dom(struct mb *m)
{
	mb_init(m, XFILTER_CMD_RULE_FLUSH, 0);
	mb_u32(m, XFILTER_A_DOMID, 6);
}

static void s_rule_replace(struct mb *m)
{
	int i;

	mb_init(m, XFILTER_CMD_RULE_REPLACE, 0);
	mb_nest(m, XFILTER_A_RULES);
	for (i = 0; i < 4; i++)
		mb_rule(m, i);
	mb_end(m);
}

static void s_rule_replace_empty(struct mb *m)
{
	mb_init(m, XFILTER_CMD_RULE_REPLACE, 0);
	mb_nest(m, XFILTER_A_RULES);
	mb_end(m);
}

static void s_owner_add(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_ADD, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_u64(m, XFILTER_A_GENERATION, 7);
	mb_nest(m, XFILTER_A_OWNERS);
	mb_owner(m, 0, 40000, 1001);
	mb_owner(m, 0, 40003, 1002);
	mb_owner(m, 1, 40006, 1001);
	mb_end(m);
}

/* an answer from a read that began at stamp 1: older than any hold */
static void s_owner_add_stamp(struct mb *m)
{
	s_owner_add(m);
	mb_u64(m, XFILTER_A_SCAN_STAMP, 1);
}

/* a stamp from the future: refused with an extack message */
static void s_owner_add_future(struct mb *m)
{
	s_owner_add(m);
	mb_u64(m, XFILTER_A_SCAN_STAMP, UINT64_MAX - 1);
}

static void s_owner_commit(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_COMMIT, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_u64(m, XFILTER_A_GENERATION, 7);
}

static void s_owner_del_key(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_DEL, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_nest(m, XFILTER_A_OWNER);
	mb_key(m, XFILTER_OWNER_A_KEY, 0, 6, 40000, 0);
	mb_end(m);
}

static void s_owner_del_all(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_DEL, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
}

/* A walk's vanished sockets: three keys, one of them twice. */
static void s_owner_del_keys(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_DEL, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_nest(m, XFILTER_A_KEYS);
	mb_key(m, XFILTER_A_KEY, 0, 6, 40000, 0);
	mb_key(m, XFILTER_A_KEY, 1, 17, 40001, 8081);
	mb_key(m, XFILTER_A_KEY, 0, 6, 40000, 0);
	mb_end(m);
}

static void s_owner_get(struct mb *m) { mb_init(m, XFILTER_CMD_OWNER_GET, NLM_F_DUMP); }

static void s_owner_get_dom(struct mb *m)
{
	mb_init(m, XFILTER_CMD_OWNER_GET, NLM_F_DUMP);
	mb_u32(m, XFILTER_A_DOMID, 5);
}

static void s_miss_resolve(struct mb *m)
{
	mb_init(m, XFILTER_CMD_MISS_RESOLVE, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_key(m, XFILTER_A_KEY, 0, 6, 40100, 8080);
}

static void s_miss_resolve_stamp(struct mb *m)
{
	s_miss_resolve(m);
	mb_u64(m, XFILTER_A_SCAN_STAMP, 1);
}

/* A turn's answers: three keys, one of them twice, and a stamp. */
static void s_miss_resolve_keys(struct mb *m)
{
	mb_init(m, XFILTER_CMD_MISS_RESOLVE, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
	mb_nest(m, XFILTER_A_KEYS);
	mb_key(m, XFILTER_A_KEY, 0, 17, 40100, 8081);
	mb_key(m, XFILTER_A_KEY, 1, 6, 40101, 8080);
	mb_key(m, XFILTER_A_KEY, 0, 17, 40100, 8081);
	mb_key(m, XFILTER_A_KEY, 0, 17, 40102, 0);
	mb_end(m);
	mb_u64(m, XFILTER_A_SCAN_STAMP, 1);
}

static void s_domain_get(struct mb *m)
{
	mb_init(m, XFILTER_CMD_DOMAIN_GET, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
}

static void s_domain_dump(struct mb *m) { mb_init(m, XFILTER_CMD_DOMAIN_GET, NLM_F_DUMP); }

static void s_domain_set(struct mb *m)
{
	mb_init(m, XFILTER_CMD_DOMAIN_SET, NLM_F_ECHO);
	mb_nest(m, XFILTER_A_DOMAIN);
	mb_u32(m, XFILTER_DOMAIN_A_DOMID, 5);
	mb_u8(m, XFILTER_DOMAIN_A_FAIL_MODE, XFILTER_FAIL_OPEN);
	mb_u8(m, XFILTER_DOMAIN_A_ENABLED, 1);
	mb_u32(m, XFILTER_DOMAIN_A_MAX_ENTRIES, 16384);
	mb_end(m);
}

static void s_stats(struct mb *m) { mb_init(m, XFILTER_CMD_STATS_GET, 0); }

static void s_stats_dom(struct mb *m)
{
	mb_init(m, XFILTER_CMD_STATS_GET, 0);
	mb_u32(m, XFILTER_A_DOMID, 5);
}

static void s_stats_dump(struct mb *m) { mb_init(m, XFILTER_CMD_STATS_GET, NLM_F_DUMP); }

static const struct seed seeds[] = {
	{ "get_info", s_info },
	{ "rule_new-uid", s_rule_uid },
	{ "rule_new-pid-echo", s_rule_pid },
	{ "rule_new-net4", s_rule_net },
	{ "rule_new-net6", s_rule_v6 },
	{ "rule_del", s_rule_del },
	{ "rule_get-dump", s_rule_get },
	{ "rule_get-dump-domid", s_rule_get_dom },
	{ "rule_flush", s_rule_flush },
	{ "rule_flush-domid", s_rule_flush_dom },
	{ "rule_replace", s_rule_replace },
	{ "rule_replace-empty", s_rule_replace_empty },
	{ "owner_add", s_owner_add },
	{ "owner_add-stamp", s_owner_add_stamp },
	{ "owner_add-future-stamp", s_owner_add_future },
	{ "owner_commit", s_owner_commit },
	{ "owner_del-key", s_owner_del_key },
	{ "owner_del-all", s_owner_del_all },
	{ "owner_del-keys", s_owner_del_keys },
	{ "owner_get-dump", s_owner_get },
	{ "owner_get-dump-domid", s_owner_get_dom },
	{ "miss_resolve", s_miss_resolve },
	{ "miss_resolve-stamp", s_miss_resolve_stamp },
	{ "miss_resolve-keys", s_miss_resolve_keys },
	{ "domain_get", s_domain_get },
	{ "domain_get-dump", s_domain_dump },
	{ "domain_set-echo", s_domain_set },
	{ "stats_get", s_stats },
	{ "stats_get-domid", s_stats_dom },
	{ "stats_get-dump", s_stats_dump },
};

static void finish(struct mb *m)
{
	((struct nlmsghdr *)m->b)->nlmsg_len = m->len;
}

static int write_seeds(const char *dir)
{
	static struct mb m;
	char path[4096];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		seeds[i].build(&m);
		finish(&m);
		snprintf(path, sizeof(path), "%s/%s.bin", dir, seeds[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(m.b, 1, m.len, f) != m.len || fclose(f))
			die(path);
	}
	printf("xfnlfuzz: %zu seeds in %s\n", i, dir);
	return 0;
}

static void pool_add(const uint8_t *b, size_t len)
{
	struct input *in;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN || len > MAXMSG)
		return;
	/* once full, a new input replaces an old one, never a seed */
	in = npool < POOL_MAX ? &pool[npool++] : &pool[nseeds + rnd(POOL_MAX - nseeds)];
	free(in->b);
	in->b = malloc(len);
	if (!in->b)
		die("malloc");
	memcpy(in->b, b, len);
	in->len = len;
}

static void load_corpus(const char *dir)
{
	static uint8_t buf[MAXMSG];
	struct dirent *de;
	char path[4096];
	DIR *d;

	if (!dir) {
		static struct mb m;
		size_t i;

		for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
			seeds[i].build(&m);
			finish(&m);
			pool_add(m.b, m.len);
		}
		nseeds = npool;
		return;
	}
	d = opendir(dir);
	if (!d)
		die(dir);
	while ((de = readdir(d))) {
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			die(path);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		pool_add(buf, n);
	}
	closedir(d);
	nseeds = npool;
	if (!nseeds) {
		fprintf(stderr, "xfnlfuzz: no inputs in %s\n", dir);
		exit(1);
	}
}

/* ---- netlink transport ---------------------------------------------------- */

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, sz = 1 << 20;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* extack on: the error paths that point at attributes run too */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

static int nl_send(int fd, const void *b, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, b, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/* One datagram, waiting at most @ms; returns its length, 0 on timeout. */
static ssize_t nl_recv(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return n;
}

static void resolve_family(void)
{
	static struct mb m;
	struct nlmsghdr *nh;
	ssize_t n;

	mb_init(&m, CTRL_CMD_GETFAMILY, 0);
	mb_str(&m, CTRL_ATTR_FAMILY_NAME, XFILTER_GENL_NAME);
	finish(&m);
	nh = (struct nlmsghdr *)m.b;
	nh->nlmsg_type = GENL_ID_CTRL;
	nh->nlmsg_seq = seq++;
	if (nl_send(nlfd, m.b, m.len))
		die("send GETFAMILY");
	while ((n = nl_recv(nlfd, 5000)) > 0) {
		for (nh = (struct nlmsghdr *)rbuf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			struct nlattr *a;
			int rem;

			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (e->error) {
					errno = -e->error;
					die("family " XFILTER_GENL_NAME);
				}
				if (family)
					return;
				continue;
			}
			rem = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			for (a = (struct nlattr *)((uint8_t *)NLMSG_DATA(nh) + GENL_HDRLEN);
			     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len))) {
				struct nlattr *g, *ga;
				int grem, garem;

				if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
					memcpy(&family, (uint8_t *)a + NLA_HDRLEN, 2);
				if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
					continue;
				grem = a->nla_len - NLA_HDRLEN;
				for (g = (struct nlattr *)((uint8_t *)a + NLA_HDRLEN);
				     grem >= NLA_HDRLEN && g->nla_len >= NLA_HDRLEN && g->nla_len <= grem;
				     grem -= NLA_ALIGN(g->nla_len),
				     g = (struct nlattr *)((uint8_t *)g + NLA_ALIGN(g->nla_len))) {
					garem = g->nla_len - NLA_HDRLEN;
					for (ga = (struct nlattr *)((uint8_t *)g + NLA_HDRLEN);
					     garem >= NLA_HDRLEN && ga->nla_len >= NLA_HDRLEN &&
					     ga->nla_len <= garem;
					     garem -= NLA_ALIGN(ga->nla_len),
					     ga = (struct nlattr *)((uint8_t *)ga + NLA_ALIGN(ga->nla_len)))
						if ((ga->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_ID &&
						    ngroups < MAX_GROUPS)
							memcpy(&groups[ngroups++],
							       (uint8_t *)ga + NLA_HDRLEN, 4);
				}
			}
		}
	}
	if (!family) {
		fprintf(stderr, "xfnlfuzz: family %s not found (module loaded?)\n",
			XFILTER_GENL_NAME);
		exit(1);
	}
}

/* ---- one execution -------------------------------------------------------- */

/* seqs of the messages of the current input and their commands */
struct pending {
	uint32_t seq;
	uint8_t cmd;
	int request;	/* NLM_F_REQUEST: without it nothing runs, an ACK says 0 */
	int dump_running, done;
};

static int admin_cmd(uint8_t cmd)
{
	return cmd != XFILTER_CMD_GET_INFO;
}

/*
 * Reads until the probe @pseq is answered (reply + ACK), then until every
 * dump of @p has finished. Unprivileged: no privileged command may succeed.
 * Returns 0, or -1 when the family stopped answering.
 */
static int drain(uint32_t pseq, struct pending *p, int np)
{
	int probe_reply = 0, probe_ack = 0, i, spins = 0;
	double deadline = now() + PROBE_TIMEOUT_MS / 1000.0;

	for (;;) {
		int waiting = !probe_ack;
		ssize_t n;
		struct nlmsghdr *nh;

		for (i = 0; i < np; i++)
			waiting |= p[i].dump_running && !p[i].done;
		if (!waiting)
			return probe_reply ? 0 : -1;
		if (now() > deadline || ++spins > 1000000)
			return -1;
		n = nl_recv(nlfd, 200);
		if (n < 0) {
			if (n == -ENOBUFS)	/* a huge dump overran us: keep reading */
				continue;
			return -1;
		}
		for (nh = (struct nlmsghdr *)rbuf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			struct pending *q = NULL;

			for (i = 0; i < np; i++)
				if (p[i].seq == nh->nlmsg_seq)
					q = &p[i];
			if (nh->nlmsg_seq == pseq) {
				if (nh->nlmsg_type == family)
					probe_reply = 1;
				else if (nh->nlmsg_type == NLMSG_ERROR) {
					probe_ack = 1;
					if (((struct nlmsgerr *)NLMSG_DATA(nh))->error)
						return -1;
				}
				continue;
			}
			if (!q)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				int e = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;

				if (e >= 0 && e < 140)
					errnos[e]++;
				if (unpriv_mode && admin_cmd(q->cmd) && q->request && e == 0)
					fail("an unprivileged request succeeded");
				q->done = 1;
			} else if (nh->nlmsg_type == NLMSG_DONE) {
				q->done = 1;
				errnos[0]++;
			} else if (nh->nlmsg_type == family) {
				if (nh->nlmsg_flags & NLM_F_MULTI)
					q->dump_running = 1;
				if (unpriv_mode && admin_cmd(q->cmd))
					fail("an unprivileged request got data");
			}
		}
	}
}

static void kcov_collect(void)
{
	uint64_t n, i;

	if (!cover)
		return;
	n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED);
	if (n >= COVER_WORDS)
		n = COVER_WORDS - 1;
	for (i = 1; i <= n; i++) {
		uint64_t pc = cover[i];
		uint32_t h = (uint32_t)((pc * 0x9e3779b97f4a7c15ULL) >> 46);

		while (pcs[h] && pcs[h] != pc)
			h = (h + 1) & (PC_SLOTS - 1);
		if (!pcs[h] && npcs < PC_SLOTS / 2) {
			pcs[h] = pc;
			npcs++;
			new_inputs++;
		}
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "xfnlfuzz: FAIL: no progress for 60 s (a request blocked in the kernel)\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void reopen(void)
{
	close(nlfd);
	nlfd = nl_open();
}

/* Sends the @len bytes (one or more messages) and checks the family. */
static void exec_one(uint8_t *b, size_t len, int may_abandon)
{
	static struct mb probe;
	struct pending p[8];
	struct nlmsghdr *nh;
	unsigned long before = npcs;
	size_t off = 0;
	int np = 0, is_dump = 0;
	uint32_t pseq;

	/* stamp the family and sequence numbers into every whole message */
	while (off + NLMSG_HDRLEN <= len && np < 8) {
		nh = (struct nlmsghdr *)(b + off);
		nh->nlmsg_type = family;
		nh->nlmsg_seq = seq++;
		nh->nlmsg_pid = 0;
		p[np].seq = nh->nlmsg_seq;
		p[np].cmd = off + NLMSG_HDRLEN < len ? b[off + NLMSG_HDRLEN] : 0;
		p[np].request = !!(nh->nlmsg_flags & NLM_F_REQUEST);
		p[np].dump_running = p[np].done = 0;
		is_dump |= !!(nh->nlmsg_flags & NLM_F_DUMP);
		np++;
		if (nh->nlmsg_len < NLMSG_HDRLEN || NLMSG_ALIGN(nh->nlmsg_len) > len - off)
			break;
		off += NLMSG_ALIGN(nh->nlmsg_len);
	}
	last.b = b;
	last.len = len;
	alarm(60);
	if (cover)
		__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
	execs++;
	if (nl_send(nlfd, b, len) == -EPERM && unpriv_mode)
		return;
	if (is_dump && may_abandon && !rnd(8)) {
		/* walk away from the dump after its first part */
		nl_recv(nlfd, 1000);
		kcov_collect();
		abandoned++;
		reopen();
		return;
	}
	mb_init(&probe, XFILTER_CMD_GET_INFO, 0);
	finish(&probe);
	nh = (struct nlmsghdr *)probe.b;
	nh->nlmsg_type = family;
	nh->nlmsg_seq = pseq = seq++;
	if (nl_send(nlfd, probe.b, probe.len) || drain(pseq, p, np)) {
		hangs_checked++;
		fail("the family stopped answering GET_INFO, or a dump never finished");
		dump_hex(&last);
		return;
	}
	kcov_collect();
	if (npcs > before && !unpriv_mode)
		pool_add(b, len);
}

/* ---- mutations ------------------------------------------------------------ */

struct attr_ref {
	uint32_t off;		/* of the nlattr in the message */
	int parent;		/* index in the list, -1 at top level */
	int nested;		/* its payload parsed as attributes */
};

static struct attr_ref attrs[MAX_ATTRS];
static int nattrs;

static int parses_as_attrs(const uint8_t *b, size_t len)
{
	size_t off = 0;

	if (len < NLA_HDRLEN)
		return 0;
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)(b + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			return 0;
		off += NLA_ALIGN(a->nla_len);
	}
	return off == len || off == NLA_ALIGN(len);
}

static void walk(const uint8_t *b, size_t start, size_t end, int parent, int depth)
{
	size_t off = start;

	while (off + NLA_HDRLEN <= end && nattrs < MAX_ATTRS) {
		const struct nlattr *a = (const struct nlattr *)(b + off);
		int me = nattrs;
		size_t plen;

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > end)
			return;
		plen = a->nla_len - NLA_HDRLEN;
		attrs[nattrs].off = off;
		attrs[nattrs].parent = parent;
		attrs[nattrs].nested = depth < 12 &&
			((a->nla_type & NLA_F_NESTED) || parses_as_attrs(b + off + NLA_HDRLEN, plen));
		nattrs++;
		if (attrs[me].nested)
			walk(b, off + NLA_HDRLEN, off + a->nla_len, me, depth + 1);
		off += NLA_ALIGN(a->nla_len);
	}
}

static void index_attrs(const uint8_t *b, size_t len)
{
	nattrs = 0;
	if (len >= NLMSG_HDRLEN + GENL_HDRLEN)
		walk(b, NLMSG_HDRLEN + GENL_HDRLEN, len, -1, 0);
}

static struct nlattr *A(uint8_t *b, int i)
{
	return (struct nlattr *)(b + attrs[i].off);
}

/* Adds @delta to the lengths of attribute @i's ancestors; 0 if they fit. */
static int fix_parents(uint8_t *b, int i, long delta)
{
	int p;

	for (p = attrs[i].parent; p >= 0; p = attrs[p].parent)
		if ((long)A(b, p)->nla_len + delta < NLA_HDRLEN ||
		    (long)A(b, p)->nla_len + delta > 0xffff)
			return -1;
	for (p = attrs[i].parent; p >= 0; p = attrs[p].parent)
		A(b, p)->nla_len += delta;
	return 0;
}

/* Replaces [off, off + old) by @n bytes of @src (or zeroes); returns the new length. */
static size_t splice_bytes(uint8_t *b, size_t len, size_t off, size_t old,
			   const uint8_t *src, size_t n)
{
	if (off > len || old > len - off || len - old + n > MAXMSG)
		return len;
	memmove(b + off + n, b + off + old, len - off - old);
	if (src)
		memcpy(b + off, src, n);
	else
		memset(b + off, 0, n);
	return len - old + n;
}

static const uint64_t interesting[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 31, 32, 63, 64, 127, 128, 255, 256,
	1001, 1002, 1024, 4096, 0x7fef, 0x7ff0, 0x7fff, 0x8000, 0xffff, 0x10000,
	1U << 22, (1U << 22) + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	AF_INET, AF_INET6, 6, 17, 0xffffffffffffffffULL, 0x8000000000000000ULL,
};

static size_t mutate_once(uint8_t *b, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)b;
	int i, k;
	long d;

	index_attrs(b, len);
	i = nattrs ? (int)rnd(nattrs) : -1;
	switch (rnd(14)) {
	case 0:		/* attribute type, with the nested / byte order bits */
		if (i < 0)
			break;
		switch (rnd(3)) {
		case 0: A(b, i)->nla_type = rnd(32) | (A(b, i)->nla_type & NLA_F_NESTED); break;
		case 1: A(b, i)->nla_type ^= 1U << rnd(16); break;
		default: A(b, i)->nla_type = rnd(0x10000); break;
		}
		break;
	case 1:		/* attribute length */
		if (i < 0)
			break;
		{
			static const int dl[] = { -8, -4, -3, -1, 1, 3, 4, 8 };
			uint16_t l = A(b, i)->nla_len;

			switch (rnd(4)) {
			case 0: A(b, i)->nla_len = rnd(8); break;
			case 1: A(b, i)->nla_len = l + dl[rnd(8)]; break;
			case 2: A(b, i)->nla_len = 0xffff - rnd(4); break;
			default: A(b, i)->nla_len = rnd(0x10000); break;
			}
		}
		break;
	case 2:		/* integer payload */
	case 3:
		if (i < 0)
			break;
		{
			size_t plen = A(b, i)->nla_len - NLA_HDRLEN;
			uint64_t v = interesting[rnd(sizeof(interesting) / sizeof(interesting[0]))];

			if (rnd(4) == 0)
				v = rnd64();
			if (plen == 1 || plen == 2 || plen == 4 || plen == 8)
				memcpy(b + attrs[i].off + NLA_HDRLEN, &v, plen);
			else if (plen)
				b[attrs[i].off + NLA_HDRLEN + rnd(plen)] = v;
		}
		break;
	case 4:		/* truncate (the header says so, or it does not) */
		if (len > NLMSG_HDRLEN)
			len = NLMSG_HDRLEN + rnd(len - NLMSG_HDRLEN);
		if (rnd(4))
			nh->nlmsg_len = len;
		return len;
	case 5:		/* duplicate an attribute */
		if (i < 0)
			break;
		{
			size_t al = NLA_ALIGN(A(b, i)->nla_len), off = attrs[i].off;

			if (fix_parents(b, i, al))
				break;
			len = splice_bytes(b, len, off + al, 0, b + off, al);
		}
		break;
	case 6:		/* delete an attribute */
		if (i < 0)
			break;
		{
			size_t al = NLA_ALIGN(A(b, i)->nla_len);

			if (attrs[i].off + al > len || fix_parents(b, i, -(long)al))
				break;
			len = splice_bytes(b, len, attrs[i].off, al, NULL, 0);
		}
		break;
	case 7:		/* one more nesting level, or many */
		if (i < 0)
			break;
		for (k = rnd(3) ? 1 : 1 + rnd(40); k > 0; k--) {
			struct nlattr h;

			h.nla_len = A(b, i)->nla_len + NLA_HDRLEN;
			h.nla_type = (rnd(2) ? NLA_F_NESTED : 0) | rnd(20);
			if (NLA_ALIGN(h.nla_len) > 0xffff || fix_parents(b, i, NLA_HDRLEN))
				break;
			len = splice_bytes(b, len, attrs[i].off, 0, (uint8_t *)&h, NLA_HDRLEN);
		}
		break;
	case 8:		/* an attribute of another input */
		{
			const struct input *o = &pool[rnd(npool)];
			static uint8_t tmp[MAXMSG];
			int j;

			memcpy(tmp, o->b, o->len);
			index_attrs(tmp, o->len);
			if (!nattrs)
				break;
			j = rnd(nattrs);
			d = NLA_ALIGN(A(tmp, j)->nla_len);
			if ((size_t)attrs[j].off + d > o->len || d > MAXMSG / 2)
				break;
			memmove(tmp, tmp + attrs[j].off, d);
			index_attrs(b, len);
			if (i >= nattrs || i < 0) {
				len = splice_bytes(b, len, len, 0, tmp, d);
			} else if (!fix_parents(b, i, d)) {
				len = splice_bytes(b, len, attrs[i].off, 0, tmp, d);
			}
		}
		break;
	case 9:		/* a nest grown into a huge batch of its last child */
		for (k = 0; k < nattrs && !attrs[i].nested; k++)
			i = (i + 1) % nattrs;
		if (i < 0 || !attrs[i].nested)
			break;
		{
			int c = -1, j;
			size_t cl, want = 512 + rnd(64 * 1024);

			for (j = i + 1; j < nattrs; j++)
				if (attrs[j].parent == i)
					c = j;
			if (c < 0)
				break;
			cl = NLA_ALIGN(A(b, c)->nla_len);
			if (!cl || attrs[c].off + cl > len)
				break;
			/* as many copies as the nest, its parents and the buffer take */
			k = want / cl;
			while (k > 0 && (A(b, i)->nla_len + (size_t)k * cl > 0xffff ||
					 len + (size_t)k * cl > MAXMSG || fix_parents(b, c, (long)k * cl)))
				k /= 2;
			if (!k)
				break;
			{
				static uint8_t copy[65536];

				memcpy(copy, b + attrs[c].off, cl);
				len = splice_bytes(b, len, attrs[c].off + cl, 0, NULL, (size_t)k * cl);
				for (j = 1; j <= k; j++)
					memcpy(b + attrs[c].off + (size_t)j * cl, copy, cl);
			}
			batches++;
		}
		break;
	case 10:	/* genl header: command, version, reserved */
		if (len >= NLMSG_HDRLEN + GENL_HDRLEN) {
			struct genlmsghdr *gh = (struct genlmsghdr *)(b + NLMSG_HDRLEN);

			switch (rnd(3)) {
			case 0: gh->cmd = rnd(3) ? 1 + rnd(XFILTER_CMD_MAX) : rnd(256); break;
			case 1: gh->version = rnd(4); break;
			default: gh->reserved = rnd(0x10000); break;
			}
		}
		break;
	case 11:	/* netlink flags */
		switch (rnd(4)) {
		case 0: nh->nlmsg_flags ^= NLM_F_DUMP; break;
		case 1: nh->nlmsg_flags ^= NLM_F_ECHO; break;
		case 2: nh->nlmsg_flags ^= NLM_F_ACK; break;
		default: nh->nlmsg_flags ^= 1U << rnd(16); break;
		}
		break;
	default:	/* bytes */
		if (len <= NLMSG_HDRLEN + GENL_HDRLEN)
			break;
		k = NLMSG_HDRLEN + GENL_HDRLEN + rnd(len - NLMSG_HDRLEN - GENL_HDRLEN);
		switch (rnd(3)) {
		case 0: b[k] ^= 1U << rnd(8); break;
		case 1: b[k] = rnd(256); break;
		default:
			d = 1 + rnd(16);
			if (rnd(2))
				len = splice_bytes(b, len, k, 0, NULL, d);
			else if ((size_t)k + d <= len)
				len = splice_bytes(b, len, k, d, NULL, 0);
			break;
		}
		break;
	}
	nh->nlmsg_len = len;
	return len;
}

/* ---- the runs ------------------------------------------------------------- */

static uint8_t cur[MAXMSG * 2];

static void cleanup_and_count(unsigned int *ndom, unsigned long *entries, unsigned long *rules);

static void fuzz_loop(double secs, const char *who)
{
	double t0 = now(), next = t0 + 10;
	unsigned long long e0 = execs;

	while (!failure && now() - t0 < secs) {
		const struct input *in = &pool[rnd(npool)];
		size_t len = in->len, n, total;
		int m;

		memcpy(cur, in->b, len);
		for (m = 1 + rnd(rnd(4) ? 3 : 8); m > 0; m--)
			len = mutate_once(cur, len);
		total = len;
		/* several messages in one datagram now and then */
		if (!rnd(16)) {
			for (m = 1 + rnd(3); m > 0; m--) {
				in = &pool[rnd(npool)];
				n = NLMSG_ALIGN(total);
				if (n + in->len > sizeof(cur) / 2)
					break;
				memset(cur + total, 0, n - total);
				memcpy(cur + n, in->b, in->len);
				total = n + (rnd(2) ? mutate_once(cur + n, in->len) : in->len);
			}
		}
		/* the kernel must see requests that ask for an answer, mostly */
		if (rnd(8) && total >= NLMSG_HDRLEN)
			((struct nlmsghdr *)cur)->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		exec_one(cur, total, 1);
		/*
		 * A raised table limit and huge batches would fill the guest's
		 * memory over a long run: flush now and then (as root).
		 */
		if (!unpriv_mode && !failure && !(execs % 3000)) {
			unsigned int nd;
			unsigned long ne, nr;

			cleanup_and_count(&nd, &ne, &nr);
		}
		if (now() > next) {
			printf("xfnlfuzz: %s t=%.0fs execs=%llu (%.0f/s) pool=%u pcs=%lu abandoned=%llu\n",
			       who, now() - t0, execs - e0, (execs - e0) / (now() - t0), npool,
			       npcs, abandoned);
			fflush(stdout);
			next += 10;
		}
	}
}

/* Every seed of a privileged command must get EPERM; GET_INFO must work. */
static void unpriv_checks(void)
{
	static struct mb m;
	size_t i;
	unsigned int g;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct nlmsghdr *nh;
		int got = 1, ok = 0;
		ssize_t n;

		seeds[i].build(&m);
		finish(&m);
		nh = (struct nlmsghdr *)m.b;
		nh->nlmsg_type = family;
		nh->nlmsg_seq = seq++;
		if (nl_send(nlfd, m.b, m.len))
			die("send");
		while (got && (n = nl_recv(nlfd, 5000)) > 0) {
			struct nlmsghdr *r;

			for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, n); r = NLMSG_NEXT(r, n)) {
				if (r->nlmsg_seq != nh->nlmsg_seq)
					continue;
				if (r->nlmsg_type == NLMSG_ERROR) {
					int e = ((struct nlmsgerr *)NLMSG_DATA(r))->error;

					ok = admin_cmd(m.b[NLMSG_HDRLEN]) ? e == -EPERM : e == 0;
					got = 0;
				}
			}
		}
		if (!ok) {
			fprintf(stderr, "xfnlfuzz: unprivileged %s: not %s\n", seeds[i].name,
				admin_cmd(m.b[NLMSG_HDRLEN]) ? "refused with EPERM" : "answered");
			fail("unprivileged seed");
		}
	}
	for (g = 0; g < ngroups; g++) {
		int fd = nl_open();

		if (!setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[g],
				sizeof(groups[g])) || errno != EPERM) {
			fprintf(stderr, "xfnlfuzz: unprivileged join of group %u: %s\n",
				groups[g], strerror(errno));
			fail("unprivileged multicast join");
		}
		close(fd);
	}
	printf("xfnlfuzz: unprivileged: %zu seeds refused or answered as they must, %u groups refused\n",
	       i, ngroups);
}

static int run_unpriv(uid_t uid, double secs)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			die("dropping privileges");
		unpriv_mode = 1;
		execs = 0;
		cover = NULL;
		reopen();
		unpriv_checks();
		fuzz_loop(secs, "unpriv");
		printf("xfnlfuzz: unprivileged execs=%llu result=%s\n", execs,
		       failure ? "FAIL" : "ok");
		fflush(stdout);
		_exit(failure ? 1 : 0);
	}
	/* the child has its own watchdog; ours would fire while we wait */
	alarm(0);
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Flushes rules and owner tables; both must then be empty. */
static void cleanup_and_count(unsigned int *ndom, unsigned long *entries, unsigned long *rules)
{
	static struct mb m;
	uint32_t doms[4096];
	unsigned int nd = 0, i;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		struct nlmsghdr *nh;
		ssize_t n;
		int done = 0;
		uint32_t s = seq++;

		if (pass == 0) {
			mb_init(&m, XFILTER_CMD_RULE_FLUSH, 0);
		} else if (pass == 1) {
			mb_init(&m, XFILTER_CMD_DOMAIN_GET, NLM_F_DUMP);
		} else {
			mb_init(&m, XFILTER_CMD_RULE_GET, NLM_F_DUMP);
			*rules = 0;
		}
		finish(&m);
		nh = (struct nlmsghdr *)m.b;
		nh->nlmsg_type = family;
		nh->nlmsg_seq = s;
		if (nl_send(nlfd, m.b, m.len))
			die("send");
		while (!done && (n = nl_recv(nlfd, 5000)) > 0) {
			struct nlmsghdr *r;

			for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, n); r = NLMSG_NEXT(r, n)) {
				if (r->nlmsg_seq != s)
					continue;
				if (r->nlmsg_type == NLMSG_ERROR || r->nlmsg_type == NLMSG_DONE) {
					done = 1;
					continue;
				}
				if (pass == 2) {
					(*rules)++;
				} else if (pass == 1 && nd < 4096) {
					/* XFILTER_A_DOMAIN { XFILTER_DOMAIN_A_DOMID first } */
					uint8_t *a = (uint8_t *)NLMSG_DATA(r) + GENL_HDRLEN;

					memcpy(&doms[nd++], a + 2 * NLA_HDRLEN, 4);
				}
			}
		}
		if (!done)
			fail("no answer while cleaning up");
	}
	*entries = 0;
	for (i = 0; i < nd; i++) {
		mb_init(&m, XFILTER_CMD_OWNER_DEL, 0);
		mb_u32(&m, XFILTER_A_DOMID, doms[i]);
		finish(&m);
		exec_one(m.b, m.len, 0);
		/* back to the defaults, so the tests after us find them */
		mb_init(&m, XFILTER_CMD_DOMAIN_SET, 0);
		mb_nest(&m, XFILTER_A_DOMAIN);
		mb_u32(&m, XFILTER_DOMAIN_A_DOMID, doms[i]);
		mb_u8(&m, XFILTER_DOMAIN_A_FAIL_MODE, XFILTER_FAIL_OPEN);
		mb_u8(&m, XFILTER_DOMAIN_A_ENABLED, 1);
		mb_u32(&m, XFILTER_DOMAIN_A_MAX_ENTRIES, 16384);
		mb_end(&m);
		finish(&m);
		exec_one(m.b, m.len, 0);
	}
	*ndom = nd;
	/* the entries left: the global counter */
	{
		struct nlmsghdr *nh, *r;
		ssize_t n;
		uint32_t s = seq++;

		mb_init(&m, XFILTER_CMD_STATS_GET, 0);
		finish(&m);
		nh = (struct nlmsghdr *)m.b;
		nh->nlmsg_type = family;
		nh->nlmsg_seq = s;
		if (nl_send(nlfd, m.b, m.len))
			die("send");
		while ((n = nl_recv(nlfd, 5000)) > 0) {
			for (r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, n); r = NLMSG_NEXT(r, n)) {
				uint8_t *a, *end;

				if (r->nlmsg_seq != s || r->nlmsg_type != family)
					continue;
				a = (uint8_t *)NLMSG_DATA(r) + GENL_HDRLEN;
				end = (uint8_t *)r + r->nlmsg_len;
				/* XFILTER_A_STATS { u64 counters } */
				for (a += NLA_HDRLEN; a + NLA_HDRLEN <= end;
				     a += NLA_ALIGN(((struct nlattr *)a)->nla_len)) {
					struct nlattr *c = (struct nlattr *)a;

					if (c->nla_len < NLA_HDRLEN)
						break;
					if ((c->nla_type & NLA_TYPE_MASK) == XFILTER_STATS_A_ENTRIES)
						memcpy(entries, a + NLA_HDRLEN, 8);
				}
			}
			if (n > 0)
				break;
		}
	}
}

static int run(int argc, char **argv)
{
	double secs = 60, t0;
	const char *corpus = NULL;
	long unpriv_uid = -1;
	int use_kcov = 0, i, rc = 0;
	unsigned int ndom = 0;
	unsigned long entries = 0, rules = 0;
	unsigned long long root_execs;

	rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			corpus = argv[++i];
		else if (!strcmp(argv[i], "--kcov"))
			use_kcov = 1;
		else if (!strcmp(argv[i], "--unpriv") && i + 1 < argc)
			unpriv_uid = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!rng_state)
		rng_state = 1;
	printf("xfnlfuzz: seed %llu\n", (unsigned long long)rng_state);
	load_corpus(corpus);
	nlfd = nl_open();
	resolve_family();
	if (use_kcov) {
		int kfd = open("/sys/kernel/debug/kcov", O_RDWR);

		if (kfd < 0)
			die("/sys/kernel/debug/kcov");
		if (ioctl(kfd, KCOV_INIT_TRACE, COVER_WORDS))
			die("KCOV_INIT_TRACE");
		cover = mmap(NULL, COVER_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			     MAP_SHARED, kfd, 0);
		if (cover == MAP_FAILED)
			die("mmap kcov");
		if (ioctl(kfd, KCOV_ENABLE, KCOV_TRACE_PC))
			die("KCOV_ENABLE");
		pcs = calloc(PC_SLOTS, sizeof(*pcs));
		if (!pcs)
			die("calloc");
	}
	printf("xfnlfuzz: family %u, %u groups, %u inputs, %.0f s%s\n", family, ngroups,
	       npool, secs, cover ? ", kcov" : "");
	fflush(stdout);
	t0 = now();
	fuzz_loop(unpriv_uid >= 0 ? secs * 0.8 : secs, "root");
	root_execs = execs;
	if (!failure && unpriv_uid >= 0) {
		fflush(stdout);
		if (run_unpriv(unpriv_uid, secs * 0.2))
			fail("unprivileged run");
	}
	if (!failure) {
		cleanup_and_count(&ndom, &entries, &rules);
		if (entries || rules) {
			fprintf(stderr, "xfnlfuzz: after the flush: %lu entries, %lu rules\n",
				entries, rules);
			fail("flush left entries or rules");
		}
	}
	{
		double dt = now() - t0;
		unsigned int e;

		printf("xfnlfuzz: errors:");
		for (e = 0; e < 140; e++)
			if (errnos[e])
				printf(" %s=%llu", e ? strerrorname_np(e) : "ok", errnos[e]);
		printf("\n");
		printf("xfnlfuzz: execs=%llu secs=%.0f execs_per_s=%.0f pool=%u pcs=%lu "
		       "abandoned_dumps=%llu batches=%llu domains=%u result=%s\n",
		       root_execs, dt, root_execs / dt, npool, npcs, abandoned, batches, ndom,
		       failure ? "FAIL" : "ok");
	}
	if (failure)
		rc = 1;
	return rc;
}

/* The mutator alone, for the sanitizers: every output stays in bounds. */
static int mutate_only(int argc, char **argv)
{
	unsigned long n = strtoul(argv[0], NULL, 10), i;
	size_t len;
	int m;

	rng_state = 42;
	load_corpus(argc >= 3 && !strcmp(argv[1], "-c") ? argv[2] : NULL);
	for (i = 0; i < n; i++) {
		const struct input *in = &pool[rnd(npool)];

		len = in->len;
		memcpy(cur, in->b, len);
		for (m = 1 + rnd(8); m > 0; m--)
			len = mutate_once(cur, len);
		if (len > MAXMSG) {
			fprintf(stderr, "xfnlfuzz: mutation %lu grew to %zu bytes\n", i, len);
			return 1;
		}
		if (!(i % 64))
			pool_add(cur, len);
	}
	printf("xfnlfuzz: %lu mutation rounds, pool %u\n", n, npool);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (argc >= 3 && !strcmp(argv[1], "seeds"))
		return write_seeds(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "mutate"))
		return mutate_only(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	usage();
}
