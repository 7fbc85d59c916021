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
# Minimizing a new input may take the default 60 s, past a short -fuzztime;
# a short run keeps what it finds without shrinking it much.
FUZZMINIMIZE ?= 2s

.PHONY: run test lint test-go test-wasm fuzz bench clean

## run: build the playground and serve it on http://localhost:$${PORT:-9900}
# --web web serves the files from disk rather than the copy built in, so
# that edits in web/ show on reload.
run: wasm
	$(GO) run . serve --web web

# --- Browser playground -------------------------------------------------------
# web/httpplay.wasm and web/wasm_exec.js are build output (see .gitignore).
WASM_BUILD := GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w'

.PHONY: wasm size test-browser bench-web

## wasm: the engine for the browser (web/httpplay.wasm, with .gz and .br copies) and Go's JS support file
# The module is built into build/ and copied to web/ only when it changed,
# so that its compressed copies (brotli -q 11 takes about 10 s) are made
# again only for a new module. brotli is Debian's (the reference encoder,
# no Go dependency for a build step); without it there is no .br copy and
# the server sends gzip, so `make run` still needs only Go.
wasm:
	@mkdir -p build
	$(WASM_BUILD) -o build/httpplay.wasm ./wasm
	@cmp -s build/httpplay.wasm web/httpplay.wasm || cp build/httpplay.wasm web/httpplay.wasm
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" web/wasm_exec.js
	@[ web/httpplay.wasm.gz -nt web/httpplay.wasm ] || \
	  { echo "gzip -9 web/httpplay.wasm"; gzip -9 -n -c web/httpplay.wasm > build/httpplay.wasm.gz.tmp && mv build/httpplay.wasm.gz.tmp web/httpplay.wasm.gz; }
	@if command -v brotli >/dev/null 2>&1; then \
	  [ web/httpplay.wasm.br -nt web/httpplay.wasm ] || \
	  { echo "brotli -q 11 web/httpplay.wasm"; brotli -q 11 -c web/httpplay.wasm > build/httpplay.wasm.br.tmp && mv build/httpplay.wasm.br.tmp web/httpplay.wasm.br; }; \
	else rm -f web/httpplay.wasm.br; echo "note: no brotli command (apt-get install brotli): web/httpplay.wasm has a gzip copy only"; fi

## size: gzip and brotli size of web/httpplay.wasm next to a hello world built the same way (budget: 2x),
## and what gjson and encoding/json each add to a hello world
# The programs are built from files in build/, which ./... patterns skip;
# each one uses its package, so the linker cannot leave it out.
SIZE_PROGRAMS := hello os gjson json
size: wasm
	@mkdir -p build/_size/hello build/_size/os build/_size/gjson build/_size/json
	@printf 'package main\n\nfunc main() { println("hello, world") }\n' > build/_size/hello/main.go
	@printf 'package main\n\nimport "os"\n\nfunc main() { println(os.Args[0]) }\n' > build/_size/os/main.go
	@printf 'package main\n\nimport (\n\t"os"\n\n\t"github.com/tidwall/gjson"\n)\n\nfunc main() { println(gjson.Get(os.Args[0], "a.b").String()) }\n' > build/_size/gjson/main.go
	@printf 'package main\n\nimport (\n\t"encoding/json"\n\t"os"\n)\n\nfunc main() {\n\tvar v any\n\t_ = json.Unmarshal([]byte(os.Args[0]), &v)\n\tb, _ := json.Marshal(v)\n\tprintln(string(b))\n}\n' > build/_size/json/main.go
	@for p in $(SIZE_PROGRAMS); do $(WASM_BUILD) -o build/_size/$$p.wasm ./build/_size/$$p || exit 1; done
	@br() { if command -v brotli >/dev/null 2>&1; then brotli -q 11 -c "$$1" | wc -c; else echo 0; fi; }; \
	  gz() { gzip -9 -n -c "$$1" | wc -c; }; \
	  o=$$(gz web/httpplay.wasm); ob=$$(br web/httpplay.wasm); h=$$(gz build/_size/hello.wasm); hb=$$(br build/_size/hello.wasm); \
	  s=$$(gz build/_size/os.wasm); sb=$$(br build/_size/os.wasm); g=$$(gz build/_size/gjson.wasm); gb=$$(br build/_size/gjson.wasm); j=$$(gz build/_size/json.wasm); jb=$$(br build/_size/json.wasm); \
	  awk -v o=$$o -v ob=$$ob -v h=$$h -v hb=$$hb -v s=$$s -v sb=$$sb -v g=$$g -v gb=$$gb -v j=$$j -v jb=$$jb -v raw=$$(wc -c < web/httpplay.wasm) 'BEGIN { \
	    printf "                           gzip -9     brotli -q 11\n"; \
	    printf "web/httpplay.wasm      %8d KB  %8d KB   (%d KB uncompressed)\n", o / 1024, ob / 1024, raw / 1024; \
	    printf "hello world            %8d KB  %8d KB\n", h / 1024, hb / 1024; \
	    printf "ratio                  %8.2fx  %8.2fx   (budget 2x: %d KB gzip)\n", o / h, (hb ? ob / hb : 0), 2 * h / 1024; \
	    printf "gjson adds             %8d KB  %8d KB   (gjson.Get, over a hello world that reads os.Args)\n", (g - s) / 1024, (gb - sb) / 1024; \
	    printf "encoding/json adds     %8d KB  %8d KB   (Unmarshal and Marshal, over the same)\n", (j - s) / 1024, (jb - sb) / 1024; \
	    if (!ob) print "(no brotli command: brotli sizes are 0)" }'

