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
		"Usage: xfilterd scan (--core FILE | --domain DOMID) [--json] [--pretty] [-q]\n"
		"       xfilterd help | version\n"
		"\n"
		"scan      read one guest's kernel memory and print its tasks and its\n"
		"          TCP/UDP sockets with their owners\n"
		"  --core FILE     an ELF core from QEMU's dump-guest-memory\n"
		"  --domain DOMID  a running Xen domain (in dom0, as root)\n"
		"  --json          one JSON object instead of a table\n"
		"  --pretty        indent the JSON\n"
		"  -q, --quiet     no progress on stderr\n");
}

static int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "core", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *core = NULL;
	long domid = -1;
	bool json = false, pretty = false, quiet = false;
	struct xf_mem *mem = NULL;
	struct xf_table t = { 0 };
	struct xf_guest g;
	char err[256], *end;
	double t0, t1, t2;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:jpqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			core = optarg;
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
	if (optind != argc || (!core) == (domid < 0)) {
		usage(stderr);
		return 2;
	}
	t0 = now_ms();
	if (core)
		ret = xf_mem_core_open(core, &mem, err, sizeof(err));
	else
		ret = xf_mem_xen_open((unsigned int)domid, &mem, err, sizeof(err));
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
			"(%" PRIu64 " reads, %u restarts, skipped: %u tasks, %u exiting, %u fd "
			"tables, %u files, %u released sockets, %u bad pointers)\n",
			g.prof.release[0] ? g.prof.release : "?", t.nr_tasks, t.nr_socks,
			t2 - t1, t.st.reads, t.st.restarts, t.st.skipped_tasks, t.st.exiting,
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
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
