# socrata_fdw (C++ foreign data wrapper) and chicago_crime (warehouse on top).
#
# `make demo`, `make test` and `make bench` must work on a fresh Debian 12 machine that has
# no PostgreSQL headers and no pg_config yet: they install the Debian packages first (scripts/
# install-deps.sh), then re-enter make, which by then can include PGXS. So the PGXS part of
# this file is only read when PGXS exists.

.DEFAULT_GOAL := all
REPO_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# ---------------------------------------------------------------------------------------------
# Entry points (no PGXS needed)
# ---------------------------------------------------------------------------------------------
.PHONY: deps demo test bench unit fuzz format tidy stop

deps:
	@scripts/install-deps.sh

demo: deps
	@$(MAKE) --no-print-directory install
	@scripts/demo.sh

test: deps
	@$(MAKE) --no-print-directory install
	@scripts/test.sh

bench: deps
	@$(MAKE) --no-print-directory install
	@bench/run.sh $(BENCH_ARGS)

# libFuzzer over the pure C++ core's parsers (test/fuzz/core/README.md): the seed corpora once,
# then FUZZ_SECONDS (default 60) of fuzzing per harness. Needs clang, installed here on demand.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --fuzz
	@test/fuzz/core/run.sh smoke
	@test/fuzz/core/run.sh fuzz $(FUZZ_SECONDS)

# Stops the throwaway cluster and the local SODA server, if running.
stop:
	@scripts/soda.sh stop || true
	@scripts/cluster.sh stop || true

# ---------------------------------------------------------------------------------------------
# GoogleTest unit tests of the pure C++ core (src/core never includes Postgres headers)
# ---------------------------------------------------------------------------------------------
UNIT_CXX ?= g++
UNIT_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra -Isrc/core -MMD -MP
CORE_SRCS := $(wildcard src/core/*.cpp)
UNIT_SRCS := $(wildcard test/unit/*_test.cpp)
UNIT_OBJS := $(patsubst %.cpp,build/unit/%.o,$(CORE_SRCS) $(UNIT_SRCS))

build/unit/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(UNIT_CXX) $(UNIT_CXXFLAGS) -c $< -o $@

build/unit_tests: $(UNIT_OBJS)
	$(UNIT_CXX) $(UNIT_CXXFLAGS) -o $@ $^ -lgtest -lgtest_main -lpthread -lcurl

unit: build/unit_tests
	cd test/unit && ../../build/unit_tests --gtest_brief=1

-include $(UNIT_OBJS:.o=.d)

ALL_CXX := $(wildcard src/*/*.cpp src/*/*.hpp test/unit/*.cpp test/unit/*.hpp test/fuzz/core/*.cpp test/fuzz/core/*.hpp bench/*.cpp)
format:
	clang-format -i $(ALL_CXX)

# ---------------------------------------------------------------------------------------------
# PGXS build of the extensions
# ---------------------------------------------------------------------------------------------
ifneq ($(wildcard $(PGXS)),)

EXTENSION = socrata_fdw chicago_crime
MODULE_big = socrata_fdw
PG_SRCS := $(wildcard src/pg/*.cpp)
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)
# chicago_crime's install script is built from extension/chicago_crime/*.sql, one concern per
# file, concatenated in file-name order (the order their objects must be created in).
CHICAGO_CRIME_PARTS := $(sort $(wildcard extension/chicago_crime/*.sql))
DATA_built = extension/chicago_crime--1.0.sql
DATA = $(filter-out $(DATA_built),$(wildcard extension/*--*.sql))
PGFILEDESC = "socrata_fdw - foreign data wrapper for Socrata open data portals"

# pg_regress: sql/*.sql against expected/*.out, in file-name order. The tests and their expected
# outputs (error details quote URLs) name the SODA test server's default address, so a run set up
# on another SODA_PORT is refused rather than sent to whatever listens on the default one.
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
installcheck: regress-soda-port
.PHONY: regress-soda-port
regress-soda-port:
	@if [ -n "$$SODA_PORT" ] && [ "$$SODA_PORT" != 25480 ]; then \
	    echo "pg_regress's tests name the SODA test server at http://127.0.0.1:25480, and" \
	         "SODA_PORT is $$SODA_PORT: run them on a set-up with the default SODA_PORT." >&2; \
	    exit 1; fi

# Server headers as system headers: they are not warning-clean C++.
PG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
PG_CPPFLAGS = -Isrc/core -Isrc/pg -isystem $(PG_INCLUDEDIR_SERVER)
PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -fvisibility-inlines-hidden -Wall -Wextra \
	-Wno-missing-field-initializers
SHLIB_LINK += -lcurl -lstdc++

# Debian's server is built with LLVM; bitcode for JIT inlining of a network-bound FDW buys
# nothing and clang would need its own C++ flags. Build without it.
override with_llvm := no
override autodepend := yes

include $(PGXS)

$(DATA_built): $(CHICAGO_CRIME_PARTS)
	awk 'NR == 1 { print "-- Built by make from extension/chicago_crime/*.sql: edit those, not this file." } \
	     FNR == 1 { print ""; print "-- " FILENAME } { print }' $^ > $@

all: build-info
.PHONY: build-info
build-info:
	@true

# clang-tidy (clang-analyzer and the default checks) over both halves: the plain C++ core and
# the FDW code, which sees the server headers as system headers.
tidy:
	clang-tidy $(CORE_SRCS) -- -std=c++17 -Isrc/core
	clang-tidy $(PG_SRCS) -- -std=c++17 $(PG_CPPFLAGS)

else

all install installcheck:
	@echo "PostgreSQL server headers (pg_config, PGXS) are missing: run 'make deps' first," \
	      "or simply 'make demo' / 'make test', which install them." >&2
	@exit 1

endif
