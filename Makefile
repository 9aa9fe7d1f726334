# relais — the two set-up commands are `make run` and `make test`.
# SAN=1 builds with ASan+UBSan (in build-san/), FUZZ_TIME=N sets seconds per fuzzer.

SAN ?= 0
FUZZ_TIME ?= 20
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3

ifeq ($(SAN),1)
BUILD_DIR := build-san
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAN=ON -DCMAKE_C_COMPILER=clang
else
BUILD_DIR := build
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Release
endif

# B=dir builds into another directory (several builds side by side).
ifdef B
BUILD_DIR := $(B)
endif

export RELAIS_BIN := $(CURDIR)/$(BUILD_DIR)/relais
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

.PHONY: all deps build run test unit e2e bench fuzz lint clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@echo
	@echo "relais is starting on examples/relais.yaml (mock mode, no keys needed)."
	@echo "Try, in another terminal:"
	@echo "    curl -i http://127.0.0.1:8080/v1/items/42"
	@echo "    curl -i -X POST http://127.0.0.1:8080/v1/ai/chat -d '{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
	@echo "    curl -i -H 'Authorization: Bearer dev-admin-token' http://127.0.0.1:8081/status"
	@echo
	@cd examples && exec $(RELAIS_BIN) serve -c relais.yaml

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

e2e: build
	@$(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

test: unit e2e

bench: build
	@bench/run.sh

fuzz: deps
	@cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@tests/fuzz/run.sh build-fuzz $(FUZZ_TIME)

lint:
	@clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance --std=c11 \
	    --suppress=missingIncludeSystem -I src src

clean:
	rm -rf build build-san build-fuzz
