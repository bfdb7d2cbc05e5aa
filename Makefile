# tiedlab — break-and-fix labs on tied embeddings.  `make help` lists the targets.
#
# The same rules build the pristine library (LIBDIR=lib) and a learner's
# workspace (LIBDIR=work/labNN, BUILD=build/ws/labNN): the lab engine
# (tools/lab) calls this Makefile with those two variables.

CC      ?= cc
LIBDIR  ?= lib
LAB_DIR ?=
SAN     ?=
OPENMP  ?=

# OPENMP=1: the library's AVX2 and AVX-512 kernels split their work among
# threads (GCC's -fopenmp; OMP_NUM_THREADS), in a build directory of its own.
# Opt-in: the default build, the labs, the tests and every grade run one thread.
ifeq ($(OPENMP),)
  OMPFLAGS :=
else ifeq ($(OPENMP),1)
  OMPFLAGS := -fopenmp
else
  $(error OPENMP must be empty or 1, got '$(OPENMP)')
endif

ifeq ($(SAN),)
  BUILD ?= build/default$(if $(OMPFLAGS),-omp)
  SANFLAGS :=
else ifeq ($(SAN),1)
  BUILD ?= build/san$(if $(OMPFLAGS),-omp)
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
  $(error SAN must be empty or 1, got '$(SAN)')
endif

WARN    := -std=c11 -Wall -Wextra -Wshadow -Wconversion -Wdouble-promotion \
           -Wstrict-prototypes -Wmissing-prototypes -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS) $(OMPFLAGS) -D_POSIX_C_SOURCE=200809L -MMD -MP
LDFLAGS += $(SANFLAGS) $(OMPFLAGS)
LDLIBS  := -ljansson -lm
CMOCKA  := -lcmocka

