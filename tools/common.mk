# SPDX-License-Identifier: GPL-2.0
# Flags shared by every userspace part; included by each tools/*/Makefile.
TOOLS_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TOP_DIR := $(abspath $(TOOLS_DIR)/..)
VERSION ?= $(shell cat $(TOP_DIR)/VERSION)
CC ?= cc
CSTD := -std=gnu11
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -I$(TOP_DIR)/include/uapi -I$(TOOLS_DIR)/common -D_GNU_SOURCE \
	-DXFILTER_VERSION='"$(VERSION)"'
CFLAGS ?= -O2 -g
CFLAGS += $(CSTD) $(WARN)
# Sanitized builds for the unit tests (object files go to a separate dir).
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
PREFIX ?= /usr/local
DESTDIR ?=
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0)
# Header dependencies from the compiler (the UAPI header included): objects
# are rebuilt when a header they use changes.
CPPFLAGS += -MMD -MP
.DEFAULT_GOAL := all
-include $(wildcard build/*.d build-san/*.d build-fuzz/*.d tests/build/*.d)
