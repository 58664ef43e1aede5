# Thin wrapper over meson: every real build rule lives in meson.build.
#   make            install missing deps, configure build/ once, build (CLI at build/ward)
#   make check      the full test command (tests/run-all); last line "N passed, N failed"
#   make run        tools/quickstart against the fresh build
#   make bench      bench/run-all
#   make fuzz       longer fuzzing pass (FUZZ_SECONDS per target, default 60)
#   make clean      remove every build directory
#   make format     clang-format the C sources in place

MESON ?= meson
NINJA ?= ninja
BUILDDIR := build
FUZZ_SECONDS ?= 60

.PHONY: all deps check run bench fuzz clean format

all: deps
	@test -f $(BUILDDIR)/build.ninja || { rm -rf $(BUILDDIR) && $(MESON) setup $(BUILDDIR); }
	$(NINJA) -C $(BUILDDIR)

deps:
	@tools/install-deps

check: all
	@tests/run-all

run: all
	tools/quickstart

bench: all
	bench/run-all

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-smoke

clean:
	rm -rf build build-asan build-fuzz

format:
	@command -v clang-format >/dev/null || { echo "format: clang-format not found (apt-get install clang-format)" >&2; exit 1; }
	find src include tests \( -path tests/fuzz/corpus -o -path tests/fuzz/regressions \) -prune \
		-o -type f \( -name '*.c' -o -name '*.h' \) -print0 | xargs -0 -r clang-format -i
