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

lint: ## gofmt, go vet, go.mod tidy, and the binary builds for Linux, macOS and Windows
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	@for target in linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64; do \
	  echo "build $$target"; GOOS=$${target%/*} GOARCH=$${target#*/} $(GO) build -o /dev/null ./cmd/weft || exit 1; \
	done

bench: ## run the benchmarks except the million-row ones (numbers in docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -skip '1M|100k' -benchmem $(PKGS)

bench-scale: ## the million-row store and worker benchmarks (builds big databases: minutes)
	$(GO) test -run '^$$' -bench '1M|100k' -benchtime 1x -benchmem ./store/sqlite ./service

fuzz: ## run every fuzz target of every package for FUZZTIME each (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep ^Fuzz); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; \
	done

clean: ## remove build output
	rm -rf bin
