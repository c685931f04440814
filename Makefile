# weft — common tasks. `make help` lists them.
GO ?= go
PKGS := ./...

.PHONY: help build run test lint bench bench-scale fuzz clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/weft
	$(GO) build -o bin/weft ./cmd/weft

run: ## run the bundled demo scenario
	$(GO) run ./cmd/weft run

test: ## run the whole test suite (what .ci/run calls)
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

bench: ## run the benchmarks except the million-row ones (numbers in docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -skip '1M|100k' -benchmem $(PKGS)

bench-scale: ## the million-row store and worker benchmarks (builds big databases: minutes)
	$(GO) test -run '^$$' -bench '1M|100k' -benchtime 1x -benchmem ./store/sqlite ./service

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@for t in $$($(GO) test -list 'Fuzz.*' ./iml | grep ^Fuzz); do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} ./iml || exit 1; done
	@for t in $$($(GO) test -list 'Fuzz.*' ./blueprint | grep ^Fuzz); do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} ./blueprint || exit 1; done
	@for t in $$($(GO) test -list 'Fuzz.*' ./datetime | grep ^Fuzz); do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} ./datetime || exit 1; done

clean: ## remove build output
	rm -rf bin