LIB_SRC  := $(wildcard $(LIBDIR)/*.c)
LIB_OBJ  := $(patsubst $(LIBDIR)/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
LIB_A    := $(BUILD)/libtiedlab.a
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(patsubst tests/unit/%.c,$(BUILD)/tests/%.o,$(UNIT_SRC))

# Graded programs (the unit tests, a lab's fixed.c, train) are judges: they
# link no library at all. Every tiedlab.h call becomes a request to the
# worker, a process that links the library (tests/judge/, threat model in
# tools/guard). Under SAN=1 the sanitizers need the library in-process, so
# everything links it directly: SAN builds are for developers, never graded.
ifeq ($(SAN),)
  JUDGED    := 1
  JUDGE_INC := -include tests/judge/stubs.h
else
  JUDGED    :=
  JUDGE_INC :=
endif
SUPPORT   := $(BUILD)/tests/support.o
# the grader's own safetensors reader and writer (tests/safetensors.h)
ST_OBJ    := $(BUILD)/tests/safetensors.o
SUPPORT_J := $(if $(JUDGED),$(BUILD)/tests/support-judged.o,$(SUPPORT))
WORKER    := $(BUILD)/worker
# The grader's own rng, init and data source (tests/ref.h): lib/, never
# LIBDIR, renamed ref_tl_* so that it sits beside the library under test.
REF_SRC   := rng init data err
REF_OBJ   := $(patsubst %,$(BUILD)/ref/%.o,$(REF_SRC))
# A judge does a checkpoint's file I/O itself, with lib/'s own
# checkpoint_file.c: its calls of tl_model_save_bytes and
# tl_model_load_bytes go to the worker like any other. The worker never
# links a checkpoint_file.o: the library's process has no files.
JUDGE_LINK  := $(BUILD)/judge/client.o $(BUILD)/judge/checkpoint_file.o $(REF_OBJ)
DIRECT_LINK := $(BUILD)/judge/direct.o $(REF_OBJ) $(LIB_A)
LINK_FOR  := $(if $(JUDGED),$(JUDGE_LINK),$(DIRECT_LINK))

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# ---- build products ---------------------------------------------------------

$(BUILD)/lib/%.o: $(LIBDIR)/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ref/%.raw.o: lib/%.c lib/tiedlab.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -c $< -o $@

$(BUILD)/ref/rename.map: $(patsubst %,$(BUILD)/ref/%.raw.o,$(REF_SRC))
	nm $^ | awk '$$NF ~ /^tl_/ { print $$NF, "ref_" $$NF }' | sort -u >$@

$(BUILD)/ref/%.o: $(BUILD)/ref/%.raw.o $(BUILD)/ref/rename.map
	objcopy --redefine-syms=$(BUILD)/ref/rename.map $< $@

# the worker's malloc is defined in worker.c: no builtin may turn its own
# malloc + memset into a call of calloc
$(BUILD)/judge/worker.o: tests/judge/worker.c tests/judge/judge.h tests/judge/api.def Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fno-builtin -I$(LIBDIR) -c $< -o $@

$(BUILD)/judge/%.o: tests/judge/%.c tests/judge/judge.h tests/judge/api.def tests/judge/stubs.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/judge/checkpoint_file.o: lib/checkpoint_file.c lib/tiedlab.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -c $< -o $@

WORKER_OBJ := $(filter-out $(BUILD)/lib/checkpoint_file.o,$(LIB_OBJ))
$(WORKER): $(BUILD)/judge/worker.o $(WORKER_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%.o: tools/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/tools/train.o: tools/train.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(JUDGE_INC) -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/train: $(BUILD)/tools/train.o $(ST_OBJ) $(LINK_FOR) | $(if $(JUDGED),$(WORKER))
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)

# the loader against thousands of broken files (run under SAN=1 by tests/run)
$(BUILD)/fuzz_checkpoint: $(BUILD)/tests/fuzz_checkpoint.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz_checkpoint.o: tests/fuzz_checkpoint.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -c $< -o $@

# inspect lists a checkpoint (the grader's reader) and loads it (the library)
$(BUILD)/inspect: $(BUILD)/tools/inspect.o $(ST_OBJ) $(DIRECT_LINK)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# losscheck reads trainer_state.json with jansson (Debian's libjansson-dev)
$(BUILD)/losscheck: $(BUILD)/tools/losscheck.o $(BUILD)/tools/logformats.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Spanish messages (engine and losscheck): one catalog, po/es.po
$(BUILD)/locale/%/LC_MESSAGES/tiedlab.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(JUDGE_INC) -I$(LIBDIR) -Itests -c $< -o $@

$(SUPPORT): tests/support.c tests/support.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -Itests -c $< -o $@

$(ST_OBJ): tests/safetensors.c tests/safetensors.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/support-judged.o: tests/support.c tests/support.h Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -include tests/judge/stubs.h -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJ) $(SUPPORT_J) $(ST_OBJ) $(LINK_FOR) | $(if $(JUDGED),$(WORKER))
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(CMOCKA) $(LDLIBS)

# A lab's own programs, built against LIBDIR: fixed.c is graded, so it is a
# judge; symptoms.c and probe.c show the broken library to the learner and
# link it in their own process. A judge needs the worker next to it, but
# links nothing of the library: a changed library relinks the worker only.
$(BUILD)/lab/fixed.o: $(LAB_DIR)/fixed.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(JUDGE_INC) -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/lab/fixed: $(BUILD)/lab/fixed.o $(SUPPORT_J) $(ST_OBJ) $(LINK_FOR) | $(if $(JUDGED),$(WORKER))
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(CMOCKA) $(LDLIBS)

$(BUILD)/lab/%.o: $(LAB_DIR)/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(LIBDIR) -Itests -c $< -o $@

$(BUILD)/lab/%: $(BUILD)/lab/%.o $(SUPPORT) $(ST_OBJ) $(DIRECT_LINK)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA) $(LDLIBS)

.PRECIOUS: $(BUILD)/lab/%.o $(BUILD)/lib/%.o $(BUILD)/tools/%.o $(BUILD)/tests/%.o $(BUILD)/ref/%.raw.o

# matmul.c's AVX2 and AVX-512 builds may fuse a multiply and an add into one
# FMA instruction (-std=c11 forbids that contraction unless asked). Under the
# sanitizers only its baseline build is compiled: the three builds are one
# template with other tile constants, and instrumenting all three takes 13 s
# (the baseline alone, 2 s). The labs run the baseline build anyway (TL_ISA).
$(BUILD)/lib/matmul.o: ALL_CFLAGS += -ffp-contract=fast $(if $(SAN),-DTL_MATMUL_BASE_ONLY)

# The benchmark, and only it, links OpenBLAS (cblas_sgemm is its yardstick), so
# it is in neither `build` nor `test`. `make bench` runs an OpenMP copy
# (BENCH_BUILD, OPENMP=1) so that it can time one thread and every core;
# OpenMP's waiting threads sleep (OMP_WAIT_POLICY=passive unless set), so that
# on a shared machine they do not spin on the cores the others need.
BENCH_OUT    ?= build/bench
BENCH_BUILD   = $(if $(OMPFLAGS),$(BUILD),$(BUILD)-omp)
BENCH_DEFS    = -DTL_BENCH_FLAGS='"$(strip $(CFLAGS) $(SANFLAGS))"'

$(BUILD)/tools/bench.o: ALL_CFLAGS += $(BENCH_DEFS)

$(BUILD)/bench: $(BUILD)/tools/bench.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ -lopenblas $(LDLIBS)

-include $(wildcard $(BUILD)/*/*.d)

# ---- targets people type -----------------------------------------------------

.PHONY: help build test check test-san verify hint check-fix reset clean status \
        grade grade-all autograder classroom new-lab bench bench-labs bench-grade

