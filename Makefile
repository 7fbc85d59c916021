# httpplay: `make run` starts the product, `make test` runs every test.
# Each target says what it needs; nothing here writes outside the repository
# except Go's and npm's own caches.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
FUZZTIME  ?= 10s

.PHONY: run test lint test-go test-wasm fuzz bench clean

## run: build the playground and serve it on http://localhost:$${PORT:-9900}
run:
	$(GO) run . run preset:follow-twice

## test: everything CI checks
test: lint test-go test-wasm fuzz

## lint: formatting, vet and staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

## test-go: all Go tests natively, with the race detector
test-go:
	$(GO) test -race -count=1 ./...

## test-wasm: the simulator's tests again under GOOS=js GOARCH=wasm in Node
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./simulator/...

## fuzz: a short run of every parser fuzz target
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./simulator

## bench: every benchmark
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf build web/httpplay.wasm web/wasm_exec.js test-artifacts
