# httpplay: `make run` starts the product, `make test` runs every test.
# Each target says what it needs; nothing here writes outside the repository
# except Go's and npm's own caches.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
# Staticcheck release 2025.1.1 is module version v0.6.1; the module proxy
# resolves only the latter. It is installed into build/ for this machine, so
# that it can also check the GOOS=js code.
STATICCHECK := build/bin/staticcheck
WASM_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
FUZZTIME  ?= 10s

.PHONY: run test lint test-go test-wasm fuzz bench clean

## run: build the playground and serve it on http://localhost:$${PORT:-9900}
run: wasm
	$(GO) run . serve

# --- Browser playground -------------------------------------------------------
# web/httpplay.wasm and web/wasm_exec.js are build output (see .gitignore).
WASM_BUILD := GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w'

.PHONY: wasm size test-browser bench-web

## wasm: the engine for the browser (web/httpplay.wasm) and Go's JS support file
wasm:
	$(WASM_BUILD) -o web/httpplay.wasm ./wasm
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" web/wasm_exec.js

## size: gzip size of web/httpplay.wasm next to a hello world built the same way (budget: 2x)
# The hello world is built from a file in build/, which ./... patterns skip.
size: wasm
	@mkdir -p build/_hello
	@printf 'package main\n\nfunc main() { println("hello, world") }\n' > build/_hello/main.go
	@$(WASM_BUILD) -o build/hello.wasm build/_hello/main.go
	@ours=$$(gzip -c web/httpplay.wasm | wc -c); hello=$$(gzip -c build/hello.wasm | wc -c); \
	  awk -v o=$$ours -v h=$$hello 'BEGIN { \
	    printf "web/httpplay.wasm  %5d KB gzip\n", o / 1024; \
	    printf "hello world        %5d KB gzip\n", h / 1024; \
	    printf "ratio              %5.2fx (budget 2x: %d KB)\n", o / h, 2 * h / 1024 }'

## test-browser: the playground in headless Chromium (playwright-core) against the native server,
## and the page's pure modules in Node (they are ES modules in a package without "type")
test-browser: wasm
	node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --test --test-concurrency=1 tests/browser/

## bench-web: time to the first matrix and to a re-run after an edit, in headless Chromium
bench-web: wasm
	node tests/browser/bench.mjs

## test: everything CI checks
test: lint test-go test-wasm fuzz test-browser test-worker

## lint: formatting, vet and staticcheck
lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...
	GOOS=js GOARCH=wasm $(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(CURDIR)/build/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.6.1

## test-go: all Go tests natively, with the race detector
test-go:
	$(GO) test -race -count=1 ./...

## test-wasm: the simulator's tests again, and the browser glue's, under GOOS=js GOARCH=wasm in Node
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./simulator/... ./wasm/...

## fuzz: a short run of each fuzz target: the scenario parser and runner, the runner under a
## tight budget, and the API (FUZZTIME=10m make fuzz for a long run)
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./simulator
	$(GO) test -run='^$$' -fuzz='^FuzzRunBudget$$' -fuzztime=$(FUZZTIME) ./simulator
	$(GO) test -run='^$$' -fuzz='^FuzzRun$$' -fuzztime=$(FUZZTIME) .

## bench-load: many concurrent heavy API runs against the native server on 127.0.0.1 (bounded:
## LOAD_FLAGS='-clients 100 -duration 10s -requests 3000'); BASE_BIN=old/httpplay compares with another build
.PHONY: bench-load
bench-load:
	mkdir -p build && $(GO) build -o build/httpplay .
	$(GO) run ./tests/load -bin $(if $(BASE_BIN),$(BASE_BIN)$(comma))build/httpplay $(LOAD_FLAGS)

comma := ,

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
	$(WRANGLER_ENV) $(WRANGLER) dev --env "" --ip 127.0.0.1 --port $(DEV_PORT)

## deploy: build and upload the Worker and web/ to Cloudflare (needs `wrangler login` or CLOUDFLARE_API_TOKEN)
deploy:
	WRANGLER_SEND_METRICS=false $(WRANGLER) deploy --env ""

## test-worker: the built Worker under wrangler dev, compared with the native server
test-worker:
	node --test --test-concurrency=1 tests/worker/

## bench-worker: Worker module gzip size next to the browser's; /api/run p50/p99 on workerd and natively
bench-worker:
	node tests/worker/bench.mjs