## test-browser: the playground in headless Chromium (playwright-core) against the native server,
## and the page's pure modules in Node (they are ES modules in a package without "type")
test-browser: $(NODE_DEPS) chromium wasm
	node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --test --test-concurrency=1 tests/browser/

## bench-web: time to the first matrix and to a re-run after an edit, in headless Chromium
bench-web: $(NODE_DEPS) chromium wasm
	node tests/browser/bench.mjs

## test: everything CI checks; what it needs from npm and Debian is checked first
test: deps lint test-go test-wasm fuzz test-browser test-worker test-docs

## test-docs: the README's and SYNTAX.md's httpplay blocks are what this build renders (httpplay render -w fixes them)
.PHONY: test-docs
test-docs:
	$(GO) run . render --check README.md SYNTAX.md

# --- What the tests need beyond Go --------------------------------------------
# npm ci runs when node_modules is missing or older than package-lock.json
# (npm writes node_modules/.package-lock.json as it installs). Chromium comes
# from Debian; in CI (CI set) as root it is installed, elsewhere make says
# how to install it and stops before anything long runs.
CHROMIUM ?= /usr/bin/chromium
NODE_DEPS := node_modules/.package-lock.json

.PHONY: deps chromium

## deps: the npm packages (pinned in package-lock.json) and Chromium for the browser tests
deps: $(NODE_DEPS) chromium

$(NODE_DEPS): package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: npm is missing: install Node.js 20 and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && [ -n "$$CI" ]; then \
	    echo "installing Chromium (CI, as root)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	  else \
	    echo "make: the browser tests need Chromium at $(CHROMIUM), which is missing."; \
	    echo "  Debian/Ubuntu: sudo apt-get install --no-install-recommends chromium"; \
	    echo "  or point CHROMIUM=/path/to/chromium at another build"; \
	    exit 1; \
	  fi; \
	fi

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

## test-wasm: the simulator's tests again, the browser glue's and the Worker's goroutine reuse, under GOOS=js GOARCH=wasm in Node
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./simulator/... ./wasm/... ./internal/warmstack

# FUZZ runs one fuzz target (tests/fuzz.sh TARGET PACKAGE).
FUZZ = GO='$(GO)' FUZZTIME='$(FUZZTIME)' FUZZMINIMIZE='$(FUZZMINIMIZE)' bash tests/fuzz.sh

## fuzz: a short run of each fuzz target: the scenario parser and runner, the runner under a
## tight budget, the API, Accept-Encoding, Markdown rendering and the policy server (FUZZTIME=10m make fuzz for a long run);
## tests/fuzz.sh runs each once more after Go 1.26's fuzz deadline race, never after a finding
fuzz:
	$(FUZZ) FuzzParse ./simulator
	$(FUZZ) FuzzRunBudget ./simulator
	$(FUZZ) FuzzIndentJSON ./simulator
	$(FUZZ) FuzzResponseJSON ./simulator
	$(FUZZ) FuzzWithID ./simulator
	$(FUZZ) FuzzWithoutID ./simulator
	$(FUZZ) FuzzPlainWordsEnd ./simulator
	$(FUZZ) FuzzSameShape ./simulator
	$(FUZZ) FuzzRun ./internal/api
	$(FUZZ) FuzzAcceptEncoding ./internal/static
	$(FUZZ) FuzzRender .
	$(FUZZ) FuzzServeHTTP ./policyserver

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
	rm -rf build web/httpplay.wasm web/httpplay.wasm.br web/httpplay.wasm.gz web/wasm_exec.js test-artifacts

# --- Cloudflare Worker -------------------------------------------------------
# The Worker is the same package main built for GOOS=js; wrangler (pinned in
# package-lock.json) bundles worker/worker.mjs with build/app.wasm and serves
# web/ as static assets. WRANGLER_ENV keeps local runs offline and inside the
# repository: no telemetry, no Request.cf download, logs under build/.
WRANGLER_ENV := WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
	XDG_CONFIG_HOME=$(CURDIR)/build/wrangler-config WRANGLER_LOG_PATH=$(CURDIR)/build/wrangler-logs
WRANGLER  := npx --no-install wrangler
DEV_PORT  ?= 8787

.PHONY: worker dev deploy test-worker bench-worker

## worker: build/app.wasm and Go's wasm_exec.js for worker/worker.mjs, plus the browser module (wrangler's build command)
# The glue is the repository's own (worker/worker.mjs: one Go instance per
# isolate), so syumai/workers' asset generator is not used; wasm_exec.js
# comes from the toolchain that builds app.wasm, so the two always match.
worker: wasm
	@mkdir -p build
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" build/wasm_exec.js
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o build/app.wasm .

## dev: the Worker under local workerd on http://127.0.0.1:$(DEV_PORT), rebuilt on changes (no account needed)
dev: $(NODE_DEPS)
	$(WRANGLER_ENV) $(WRANGLER) dev --env "" --ip 127.0.0.1 --port $(DEV_PORT)

## deploy: build and upload the Worker and web/ to Cloudflare (needs `wrangler login` or CLOUDFLARE_API_TOKEN)
deploy: $(NODE_DEPS)
	WRANGLER_SEND_METRICS=false $(WRANGLER) deploy --env ""

## test-worker: the built Worker under wrangler dev, compared with the native server
test-worker: $(NODE_DEPS)
	node --test --test-concurrency=1 tests/worker/

## bench-worker: Worker module gzip size next to the browser's; /api/run p50/p99 on workerd and natively
## (BENCH_N requests after BENCH_WARMUP, 300 each by default; BENCH_STARTS fresh isolates; BASELINE=DIR)
bench-worker: $(NODE_DEPS)
	node tests/worker/bench.mjs
