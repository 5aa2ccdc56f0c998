# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 the ims_wic authors
#
# ims_wic - top-level build. `make lab` runs the product, `make test` runs
# every test; both install what they need on a Debian bookworm machine.

SHELL := /bin/bash
BUILD := $(CURDIR)/build
MOD_DIR := $(CURDIR)/modules/ims_wic
KAMAILIO_MODDIR ?= /usr/lib/x86_64-linux-gnu/kamailio/modules
DESTDIR ?=

PURE_SRC := $(sort $(wildcard $(MOD_DIR)/wic_*.c))
PURE_HDR := $(sort $(wildcard $(MOD_DIR)/wic_*.h))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))

WARN := -Wall -Wextra -Werror
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-I$(MOD_DIR) -Itests/unit
UNIT_LIBS := -lcmocka -ljwt -ljansson -lcrypto -lpcre2-8

.PHONY: all deps module unit tools test integration install lab lab-start \
	lab-stop docker-lab docker-lab-stop bench fuzz format clean

all: module tools

deps:
	@scripts/setup-deps.sh

module: deps
	@scripts/build-module.sh

$(BUILD)/unit/%: tests/unit/%.c $(PURE_SRC) $(PURE_HDR) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $(notdir $@)"
	@$(CC) $(UNIT_CFLAGS) -o $@ $< $(PURE_SRC) $(UNIT_LIBS)

unit: $(UNIT_BIN)

tools: deps $(BUILD)/wic-token $(BUILD)/wic-load

$(BUILD)/wic-token: tools/wic-token.c $(PURE_SRC) $(PURE_HDR)
	@mkdir -p $(dir $@)
	@echo "  CC      $(notdir $@)"
	@$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -I$(MOD_DIR) -o $@ $< \
		$(PURE_SRC) -ljwt -ljansson -lcrypto -lpcre2-8

# the load generator: bench/run.sh, and tests that hold many bindings
$(BUILD)/wic-load: tools/wic-load.c tools/wic_jws_sign.h
	@mkdir -p $(dir $@)
	@echo "  CC      $(notdir $@)"
	@$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -I$(MOD_DIR) -o $@ $< \
		-lssl -lcrypto

test: deps
	@$(MAKE) --no-print-directory module unit tools
	@tests/run-all.sh

install: module
	install -d $(DESTDIR)$(KAMAILIO_MODDIR)
	install -m 0644 $(BUILD)/ims_wic.so $(DESTDIR)$(KAMAILIO_MODDIR)/ims_wic.so

lab: deps
	@$(MAKE) --no-print-directory module tools
	@scripts/lab.sh run

lab-start: deps
	@$(MAKE) --no-print-directory module tools
	@scripts/lab.sh start

lab-stop:
	@scripts/lab.sh stop

# The same lab in containers (docker/README.md): starts a Docker engine when
# none runs, builds the images (debian:bookworm pulled, or made with
# debootstrap when no registry answers), brings the stack up healthy and
# prints where everything runs. docker-lab-stop tears it down (and stops the
# engine when docker-lab started it).
docker-lab:
	@scripts/docker-lab.sh start

docker-lab-stop:
	@scripts/docker-lab.sh stop

FUZZ_SECONDS ?= 60

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# Benchmarks (bench/run.sh, docs/performance.md): builds the load generator
# and the in-process verify bench, then runs everything (about 30 min).
bench: module $(BUILD)/wic-load
	@mkdir -p $(BUILD)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -I$(MOD_DIR) \
		-o $(BUILD)/wic-verify-bench tools/wic-verify-bench.c $(PURE_SRC) \
		-ljwt -ljansson -lcrypto -lpcre2-8
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -I$(MOD_DIR) \
		-o $(BUILD)/wic-scale tools/wic-scale.c $(PURE_SRC) \
		-ljwt -ljansson -lcrypto -lpcre2-8
	@bench/run.sh

# Kamailio's own .clang-format, from the configured source tree
MODULE_C := $(wildcard $(MOD_DIR)/*.c $(MOD_DIR)/*.h)
format: deps
	@clang-format -i --style=file:$$(ls -d $(BUILD)/kamailio-*/ | head -1).clang-format \
		$(MODULE_C)

clean:
	rm -rf $(BUILD)/unit $(BUILD)/ims_wic.so $(BUILD)/wic-token
