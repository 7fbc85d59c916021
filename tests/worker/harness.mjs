// Shared harness of the Worker end-to-end test and the Worker benchmark:
// builds the Worker and the native binary, and starts `wrangler dev`
// (workerd from the npm package, offline) and `httpplay serve` on free
// loopback ports. Every process started here is stopped by its own id.

import { spawn, execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../lib/ports.mjs';

/** ROOT is the repository. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** NATIVE is the native httpplay built for these tests, apart from build/httpplay. */
export const NATIVE = join(ROOT, 'build', 'worker-e2e', 'httpplay');

const run = promisify(execFile);

// wranglerEnv keeps wrangler offline and inside the repository: no
// telemetry, no update check (it comes with the banner), no download of the
// Request.cf placeholder, and its logs and dev registry under build/
// instead of the home directory.
const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  XDG_CONFIG_HOME: join(ROOT, 'build', 'wrangler-config'),
  WRANGLER_LOG_PATH: join(ROOT, 'build', 'wrangler-logs'),
  NO_COLOR: '1',
};

/**
 * build makes the Worker (`make worker`: build/worker.mjs, build/app.wasm
 * and the browser module in web/) and the native binary.
 */
export async function build() {
  await run('make', ['--no-print-directory', 'worker'], { cwd: ROOT, maxBuffer: 16 << 20 });
  await run('go', ['build', '-o', NATIVE, '.'], { cwd: ROOT, maxBuffer: 16 << 20 });
}


/**
 * start spawns a command in its own process group, so that stop can end it
 * and every child it started (wrangler runs workerd), and waits until GET
 * readyPath on base answers 200, or until ready() resolves to true.
 */
async function start(name, command, args, env, base, timeoutMs, { cwd = ROOT, readyPath = '/api/health', ready = null } = {}) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((ok) => child.once('exit', ok));
  const killGroup = (signal) => {
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  };
  // A test run that dies must not leave the server behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);
  const proc = {
    base,
    output: () => output,
    cpuMs: () => groupCPUms(child.pid),
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      killGroup('SIGKILL'); // workerd may outlive a wrangler that exited
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode} before it answered:\n${output}`);
    }
    if (ready !== null) {
      if (await ready()) return proc;
    } else {
      try {
        const res = await fetch(base + readyPath, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return proc;
      } catch { /* not listening yet */ }
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`${name} did not answer GET ${readyPath} within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

/** clockTicks is the kernel's clock ticks a second, which /proc counts CPU time in. */
let clockTicks = null;

/**
 * groupCPUms is the CPU time, user and system, in ms, that the processes of
 * process group pgid have used so far (a server and whatever it started:
 * wrangler dev runs two workerd processes), or null where there is no
 * Linux /proc. It reads only running processes, which is what a benchmark
 * of long-running servers needs.
 */
function groupCPUms(pgid) {
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The fields after the command name, which may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / clockTicks;
}

/**
 * startWorker runs the built Worker under `wrangler dev` on a free port.
 * It uses the e2e environment of wrangler.toml, which has no build
 * command, so the worker under test is the one build() made and edits
 * made meanwhile cannot rebuild it. root is the checkout whose worker
 * runs (the benchmark also runs a baseline's); readyPath is the path
 * polled until the server answers: a static file, unlike the API, starts
 * no Go instance, so the first API request afterwards meets a fresh one.
 * persistTo is the directory of the Durable Objects' storage, to start
 * again on the storage of an earlier start (default: a new one, removed
 * at stop); vars are the Worker's variables, given as --var.
 */
export async function startWorker({ root = ROOT, readyPath = '/api/health', persistTo = null, vars = {} } = {}) {
  const port = await freePort();
  // Its own inspector port too: the default, 9229, is taken by any other
  // wrangler dev on the machine (such as the baseline's in the benchmark).
  const inspector = await freePort();
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  // The Durable Objects' storage (the mock's journals) goes to a directory
  // of this start alone unless persistTo names one to reuse, so that no
  // run meets the sandboxes of an earlier one.
  const own = persistTo === null;
  if (own) {
    await mkdir(join(ROOT, 'build', 'worker-e2e'), { recursive: true });
    persistTo = await mkdtemp(join(ROOT, 'build', 'worker-e2e', 'state-'));
  }
  const proc = await start('wrangler dev', wrangler,
    ['dev', '--env', 'e2e', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
      '--show-interactive-dev-session=false', '--persist-to', persistTo,
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      '--log-level', 'warn'],
    wranglerEnv, `http://127.0.0.1:${port}`, 90000, { cwd: root, readyPath });
  const stop = proc.stop;
  proc.stop = async () => {
    await stop();
    if (own) await rm(persistTo, { recursive: true, force: true });
  };
  return proc;
}

