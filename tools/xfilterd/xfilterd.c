// SPDX-License-Identifier: GPL-2.0
/*
 * xfilterd: learns which process and user own each socket of a Linux guest
 * by reading the guest kernel's memory, with nothing installed in the guest.
 * `scan` is the one-shot mode (an ELF core or a running Xen domain).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "conf.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "lookup.h"
#include "scan.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xfilterd scan (--core FILE | --domain DOMID | --raw FILE --regs R) [--json]\n"
		"                     [--pretty] [-q]\n"
		"       xfilterd lookup (--core FILE | --domain DOMID) FLOW...\n"
		"       xfilterd run [--config FILE] [--core FILE:DOMID]... [--period MS] [--once]\n"
		"                    [--dry-run] [--log-level err|warn|info|debug] [--syslog]\n"
		"                    [--fail-mode open|closed] [--max-entries N]\n"
		"                    [--pause-during-walk] [--full-push]\n"
		"       xfilterd help | version\n"
		"\n"
		"scan      read one guest's kernel memory and print its tasks and its\n"
		"          TCP/UDP sockets with their owners\n"
		"  --core FILE     an ELF core from QEMU's dump-guest-memory\n"
		"  --domain DOMID  a running Xen domain (in dom0, as root)\n"
		"  --raw FILE --regs cr3=X,cr4=X,gs=X,kgs=X,cpl=N\n"
		"                  a guest-RAM file of a running guest (e.g. QEMU's\n"
		"                  memory-backend-file) with its vCPU's registers\n"
		"  --json          one JSON object instead of a table\n"
		"  --pretty        indent the JSON\n"
		"  -q, --quiet     no progress on stderr\n"
		"lookup    find the owner of each flow through the guest's own socket\n"
		"          hash tables (JSON array, null where the guest has no socket);\n"
		"          FLOW is PROTO,LOCAL:PORT,REMOTE:PORT with LOCAL the guest's\n"
		"          side, e.g. tcp,10.0.0.5:22,192.0.2.7:50123 or\n"
		"          udp,[2001:db8::5]:53,[2001:db8::9]:40000\n"
		"run       the daemon: serves every running Xen domain (or the given\n"
		"          cores), pushes their owner tables to the xfilter module every\n"
		"          --period ms (default 5000) and answers its miss events;\n"
		"          --once: one refresh per domain, then exit; --dry-run: print\n"
		"          the batches as JSON lines instead of sending them\n"
		"  --config FILE   read settings from FILE (xfilterd.conf(5)); the\n"
		"                  options given here override the file's\n"
		"  --fail-mode M   set each served domain's fail mode in the module\n"
		"  --max-entries N set each served domain's owner table limit\n"
		"  --pause-during-walk\n"
		"                  stop the guest's vCPUs during every full walk, as\n"
		"                  the original design did (to measure what that costs;\n"
		"                  the default walks live)\n"
		"  --full-push     send every walk whole as a new generation and sweep\n"
		"                  the module's table, as earlier versions did (to\n"
		"                  measure what that costs; the default sends what\n"
		"                  changed since the last walk)\n");
}

static int open_guest(const char *core, long domid, struct xf_mem **mem, struct xf_guest *g)
{
	char err[256];

	if (core ? xf_mem_core_open(core, mem, err, sizeof(err)) :
		   xf_mem_xen_open((unsigned int)domid, mem, err, sizeof(err))) {
		fprintf(stderr, "xfilterd: %s\n", err);
		return -1;
	}
	if (xf_guest_attach(g, *mem, err, sizeof(err))) {
		fprintf(stderr, "xfilterd: %s\n", err);
		xf_mem_close(*mem);
		return -1;
	}
	return 0;
}

/* "[v6]:port" or "v4:port" */
static int parse_endpoint(char *s, uint8_t *family, uint8_t *addr, uint16_t *port)
{
	char *colon, *end;
	unsigned long p;

	if (*s == '[') {
		char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		*rb = 0;
		colon = rb + 1;
		if (inet_pton(AF_INET6, s + 1, addr) != 1)
			return -1;
		*family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		*colon = 0;
		if (inet_pton(AF_INET, s, addr) != 1)
			return -1;
		*family = AF_INET;
	}
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535 || end == colon + 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int parse_flow(const char *arg, struct xf_flow *f)
{
	char buf[160], *proto, *l, *r, *save;
	uint8_t fam2;

	memset(f, 0, sizeof(*f));
	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	proto = strtok_r(buf, ",", &save);
	l = strtok_r(NULL, ",", &save);
	r = strtok_r(NULL, ",", &save);
	if (!proto || !l || !r || strtok_r(NULL, ",", &save))
		return -1;
	if (!strcmp(proto, "tcp"))
		f->proto = 6;
	else if (!strcmp(proto, "udp"))
		f->proto = 17;
	else
		return -1;
	if (parse_endpoint(l, &f->family, f->laddr, &f->lport) ||
	    parse_endpoint(r, &fam2, f->raddr, &f->rport) || fam2 != f->family)
		return -1;
	return 0;
}

static int cmd_lookup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "core", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *core = NULL;
	long domid = -1;
	struct xf_table t = { 0 };
	struct xf_lookup l;
	struct xf_mem *mem;
	struct xf_guest g;
	struct xf_json j;
	char *end;
	int c, i, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			core = optarg;
			break;
		case 'd':
			errno = 0;
			domid = strtol(optarg, &end, 10);
			if (errno || *end || domid < 0 || domid > 0x7fef)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || (!core) == (domid < 0)) {
		usage(stderr);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		struct xf_flow f;

		if (parse_flow(argv[i], &f)) {
			fprintf(stderr, "xfilterd: bad flow '%s'\n", argv[i]);
			return 2;
		}
	}
	if (open_guest(core, domid, &mem, &g))
		return 1;
	/* the owners come from one full walk; the lookups themselves are targeted */
	if (xf_guest_walk(&g, &t) == -ENOMEM ||
	    xf_lookup_init(&l, &g.walker, g.prof.btf) || xf_lookup_learn(&l, &t) ||
	    !l.off.ok) {
		fprintf(stderr, "xfilterd: the guest's socket hash tables are not usable\n");
		ret = 1;
		goto out;
	}
	/* one-shot: straight through the guest's tables, as for a new flow */
	l.use_index = false;
	xf_json_init(&j, stdout, false);
	xf_json_arr_open(&j);
	for (i = optind; i < argc; i++) {
		struct xf_sock_info s;
		struct xf_flow f;
		char a[INET6_ADDRSTRLEN];
		int r;

		parse_flow(argv[i], &f);
		r = xf_lookup_flow(&l, &f, &s);
		if (r) {
			if (r != -ENOENT) {
				fprintf(stderr, "xfilterd: %s: %s\n", argv[i], strerror(-r));
				ret = 1;
			}
			xf_json_null(&j);
			continue;
		}
		xf_json_obj_open(&j);
		xf_json_kstr(&j, "flow", argv[i]);
		xf_json_ki64(&j, "pid", s.pid);
		xf_json_ki64(&j, "tgid", s.tgid);
		xf_json_ku64(&j, "uid", s.uid);
		xf_json_key(&j, "comm");
		xf_json_strn(&j, s.comm, sizeof(s.comm));
		xf_json_ki64(&j, "fd", s.fd);
		xf_json_ku64(&j, "sock_uid", s.sk_uid);
		xf_json_ku64(&j, "inode", s.ino);
		xf_addr_str(s.family, s.laddr, a, sizeof(a));
		xf_json_kstr(&j, "local", a);
		xf_json_ku64(&j, "lport", s.lport);
		xf_addr_str(s.family, s.raddr, a, sizeof(a));
		xf_json_kstr(&j, "remote", a);
		xf_json_ku64(&j, "rport", s.rport);
		xf_json_kstr(&j, "state", xf_tcp_state_name(s.state));
		xf_json_obj_close(&j);
	}
	xf_json_arr_close(&j);
	xf_json_end(&j);
	xf_lookup_free(&l);