help:        ## this list
	@echo "tiedlab — one matrix for the embedding and the LM head, and how it breaks"
	@echo
	@echo "Learner:"
	@echo "  make lab00 .. make labNN   create work/labNN with the bug, run it, show the symptom"
	@echo "  make hint LAB=NN           show the next hint (one at a time)"
	@echo "  make check-fix LAB=NN      is your fix right? plain-words verdict and your diff"
	@echo "                             (no LAB: every lab that has a workspace)"
	@echo "  make reset LAB=NN          back up work/labNN, then recreate it from scratch"
	@echo "  make losscheck LOG=f.csv   verdict and plot for a loss log (PNG=out.png optional)"
	@echo "  make inspect CKPT=f        what a checkpoint holds: tensors, shapes, tied or not, bytes tying saves"
	@echo "  make train ARGS='...'      train the tiny model (--save F, --resume F, --log F.csv; ARGS=--help)"
	@echo "  make status                every lab: state, hints shown, prediction written, last check"
	@echo
	@echo "Instructor and developer:"
	@echo "  make build                 build the library, train, losscheck, inspect and unit tests"
	@echo "  make verify                prove every lab: break reproduces, fix fixes, wrong fixes fail"
	@echo "  make grade                 grade this tree (SUBMISSION=dir for another; RESULTS=dir)"
	@echo "  make grade-all SUBMISSIONS=dir/   grade every learner folder in parallel; gradebook CSV"
	@echo "  make autograder            build/autograder.zip for Gradescope"
	@echo "  make classroom             .github/workflows/classroom.yml for GitHub Classroom"
	@echo "  make new-lab NAME=slug     scaffold the next lab with every part to fill in"
	@echo "  make test (or make check)  the whole suite; ends with 'N passed, N failed'"
	@echo "  make test-san              unit tests, losscheck and the checkpoint fuzz under ASan + UBSan"
	@echo "  make bench                 LM-head kernels vs OpenBLAS (ratios, % of FMA peak; 1 thread and"
	@echo "                             every core), the fused head + CE, training tokens/s; CSV + PNG"
	@echo "  OPENMP=1 (with any target) the kernels on threads (-fopenmp, OMP_NUM_THREADS), in build/default-omp"
	@echo "  make bench-labs            seconds from make labNN to its symptom, every lab, in a scratch copy"
	@echo "  make bench-grade           grade a generated class of 20: gradings per second per core, verify's time"
	@echo "  make clean                 remove build/ (never work/ or notes/)"
	@echo "  make help                  this list"
	@echo
	@echo "Labs: $(patsubst labs/%,%,$(wildcard labs/lab[0-9][0-9]-*))"

build: $(LIB_A) $(BUILD)/train $(BUILD)/losscheck $(BUILD)/unit_tests $(if $(JUDGED),$(WORKER)) $(BUILD)/inspect \
       $(BUILD)/fuzz_checkpoint \
       $(BUILD)/locale/es/LC_MESSAGES/tiedlab.mo

# lab00, lab01, ...: the engine checks the name and says so if there is no such lab
lab%:
	@tools/lab start '$*'

hint:
	@tools/lab hint '$(LAB)'

check-fix:
	@tools/lab check-fix '$(LAB)'

reset:
	@tools/lab reset '$(LAB)'

verify:
	@tools/lab verify '$(LAB)'

status:
	@tools/lab status

SUBMISSION ?= .
RESULTS    ?= build/grade
grade:
	@tools/grade '$(SUBMISSION)' '$(RESULTS)'

grade-all:
	@tools/grade-all '$(SUBMISSIONS)' '$(if $(filter build/grade,$(RESULTS)),build/grade-all,$(RESULTS))'

autograder:
	@tools/package-autograder build/autograder.zip

classroom:
	@tools/classroom .github/workflows/classroom.yml

new-lab:
	@tools/lab new-lab '$(NAME)'

.PHONY: train
train: $(BUILD)/train
	@$(BUILD)/train $(ARGS)

.PHONY: inspect
inspect: $(BUILD)/inspect
	@test -n '$(CKPT)' || { echo "make inspect: give a checkpoint, e.g. make inspect CKPT=run.safetensors (train --save FILE writes one)" >&2; exit 2; }
	@$(BUILD)/inspect '$(CKPT)'

.PHONY: losscheck
losscheck: $(BUILD)/losscheck
	@test -n '$(LOG)' || { echo "make losscheck: give a log, e.g. make losscheck LOG=work/lab00/.tiedlab/run.csv" >&2; exit 2; }
	@$(BUILD)/losscheck --ascii $(if $(PNG),--plot '$(PNG)') $(LOG)

test check:
	@tests/run

test-san:
	@tests/run --san-only

bench:
	@printf '#include <cblas.h>\nint main(void) { return 0; }\n' | $(CC) -x c -o /dev/null - -lopenblas >/dev/null 2>&1 \
	    || { echo "make bench: OpenBLAS is missing; install it with: sudo apt-get install libopenblas-dev" >&2; exit 2; }
	@$(MAKE) --no-print-directory OPENMP=1 BUILD='$(BENCH_BUILD)' '$(BENCH_BUILD)/bench'
	@OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-passive} '$(BENCH_BUILD)/bench' --out '$(BENCH_OUT)'
	@if command -v gnuplot >/dev/null 2>&1; then \
	    gnuplot '$(BENCH_OUT)/bench.gp' && echo "chart: $(BENCH_OUT)/bench.png"; \
	else echo "make bench: no chart without gnuplot; install it with: sudo apt-get install gnuplot-nox"; fi

bench-labs:
	@tools/bench-labs '$(BENCH_OUT)'

bench-grade:
	@tools/bench-grade '$(BENCH_OUT)'

clean:
	rm -rf build
