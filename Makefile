# wenda -- build, run and test.
#
#   make            build build/wenda and build/libwenda.a
#   make run        install missing packages, build, serve on 127.0.0.1:8080
#                   (PORT=, BIND= and DB= say otherwise)
#   make test       install missing packages, build, run every test
#   make lint       clang-tidy, cppcheck and the banned-function check
#   make valgrind   the server under valgrind behind a few end-to-end suites
#   make man-lint   mandoc and groff check the man page, deploy/wenda.1
#   make openapi-lint  Redocly checks service/openapi.json (npx)
#   make asan       the whole test suite under ASan+UBSan
#   make fuzz       every libFuzzer harness for SECONDS (default 10) each
#   make eval       search quality against the public query set
#   make bench-cluster  a three-node cluster's writes and reads against one
#                   plain node's
#   make browser-test  the study page at / in a headless Chromium
#
# Dependencies come from Debian's packages through pkg-config; `make deps`
# installs the missing ones (apt-get, with sudo when not root).

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local

# The one place the version is written: `wenda --version` (compiled in as
# WENDA_VERSION) and libwenda.pc say it; the man page's header is held to
# it by a test.
VERSION := 0.1.0

# libcurl is the client of "wenda cluster" (and of the tests, which link
# what the binary links).
PKGS      := libmicrohttpd gnutls sqlite3 jansson libsodium yaml-0.1 \
             libutf8proc opencc icu-i18n icu-uc zlib libcmark raft libuv \
             libcurl
TEST_PKGS := criterion

# Debian packages, by group, from deploy/packages.txt (which .ci/run and
# the Dockerfile read too).  npx for make openapi-lint is the node group,
# unless one is on the PATH (NodeSource's nodejs carries its own npm and
# conflicts with Debian's).
PACKAGES = deploy/packages.txt
packages = $(shell sed -n 's/^$(1):[[:space:]]*//p' $(PACKAGES))
APT_BUILD = $(call packages,build)
APT_TEST  = $(call packages,test)
APT_NODE  = $(if $(shell command -v npx 2>/dev/null),,$(call packages,node))
APT_LINT  = $(call packages,lint) $(APT_NODE)
APT_BENCH = $(call packages,bench)
APT_FUZZ  = $(call packages,fuzz)
APT_BROWSER  = $(call packages,browser) $(call packages,node)
APT_VALGRIND = $(call packages,valgrind)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
        -Wformat=2
ifneq ($(WERROR),)
WARN += -Werror
endif

OPT      ?= -O2 -g
SAN      ?=
CPPFLAGS += -Iinclude -Iservice -I$(BUILD)/gen -D_GNU_SOURCE -MMD -MP \
            -DWENDA_VERSION='"$(VERSION)"'
CFLAGS   += -std=c17 $(OPT) $(SAN) $(WARN) -fno-strict-aliasing
DEP_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEP_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lpthread -lm
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# The core is the library an app links without HTTP (libwenda.a); a module
# may be split into files named after it (store.c, store_read.c, ...).
CORE_MODS := err utf8 buf content store tokenize lexicon search pool auth \
             render study
CORE_SRC := $(sort $(foreach m,$(CORE_MODS),$(wildcard service/$(m).c \
                                                   service/$(m)_*.c)))
