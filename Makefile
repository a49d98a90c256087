# shrike build. `make` leaves the binary at build/shrike; `make test` builds a
# normal and an ASan+UBSan tree and runs the whole suite on both.
CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS  ?=
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-unused-parameter -Wvla -Wpointer-arith
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SAN) -Iinclude -Isrc -I$(BUILD)/gen -I/usr/include/hs
LDFLAGS += $(SAN)
LIBS    := -lpcre2-8 -lyaml -lexpat -lhs -lz -lm -lpthread

LIB_SRC := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRC := $(sort $(wildcard src/cli/*.c))
GEN_SRC := $(BUILD)/gen/fieldmap_data.c $(BUILD)/gen/sigma_data.c
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/gen/fieldmap_data.o $(BUILD)/obj/gen/sigma_data.o
CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC)) $(BUILD)/tests/test_rxlit_gen
DEPS    := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

.PHONY: all test unit clean fuzz bench deps demo
all: $(BUILD)/shrike

# Debian packages the build and the tests need (a no-op when installed)
deps:
	@bash scripts/install-deps.sh

# shrike's main job on the bundled sample data with the bundled rule pack
demo: deps
	@$(MAKE) -s all
	$(BUILD)/shrike scan -f table tests/scenarios/*/*.ndjson

$(BUILD)/shrike: $(CLI_OBJ) $(BUILD)/libshrike.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libshrike.a $(LIBS)

$(BUILD)/libshrike.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# the field-mapping table is data: compiled into the binary as a string
$(BUILD)/gen/fieldmap_data.c: data/fieldmap.tsv
	@mkdir -p $(dir $@)
	@{ echo '/* generated from data/fieldmap.tsv */'; \
	   echo 'const char sh_fieldmap_builtin[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	   echo ';'; } > $@

# the Sigma logsource and field tables are data too (see data/sigma_*.tsv)
$(BUILD)/gen/sigma_data.c: data/sigma_logsource.tsv data/sigma_fields.tsv
	@mkdir -p $(dir $@)
	@{ echo '/* generated from data/sigma_logsource.tsv and data/sigma_fields.tsv */'; \
	   echo 'const char sh_sigma_logsource_builtin[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' data/sigma_logsource.tsv; \
	   echo ';'; \
	   echo 'const char sh_sigma_fields_builtin[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' data/sigma_fields.tsv; \
	   echo ';'; } > $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libshrike.a tests/unit/test.h tests/unit/test_events.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libshrike.a $(LIBS) $(shell pkg-config --libs jansson 2>/dev/null)

# the grammar-driven differential check of regex literals against PCRE2
# (100,000 patterns from a fixed seed; more with arguments, see its header)
$(BUILD)/tests/test_rxlit_gen: tests/fuzz/rxlit_gen.c $(BUILD)/libshrike.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libshrike.a $(LIBS)

unit: $(TEST_BIN)

test: deps
	./tests/run.sh

bench:
	./bench/run.sh

fuzz:
	./tests/fuzz/build.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(DEPS)
