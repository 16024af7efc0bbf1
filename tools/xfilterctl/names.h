/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words xfilterctl reads and prints for UAPI numbers (verdicts,
 * directions, protocols, states, counters, features), in one place so that
 * the parser, the printers and the man page agree.
 */
#ifndef XFCTL_NAMES_H
#define XFCTL_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NULL when the number has no name (a newer module): callers print it. */
const char *xf_verdict_name(unsigned int v);
const char *xf_dir_name(unsigned int d);
const char *xf_fail_name(unsigned int f);
const char *xf_reason_name(unsigned int r);
const char *xf_family_name(unsigned int family);
const char *xf_feature_name(unsigned int bit);
/* TCP state as ss(8) spells it; UDP "UNCONN"/"ESTAB". Never NULL. */
const char *xf_state_name(unsigned int proto, unsigned int state);
/* "tcp", "udp", ... or the decimal number, in buf (8 bytes at least). */
const char *xf_proto_name(unsigned int proto, char *buf, size_t len);

/* -1 when s is not one of the words. */
int xf_verdict_parse(const char *s);
int xf_dir_parse(const char *s);
int xf_fail_parse(const char *s);
int xf_family_parse(const char *s);
/* A name or a number 1-255; -1 otherwise. */
int xf_proto_parse(const char *s);

#endif /* XFCTL_NAMES_H */
