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

# --- Cloudflare Worker -------------------------------------------------------
# The Worker is the same package main built for GOOS=js; wrangler (pinned in
# package-lock.json) bundles build/worker.mjs with build/app.wasm and serves
# web/ as static assets. WRANGLER_ENV keeps local runs offline and inside the
# repository: no telemetry, no Request.cf download, logs under build/.
WRANGLER_ENV := WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
	XDG_CONFIG_HOME=$(CURDIR)/build/wrangler-config WRANGLER_LOG_PATH=$(CURDIR)/build/wrangler-logs
WRANGLER  := npx --no-install wrangler
DEV_PORT  ?= 8787

.PHONY: worker dev deploy test-worker bench-worker

## worker: build/worker.mjs, build/app.wasm and the JS glue, plus the browser module (wrangler's build command)
# workers-assets-gen (version pinned by go.mod) empties its output directory,
# so it writes to a scratch directory instead of wiping the rest of build/.
worker: wasm
	rm -rf build/.worker-gen && mkdir -p build
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build/.worker-gen
	cp build/.worker-gen/* build/ && rm -rf build/.worker-gen
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o build/app.wasm .

## dev: the Worker under local workerd on http://127.0.0.1:$(DEV_PORT), rebuilt on changes (no account needed)
dev:
	$(WRANGLER_ENV) $(WRANGLER) dev --ip 127.0.0.1 --port $(DEV_PORT)

## deploy: build and upload the Worker and web/ to Cloudflare (needs `wrangler login` or CLOUDFLARE_API_TOKEN)
deploy:
	WRANGLER_SEND_METRICS=false $(WRANGLER) deploy

## test-worker: the built Worker under wrangler dev, compared with the native server
test-worker:
	node --test --test-concurrency=1 tests/worker/