/**
 * startWorkerd runs the built Worker of root (worker/worker.mjs with
 * build/app.wasm and build/wasm_exec.js) on plain workerd, the runtime
 * Cloudflare runs, from the npm package, on a free port: no wrangler, so
 * none of wrangler dev's proxy in front of it (a second workerd process and
 * a routing worker, about 3 ms a request here) and no inspector. It has
 * the Worker's code and its SANDBOX Durable Objects (SQLite-backed, in a
 * directory of this start alone, removed at stop: workerd keeps SQLite
 * storage on disk only) but not Workers static assets, which run no Go;
 * every path reaches the worker. The config goes to root's build/workerd/,
 * written afresh at each start. The server is ready when its port accepts a
 * connection, before any request has started the Go instance, so the first
 * request meets a fresh isolate. With floor, it runs the benchmark's floor
 * (tests/worker/floor) instead, a Worker that runs no Go.
 */
export async function startWorkerd({ root = ROOT, floor = false } = {}) {
  const port = await freePort();
  const dir = join(root, 'build', 'workerd');
  await mkdir(dir, { recursive: true });
  const config = join(dir, `config-${port}.capnp`);
  const state = await mkdtemp(join(dir, 'state-'));
  // Embedded paths are relative to the config file.
  await writeFile(config, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "httpplay", worker = .httpplay),
    (name = "sandboxes", disk = (path = ${JSON.stringify(state)}, writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "httpplay") ],
);
const httpplay :Workerd.Worker = (${floor ? `
  modules = [ (name = "floor.mjs", esModule = embed "../../tests/worker/floor/floor.mjs") ],
  compatibilityDate = "2026-04-20",` : `
  modules = [
    (name = "worker/worker.mjs", esModule = embed "../../worker/worker.mjs"),
    (name = "build/wasm_exec.js", esModule = embed "../wasm_exec.js"),
    (name = "build/app.wasm", wasm = embed "../app.wasm"),
  ],
  compatibilityDate = "2026-04-20",
  bindings = [ (name = "SANDBOX", durableObjectNamespace = "Sandbox") ],
  durableObjectNamespaces = [ (className = "Sandbox", uniqueKey = "httpplay-sandbox", enableSql = true) ],
  durableObjectStorage = (localDisk = "sandboxes"),`}
);
`);
  const workerd = join(ROOT, 'node_modules', '.bin', 'workerd');
  const base = `http://127.0.0.1:${port}`;
  let proc;
  try {
    proc = await start('workerd', workerd, ['serve', '--experimental', config], process.env, base, 30000,
      { cwd: root, ready: () => connects(port) });
  } catch (err) {
    await rm(state, { recursive: true, force: true });
    throw err;
  }
  const stop = proc.stop;
  proc.stop = async () => {
    await stop();
    await rm(state, { recursive: true, force: true });
    await rm(config, { force: true });
  };
  return proc;
}

/** connects resolves to whether a TCP connection to 127.0.0.1:port opens. */
function connects(port) {
  return new Promise((ok) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.destroy(); ok(true); });
    socket.on('error', () => ok(false));
  });
}

/** startNative runs `httpplay serve` (playground and API) on a free port. */
export async function startNative() {
  const port = await freePort();
  return start('httpplay serve', NATIVE, ['serve', '--addr', `127.0.0.1:${port}`, '--web', join(ROOT, 'web')],
    process.env, `http://127.0.0.1:${port}`, 15000);
}

/** request fetches base+path and resolves to {status, headers, body: Buffer}. */
export async function request(base, path, init = {}) {
  const res = await fetch(base + path, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}