out:
	xf_table_free(&t);
	xf_guest_detach(&g);
	xf_mem_close(mem);
	return ret;
}

/* "cr3=0x..,cr4=0x..,gs=0x..,kgs=0x..,cpl=N" */
static int parse_regs(const char *spec, struct xf_vcpu *v)
{
	char buf[256], *tok, *save;

	memset(v, 0, sizeof(*v));
	if (strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long long x;

		if (!eq)
			return -1;
		*eq = 0;
		errno = 0;
		x = strtoull(eq + 1, &end, 0);
		if (errno || *end || end == eq + 1)
			return -1;
		if (!strcmp(tok, "cr3"))
			v->cr3 = x;
		else if (!strcmp(tok, "cr4"))
			v->cr4 = x;
		else if (!strcmp(tok, "gs"))
			v->gs_base = x;
		else if (!strcmp(tok, "kgs"))
			v->kernel_gs_base = x;
		else if (!strcmp(tok, "cpl") && x <= 3)
			v->cpl = (int)x;
		else
			return -1;
	}
	return v->cr3 ? 0 : -1;
}

static int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "core", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "raw", required_argument, NULL, 'r' },
		{ "regs", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *core = NULL, *raw = NULL, *regs = NULL;
	long domid = -1;
	bool json = false, pretty = false, quiet = false;
	struct xf_mem *mem = NULL;
	struct xf_table t = { 0 };
	struct xf_guest g;
	char err[256], *end;
	double t0, t1, t2;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:r:R:jpqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			core = optarg;
			break;
		case 'r':
			raw = optarg;
			break;
		case 'R':
			regs = optarg;
			break;
		case 'd':
			errno = 0;
			domid = strtol(optarg, &end, 10);
			if (errno || *end || domid < 0 || domid > 0x7fef) {
				fprintf(stderr, "xfilterd: bad domain id '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (!!core + !!raw + (domid >= 0)) != 1 || (!raw) != (!regs)) {
		usage(stderr);
		return 2;
	}
	t0 = now_ms();
	if (core) {
		ret = xf_mem_core_open(core, &mem, err, sizeof(err));
	} else if (raw) {
		struct xf_vcpu v;

		if (parse_regs(regs, &v)) {
			fprintf(stderr, "xfilterd: bad --regs '%s'\n", regs);
			return 2;
		}
		ret = xf_mem_raw_open(raw, &v, &mem, err, sizeof(err));
	} else {
		ret = xf_mem_xen_open((unsigned int)domid, &mem, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "xfilterd: %s\n", err);
		return 1;
	}
	ret = xf_guest_attach(&g, mem, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xfilterd: %s\n", err);
		xf_mem_close(mem);
		return 1;
	}
	t1 = now_ms();
	if (!quiet)
		fprintf(stderr, "xfilterd: %s: vCPU %u (cpl %d, CR3 %#" PRIx64 "), %d-level "
			"paging, _text %#" PRIx64 " (KASLR offset %#" PRIx64 "), BTF %u bytes "
			"at %#" PRIx64 ", profile in %.1f ms\n", mem->ops->name, g.vcpu_idx,
			g.vcpu.cpl, g.vcpu.cr3, g.prof.paging_levels, g.prof.text,
			(uint64_t)g.prof.kaslr_offset, g.prof.btf_size, g.prof.btf_va, t1 - t0);
	ret = xf_guest_walk(&g, &t);
	t2 = now_ms();
	if (!quiet)
		fprintf(stderr, "xfilterd: kernel %s: %zu tasks, %zu inet sockets in %.2f ms "
			"(%" PRIu64 " reads, %u restarts, %u resumes, skipped: %u tasks, %u exiting, %u fd "
			"tables, %u files, %u released sockets, %u bad pointers)\n",
			g.prof.release[0] ? g.prof.release : "?", t.nr_tasks, t.nr_socks,
			t2 - t1, t.st.reads, t.st.restarts, t.st.resumes, t.st.skipped_tasks, t.st.exiting,
			t.st.refused_fdt, t.st.skipped_files, t.st.null_sk, t.st.bad_ptr);
	if (ret && ret != -EAGAIN) {
		fprintf(stderr, "xfilterd: walk failed: %s\n", strerror(-ret));
	} else {
		if (ret)
			fprintf(stderr, "xfilterd: warning: walk incomplete (a bound was hit or "
				"the task list stayed inconsistent)\n");
		xf_table_sort(&t);
		if (json)
			xf_print_json(stdout, &g, &t, pretty);
		else
			xf_print_table(stdout, &g, &t);
	}
	xf_table_free(&t);
	xf_guest_detach(&g);
	xf_mem_close(mem);
	if (fflush(stdout))
		return 1;
	return ret ? 1 : 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "core", required_argument, NULL, 'c' },
		{ "period", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'C' },
		{ "fail-mode", required_argument, NULL, 'f' },
		{ "max-entries", required_argument, NULL, 'm' },
		{ "pause-during-walk", no_argument, NULL, 'P' },
		{ "full-push", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct xfd_conf conf;
	struct xfd_opts o = { 0 };
	/* command-line values, applied over the file's */
	unsigned int period_ms = 0;
	enum xfd_level level = XFD_INFO;
	bool has_level = false, use_syslog = false;
	uint8_t fail_mode = 0;
	uint32_t max_entries = 0;
	const char *config = NULL;
	char *end, *colon, err[512];
	unsigned long v;
	unsigned int i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:onl:sC:f:m:PFh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			colon = strrchr(optarg, ':');
			if (!colon || o.nr_cores >= XFD_MAX_CORES)
				goto bad;
			*colon = 0;
			v = strtoul(colon + 1, &end, 10);
			if (*end || end == colon + 1 || v == 0 || v > 0x7fef)
				goto bad;
			o.core[o.nr_cores] = optarg;
			o.core_domid[o.nr_cores++] = (uint32_t)v;
			break;
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (*end || v < XFD_PERIOD_MIN_MS || v > XFD_PERIOD_MAX_MS)
				goto bad;
			period_ms = (unsigned int)v;
			break;
		case 'o':
			o.once = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'l':
			if (xfd_log_level_parse(optarg, &level))
				goto bad;
			has_level = true;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'C':
			config = optarg;
			break;
		case 'f':
			if (xfd_fail_mode_parse(optarg, &fail_mode))
				goto bad;
			break;
		case 'm':
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > XFD_MAX_ENTRIES_MAX)
				goto bad;
			max_entries = (uint32_t)v;
			break;
		case 'P':
			o.pause_walk = true;
			break;
		case 'F':
			o.push_full = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	xfd_conf_defaults(&conf);
	if (config && xfd_conf_load(&conf, config, err, sizeof(err))) {
		fprintf(stderr, "xfilterd: %s\n", err);
		return 2;
	}
	if (period_ms)
		conf.period_ms = period_ms;
	if (has_level)
		conf.log_level = level;
	if (use_syslog)
		conf.use_syslog = true;
	/* a command-line setting is every domain's, over the file's per-domain ones too */
	for (i = 0; i < conf.nr_doms; i++) {
		if (fail_mode)
			conf.dom[i].fail_mode = 0;
		if (max_entries)
			conf.dom[i].max_entries = 0;
	}
	if (fail_mode)
		conf.all.fail_mode = fail_mode;
	if (max_entries)
		conf.all.max_entries = max_entries;
	o.period_ms = conf.period_ms;
	o.conf = &conf;
	xfd_log_init(conf.log_level, conf.use_syslog);
	if (config)
		xfd_log(XFD_INFO, "configuration from %s", config);
	return xfd_run(&o);
bad:
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "lookup"))
		return cmd_lookup(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("xfilterd %s\n", XFILTER_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "xfilterd: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