APP_SRC  := $(filter-out $(CORE_SRC),$(sort $(wildcard service/*.c)))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/web.o
APP_OBJ  += $(BUILD)/gen/openapi.o

UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
E2E_SRC  := $(sort $(wildcard tests/e2e/*.c))
TEST_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(E2E_SRC:%.c=$(BUILD)/%.o)

.PHONY: all run test lint asan tsan deps deps-lint deps-bench clean eval bench
all: $(BUILD)/wenda $(BUILD)/libwenda.a

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEP_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEP_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

# $(call embed,TYPE,NAME,FILE): shell commands that print a C array
# "TYPE NAME[]" of FILE's bytes and a NUL after them.  Migrations, the
# OpenAPI document and the study page are compiled in this one way.
embed = echo "$(1) $(2)[] = {"; \
        od -An -v -tx1 $(3) | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
        echo '0};'

# Migrations are compiled into the binary, so that it never depends on the
# working directory to find its schema.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from migrations/ by the Makefile */'; \
	   echo '#include "migrations.h"'; \
	   for f in $(MIGRATIONS); do \
	     n=$$(basename $$f .sql); \
	     $(call embed,static const char,m_$${n%%_*},$$f); \
	   done; \
	   echo 'const struct wenda_migration wenda_migrations[] = {'; \
	   for f in $(MIGRATIONS); do \
	     n=$$(basename $$f .sql); \
	     num=$$(echo $${n%%_*} | sed 's/^0*//'); \
	     echo "  {$$num, \"$$n\", m_$${n%%_*}},"; \
	   done; \
	   echo '};'; \
	   echo 'const int wenda_migration_count = $(words $(MIGRATIONS));'; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# So is the OpenAPI document that GET /openapi.json serves: the file that
# make openapi-lint checks, byte for byte.
$(BUILD)/gen/openapi.c: service/openapi.json Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from service/openapi.json by the Makefile */'; \
	   echo '#include "openapi.h"'; \
	   $(call embed,const unsigned char,wenda_openapi_json,$<); \
	   echo 'const size_t wenda_openapi_json_len = sizeof(wenda_openapi_json) - 1;'; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/openapi.o: $(BUILD)/gen/openapi.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The study page served at GET / is compiled in the same way.
$(BUILD)/gen/web.c: service/web/index.html Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from service/web/index.html by the Makefile */'; \
	   echo '#include "web.h"'; \
	   $(call embed,const unsigned char,wenda_web_index,$<); \
	   echo 'const size_t wenda_web_index_len = sizeof(wenda_web_index) - 1;'; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/web.o: $(BUILD)/gen/web.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# What compiles the version in is rebuilt when it changes.
$(BUILD)/service/main.o $(BUILD)/tests/e2e/test_cli.o: Makefile

$(BUILD)/libwenda.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/wenda: $(APP_OBJ) $(BUILD)/libwenda.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# The tests link the router too (every app object but main and the
# libmicrohttpd glue), so that a unit test can hold the route table and
# the OpenAPI document to each other; and the table of serve's options,
# with the glue that checks a TLS priority string, to hold it to the man
# page and the docs.  The scale test runs bench-gen, which it finds beside
# the test binary.
ROUTER_OBJ = $(filter-out $(BUILD)/service/main.o $(BUILD)/service/http%.o \
                $(BUILD)/service/options.o,$(APP_OBJ))
$(BUILD)/tests/wenda-tests: $(TEST_OBJ) \
                            $(filter-out $(BUILD)/service/main.o,$(APP_OBJ)) \
                            $(BUILD)/libwenda.a | $(BUILD)/tests/bench-gen
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(TEST_LIBS)

$(BUILD)/tests/wenda-eval: $(BUILD)/tests/eval/eval.o $(BUILD)/libwenda.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# ---- the README's two commands --------------------------------------------

# make run [PORT=8080] [BIND=127.0.0.1] [DB=data/wenda.db]
# The server's own WENDA_PORT, WENDA_BIND and WENDA_DB count as well.
PORT ?= $(or $(WENDA_PORT),8080)
BIND ?= $(or $(WENDA_BIND),127.0.0.1)
DB   ?= $(or $(WENDA_DB),data/wenda.db)
run: deps all
	@mkdir -p "$$(dirname '$(DB)')"
	exec ./$(BUILD)/wenda serve --bind '$(BIND)' --port '$(PORT)' \
	    --db '$(DB)' --content content

# Search quality first (it fails below EVAL_MIN), then every test; the
# Criterion summary is the last thing printed.
EVAL_MIN ?= 0.9
# Each file at EVAL_MIN overall, and each kind of query in it (the second
# sets are how students type: questions, misspellings, input-method slips,
# paraphrases) at EVAL_MIN_CLASS.
EVAL_MIN_CLASS ?= 0.9
EVAL_SETS := tests/data/queries.public.tsv tests/data/queries.extra.tsv \
             tests/data/queries2.public.tsv tests/data/queries2.extra.tsv
EVAL_RUN = for set in $(EVAL_SETS); do echo "== search quality: $$set"; \
	  ./$(BUILD)/tests/wenda-eval --min $(EVAL_MIN) \
	    --min-class $(EVAL_MIN_CLASS) content $$set || exit 1; \
	done
test: deps all $(BUILD)/tests/wenda-tests $(BUILD)/tests/wenda-eval
	@$(EVAL_RUN)
	sh tests/readme/check.sh $(BUILD)/wenda
	$(MAKE) --no-print-directory pkgconfig-check
	$(TEST_ENV) WENDA_BIN=$(BUILD)/wenda ./$(BUILD)/tests/wenda-tests --jobs 2

eval: deps all $(BUILD)/tests/wenda-eval
	@$(EVAL_RUN)

# ---- install and pkg-config -------------------------------------------------

# make install [PREFIX=/usr/local] [DESTDIR=]: the server, the core library
# with its headers and libwenda.pc, and the content it imports into a new
# database.  The migrations are compiled in, so they are not installed.
DESTDIR ?=
# The core's own dependencies; libmicrohttpd, gnutls and zlib are the
# server's, libcurl the cluster command's.
PC_REQUIRES := $(filter-out libmicrohttpd gnutls zlib libcurl,$(PKGS))

.PHONY: install pkgconfig-check FORCE
FORCE:

# Where make install puts the content a new database is made from; main.c
# looks there when there is no ./content.  Rewritten only when it changes.
$(BUILD)/gen/paths.h: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '/* generated by the Makefile from PREFIX */' \
	  '#define WENDA_DATADIR "$(PREFIX)/share/wenda"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/service/main.o: $(BUILD)/gen/paths.h

# Rewritten only when it changes, e.g. with PREFIX.  The library is an
# archive, so what it needs is in Requires and Libs, not their .private.
$(BUILD)/libwenda.pc: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' \
	  'prefix=$(PREFIX)' \
	  'exec_prefix=$${prefix}' \
	  'libdir=$${exec_prefix}/lib' \
	  'includedir=$${prefix}/include' \
	  '' \
	  'Name: libwenda' \
	  'Description: wenda core: content, SQLite store and full-text search' \
	  'Version: $(VERSION)' \
	  'Requires: $(PC_REQUIRES)' \
	  'Cflags: -I$${includedir}' \
	  'Libs: -L$${libdir} -lwenda -lstemmer -lpthread -lm' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

install: all $(BUILD)/libwenda.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/wenda $(DESTDIR)$(PREFIX)/share/wenda \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/wenda $(DESTDIR)$(PREFIX)/bin/wenda
	install -m 0644 $(BUILD)/libwenda.a $(DESTDIR)$(PREFIX)/lib/libwenda.a
	install -m 0644 include/wenda/*.h $(DESTDIR)$(PREFIX)/include/wenda/
	install -m 0644 $(BUILD)/libwenda.pc \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/libwenda.pc
	install -m 0644 deploy/wenda.1 $(DESTDIR)$(PREFIX)/share/man/man1/wenda.1
	install -d $(DESTDIR)$(PREFIX)/share/doc/wenda
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/wenda/
	rm -rf $(DESTDIR)$(PREFIX)/share/wenda/content
	cp -R content $(DESTDIR)$(PREFIX)/share/wenda/content

# Installs into $(BUILD)/stage and builds tests/pkgconfig/search_example.c
# with nothing but what pkg-config says about that copy, then searches a
# database that the installed binary made from its installed content,
# started where there is no ./content.
PC_STAGE = $(CURDIR)/$(BUILD)/stage
PC_FLAGS = $$(PKG_CONFIG_PATH=$(PC_STAGE)/lib/pkgconfig \
             pkg-config --cflags --libs libwenda)
pkgconfig-check: all
	@rm -rf $(PC_STAGE)
	@$(MAKE) --no-print-directory install PREFIX=$(PC_STAGE) DESTDIR= \
	    >/dev/null
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $(BUILD)/tests/search-example \
	    tests/pkgconfig/search_example.c $(PC_FLAGS)
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	  sh tests/pkgconfig/serve_once.sh $(PC_STAGE)/bin/wenda "$$dir" && \
	  got=$$($(TEST_ENV) ./$(BUILD)/tests/search-example "$$dir/wenda.db" \
	    '死锁') && \
	  if [ "$$got" = deadlock ]; then \
	    echo "== pkg-config: an installed libwenda finds '死锁': $$got"; \
	  else \
	    echo "pkgconfig-check: '死锁' found '$$got', not 'deadlock'" >&2; \
	    exit 1; \
	  fi
	@pc=$$(PKG_CONFIG_PATH=$(PC_STAGE)/lib/pkgconfig \
	       pkg-config --modversion libwenda) && \
	  bin=$$($(TEST_ENV) $(PC_STAGE)/bin/wenda --version) && \
	  if [ "wenda $$pc" = "$$bin" ]; then \
	    echo "== pkg-config: libwenda $$pc, and $$bin"; \
	  else \
	    echo "pkgconfig-check: libwenda.pc says $$pc, --version '$$bin'" >&2; \
	    exit 1; \
	  fi

# ---- the study page in a real browser ----------------------------------------

# Chromium (headless, through playwright-core) walks the page at GET / as a
# student would, against the built server; screenshots of every screen
# (phone and desktop) go to $(BUILD)/artifacts/, and study.png there is the
# one docs/study.png shows.
.PHONY: browser-test deps-browser
browser-test: deps-browser all
	cd tests/browser && npm ci --no-audit --no-fund
	WENDA_BIN=$(BUILD)/wenda WENDA_ARTIFACTS=$(BUILD)/artifacts \
	    node tests/browser/study.mjs

# ---- benchmarks (never run by the tests) -------------------------------------

$(BUILD)/tests/bench-fixed: tests/bench/fixed.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEP_CFLAGS) -o $@ $< $(DEP_LIBS)

$(BUILD)/tests/bench-queries: $(BUILD)/tests/bench/queries.o $(BUILD)/libwenda.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

bench: deps deps-bench all $(BUILD)/tests/bench-fixed $(BUILD)/tests/bench-queries
	BUILD=$(BUILD) tests/bench/run.sh

# bench-gen --seed S --count N --out DIR: a generated knowledge base of N
# topics for wenda import.  make bench-scale measures import, size, memory
# and reads at 1k, 10k and 100k topics (SCALE_MAX=1000000 adds 1M;
# SCALE_SECONDS per measurement, default 5).
$(BUILD)/tests/bench-gen: $(BUILD)/tests/bench/gen.o $(BUILD)/libwenda.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# make bench-wal [WAL_SECONDS=60]: the write-ahead log's size under
# continuous writes beside reads, and after a clean stop.
.PHONY: bench-wal
bench-wal: deps deps-bench all $(BUILD)/tests/bench-queries
	BUILD=$(BUILD) tests/bench/wal.sh

.PHONY: bench-scale
bench-scale: deps deps-bench all $(BUILD)/tests/bench-gen \
             $(BUILD)/tests/bench-queries
	BUILD=$(BUILD) tests/bench/scale.sh

# make bench-cluster [BENCH_SECONDS=10]: a three-node cluster against one
# plain node: writes (16 connections creating topics) on its leader, reads
# (by id, the search mix) on each of its nodes; rates, p50, p99, ratios.
.PHONY: bench-cluster
bench-cluster: deps deps-bench all $(BUILD)/tests/bench-queries
	BUILD=$(BUILD) tests/bench/cluster.sh

# POST /v1/import of generated topics over HTTP (IMPORT_SIZES, default
# 5000 20000), and how long an editor's POST waits meanwhile.
.PHONY: bench-import
bench-import: deps all $(BUILD)/tests/bench-gen
	BUILD=$(BUILD) tests/bench/import.sh

# ---- checks -----------------------------------------------------------------

BANNED := sprintf|strcat|strncat|gets
lint: deps deps-lint all
	@echo "structure (files, functions, the modules' calls):"
	@sh tests/lint/structure.sh $(BUILD)
	@echo "banned functions ($(BANNED)):"
	@! grep -nE '(^|[^a-z_])($(BANNED))[[:space:]]*\(' service/*.c \
	    service/*.h include/wenda/*.h tests/*/*.c tests/*/*.h
	@echo "clang-tidy, a file at a time (two at once)"
	@printf '%s\n' $(CORE_SRC) $(APP_SRC) | xargs -P2 -I{} \
	    clang-tidy --quiet {} -- $(CPPFLAGS) -std=c17 $(DEP_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr --std=c11 -Iinclude -Iservice -I$(BUILD)/gen \
	    -D__GNUC__ -DWENDA_VERSION='"$(VERSION)"' $(CORE_SRC) $(APP_SRC)

# The man page: mandoc's lint fails on any warning, and groff must say
# nothing (it warns on standard error but exits 0, hence the capture).
.PHONY: man-lint
man-lint: deps-lint
	mandoc -T lint -W warning deploy/wenda.1
	@echo "groff -man -Tutf8 -ww -z deploy/wenda.1"
	@out=$$(groff -man -Tutf8 -ww -z deploy/wenda.1 2>&1); \
	  if [ -n "$$out" ]; then printf '%s\n' "$$out" >&2; \
	    echo "man-lint: groff warns about deploy/wenda.1" >&2; exit 1; fi

# The OpenAPI document against Redocly's recommended rules (redocly.yaml;
# .redocly.lint-ignore.yaml names the problems let pass, and why).  The CLI
# is pinned: 1.34.21, the newest 1.x, needs an @redocly/respect-core
# 1.34.21 that the registry does not have.
REDOCLY := @redocly/cli@1.34.20
.PHONY: openapi-lint
openapi-lint: deps-lint
	npx --yes $(REDOCLY) lint service/openapi.json

ASAN_BUILD ?= build-asan
asan:
	$(MAKE) BUILD=$(ASAN_BUILD) OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    TEST_ENV="LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp" test

# libFuzzer: one harness per parser in tests/fuzz/, linked with the real
# objects rebuilt by clang in $(FUZZ_BUILD) with ASan and UBSan (UB is
# fatal).  Each runs for SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/NAME, with tests/fuzz/NAME.dict when there is one);
# new inputs stay in the scratch copy, findings go to
# $(FUZZ_BUILD)/fuzz/artifacts/, and any crash, leak, UB, timeout (an
# input slower than FUZZ_TIMEOUT seconds) or memory blow-up fails.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_TIMEOUT ?= 10
SECONDS      ?= 10
FUZZ_NAMES   := $(filter-out fuzzutil,\
                  $(basename $(notdir $(wildcard tests/fuzz/*.c))))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
.PHONY: fuzz fuzz-build deps-fuzz
fuzz: deps deps-fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	    OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" fuzz-build
	@out=$(FUZZ_BUILD)/fuzz; failed=""; \
	mkdir -p $$out/artifacts $$out/tmp; \
	for t in $(FUZZ_NAMES); do \
	  rm -rf $$out/corpus/$$t && mkdir -p $$out/corpus/$$t && \
	  cp tests/fuzz/corpus/$$t/* $$out/corpus/$$t/ || exit 1; \
	  dict=; [ ! -f tests/fuzz/$$t.dict ] || dict=-dict=tests/fuzz/$$t.dict; \
	  if TMPDIR=$$out/tmp ./$$out/$$t $$dict -max_total_time=$(SECONDS) \
	       -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
	       -artifact_prefix=$$out/artifacts/$$t- $$out/corpus/$$t \
	       > $$out/$$t.log 2>&1; then \
	    echo "== fuzz $$t: $(SECONDS) s," \
	      "$$(sed -n 's/^stat::number_of_executed_units: *//p' \
	          $$out/$$t.log) runs," \
	      "corpus $$(ls $$out/corpus/$$t | wc -l) inputs, no crash"; \
	  else \
	    tail -n 40 $$out/$$t.log; \
	    echo "== fuzz $$t: FAILED (log: $$out/$$t.log)"; \
	    failed="$$failed $$t"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed" >&2; exit 1; fi

fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
.SECONDARY: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%.o) \
            $(BUILD)/tests/fuzz/fuzzutil.o

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/fuzzutil.o \
                 $(ROUTER_OBJ) $(BUILD)/libwenda.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# ThreadSanitizer: the server binary is built with it and the whole
# end-to-end suite runs against it (a race report makes the server exit
# 66, which fails the tests).  Criterion's runner cannot start under TSan
# (its fixed-address arena collides with TSan's shadow memory), so the
# test runner itself is an ordinary build, and the queue and pool, whose
# unit tests are Criterion's, are also driven by a plain stress program.
TSAN_OPTIONS_CI := halt_on_error=1 exitcode=66 second_deadlock_stack=1 \
                   suppressions=$(CURDIR)/tests/tsan/tsan.supp
TSAN_BUILD ?= build-tsan
tsan: deps all $(BUILD)/tests/wenda-tests
	$(MAKE) BUILD=$(TSAN_BUILD) OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=thread" $(TSAN_BUILD)/wenda \
	    $(TSAN_BUILD)/tests/pool-stress
	TSAN_OPTIONS="$(TSAN_OPTIONS_CI)" ./$(TSAN_BUILD)/tests/pool-stress
	TSAN_OPTIONS="$(TSAN_OPTIONS_CI)" WENDA_BIN=$(TSAN_BUILD)/wenda \
	    ./$(BUILD)/tests/wenda-tests --jobs 2

# valgrind: the server, built plainly (-O1 -g, no sanitizer), runs under
# memcheck behind a few end-to-end suites.  tests/valgrind.sh is the
# WENDA_BIN that starts every server and command of those tests under
# valgrind, and VALGRIND_SCALE stretches the harness's waits to match.
# valgrind writes a log only for an error or a definite or indirect leak
# (third-party noise is in tests/valgrind.supp) and makes the process exit
# 99; any log with a report fails the target.  The kill -9 cycles are left
# out: a killed server cannot report its leaks, and twenty valgrind starts
# take minutes.
VALGRIND_BUILD  ?= build-valgrind
VALGRIND_SCALE  ?= 20
VALGRIND_SUITES ?= @(e2e_topic|e2e_search|e2e_write|e2e_admin|e2e_lifecycle)/!(keeps_every_acknowledged_write_through_*)
.PHONY: valgrind deps-valgrind
valgrind: deps deps-valgrind all $(BUILD)/tests/wenda-tests
	$(MAKE) --no-print-directory BUILD=$(VALGRIND_BUILD) OPT="-O1 -g" \
	    $(VALGRIND_BUILD)/wenda
	@rm -rf $(VALGRIND_BUILD)/logs && mkdir -p $(VALGRIND_BUILD)/logs
	WENDA_BIN=tests/valgrind.sh \
	WENDA_VALGRIND_BIN=$(CURDIR)/$(VALGRIND_BUILD)/wenda \
	WENDA_VALGRIND_LOGS=$(CURDIR)/$(VALGRIND_BUILD)/logs \
	WENDA_TEST_TIMEOUT_SCALE=$(VALGRIND_SCALE) \
	    ./$(BUILD)/tests/wenda-tests --jobs 2 --filter '$(VALGRIND_SUITES)'
	@logs=$(VALGRIND_BUILD)/logs; \
	  bad=$$(find $$logs -type f -size +0 | sort); \
	  if [ -n "$$bad" ]; then cat $$bad >&2; \
	    echo "valgrind: reports in" $$bad >&2; exit 1; fi; \
	  echo "== valgrind: $$(ls $$logs | wc -l) wenda processes, no error," \
	    "no definite or indirect leak"

$(BUILD)/tests/pool-stress: tests/tsan/pool_stress.c $(BUILD)/libwenda.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(DEP_LIBS)

# ---- packages ---------------------------------------------------------------

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_BUILD) $(APT_TEST))

deps-lint:
	$(call apt_install,$(APT_LINT))

deps-bench:
	$(call apt_install,$(APT_BENCH))

deps-valgrind:
	$(call apt_install,$(APT_VALGRIND))

deps-fuzz:
	$(call apt_install,$(APT_FUZZ))

# A node and npm that did not come from Debian's packages (NodeSource's nodejs
# carries npm and conflicts with Debian's) count as installed.
deps-browser:
	$(call apt_install,$(filter-out \
	    $(if $(shell command -v node),nodejs) $(if $(shell command -v npm),npm),\
	    $(APT_BROWSER)))

# Every build directory a target makes: the default one and those of the
# sanitizer, fuzz and valgrind builds.
clean:
	rm -rf $(sort build $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) \
	    $(VALGRIND_BUILD))

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
