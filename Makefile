# ringdb build. Plain GNU make; every .c under src/ is part of the library,
# src/main.c is the server's main, tools/<name>/*.c are separate programs.
#
#   make            release binaries into build/
#   make run        install deps, build, start one node on 127.0.0.1:9042
#   make test       install deps, build the ASan+UBSan test build, run every suite
#   make fuzz       build libFuzzer harnesses (clang) and fuzz each for FUZZ_SECONDS
#   make bench      build the benchmarks into build/bench/
#   make format     clang-format every C file in place

CC      ?= cc
CLANG   ?= clang
COMMON  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
           -Isrc -pthread
RELFLAGS  := -O2 -g
TESTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined -DRINGDB_TEST_BUILD
LIBS    := -lyaml -llz4 -lzstd -lsnappy -lcrypto -lcrypt -lpthread -lm

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
TOOLS    := $(notdir $(wildcard tools/*))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

REL_OBJ  := $(LIB_SRC:%.c=build/obj/%.o)
TEST_OBJ := $(LIB_SRC:%.c=build/test/obj/%.o)

.PHONY: all run test test-unit test-fuzz-replay test-integration test-node test-cluster \
        deps test-deps fuzz bench format clean test-build

all: build/ringdb $(TOOLS:%=build/%)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(COMMON) $(RELFLAGS) -MMD -MP -c $< -o $@

build/test/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(COMMON) $(TESTFLAGS) -MMD -MP -c $< -o $@

build/libringdb.a: $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/test/libringdb.a: $(TEST_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/ringdb: build/obj/src/main.o build/libringdb.a
	$(CC) $(COMMON) $(RELFLAGS) $^ $(LIBS) -o $@

build/test/ringdb: build/test/obj/src/main.o build/test/libringdb.a
	$(CC) $(COMMON) $(TESTFLAGS) $^ $(LIBS) -o $@

# tools/<name>/*.c -> build/<name>
define TOOL_RULE
build/$(1): $(patsubst %.c,build/obj/%.o,$(wildcard tools/$(1)/*.c)) build/libringdb.a
	$$(CC) $$(COMMON) $$(RELFLAGS) $$^ $$(LIBS) -ledit -o $$@
build/test/$(1): $(patsubst %.c,build/test/obj/%.o,$(wildcard tools/$(1)/*.c)) build/test/libringdb.a
	$$(CC) $$(COMMON) $$(TESTFLAGS) $$^ $$(LIBS) -ledit -o $$@
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_RULE,$(t))))

build/test/unit/%: tests/unit/%.c build/test/libringdb.a
	@mkdir -p $(dir $@)
	$(CC) $(COMMON) $(TESTFLAGS) -Itests/unit -MMD -MP $< build/test/libringdb.a $(LIBS) -lcmocka -o $@

build/bench/%: bench/%.c build/libringdb.a
	@mkdir -p $(dir $@)
	$(CC) $(COMMON) $(RELFLAGS) -MMD -MP $< build/libringdb.a $(LIBS) -o $@

# libFuzzer harnesses: clang; the library is compiled once with the
# fuzzer's coverage instrumentation, each harness links against it.
FUZZFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -pthread -g -O1 -fsanitize=address,undefined \
             -DRINGDB_TEST_BUILD -DRINGDB_FUZZ
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) $(LIBS) -o $@

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p data
	@echo "ringdb: starting one node on 127.0.0.1:9042, data in ./data (Ctrl-C stops it)"
	@echo "ringdb: connect with: /usr/bin/python3 -c \"from cassandra.cluster import Cluster; s = Cluster(['127.0.0.1']).connect(); print(s.execute('SELECT release_version FROM system.local').one())\""
	exec build/ringdb --data-dir ./data

test-build: build/test/ringdb $(UNIT_SRC:tests/unit/%.c=build/test/unit/%) $(TOOLS:%=build/test/%) \
            $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

test: test-deps
	@$(MAKE) --no-print-directory test-build
	@$(MAKE) --no-print-directory test-unit test-fuzz-replay test-integration test-cluster

test-unit: $(UNIT_SRC:tests/unit/%.c=build/test/unit/%)
	@tests/run-unit.sh $^

test-fuzz-replay: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
	@tests/fuzz/replay.sh $^

test-integration: build/test/ringdb
	cd tests/integration && /usr/bin/python3 -m pytest -q -p no:cacheprovider .

test-cluster: build/test/ringdb
	@if ls tests/cluster/test_*.py >/dev/null 2>&1; then \
	  cd tests/cluster && /usr/bin/python3 -m pytest -q -p no:cacheprovider . ; \
	else echo "test-cluster: no cluster tests yet"; fi

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
	@for f in $^; do n=$$(basename $$f); mkdir -p tests/fuzz/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/$$n- tests/fuzz/corpus/$$n || exit 1; done

bench: $(BENCH_SRC:bench/%.c=build/bench/%)

format:
	clang-format -i $$(find src tools tests bench -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
