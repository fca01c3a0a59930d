// Herald's entry point with a store it cannot reach: it must exit with a message naming STORE_URL (it used to hang
// with no log line on Redis, or start and answer "Subscribed" with nothing stored on Postgres).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

let dir: string;
let closedPort: number;
let silent: Server;
let silentPort: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  // accepts connections and never answers: a store that hangs
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs src/main.ts until it exits (the test's own timeout bounds a hang). */
function runHerald(storeUrl: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const tsx = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(process.cwd(), 'src/main.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH, DISCORD_TOKEN: 'start-test-token', DISCORD_API_URL: 'http://127.0.0.1:9/api', STORE_URL: storeUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += chunk));
  child.stderr.on('data', (chunk) => (out.stderr += chunk));
  // 'close', not 'exit': 'exit' can come before the last of the child's output has been read
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...out })));
}

it.each([
  ['Redis refusing connections', () => `redis://127.0.0.1:${closedPort}`],
  ['Postgres refusing connections', () => `postgresql://herald@127.0.0.1:${closedPort}/herald`],
  ['Redis never answering', () => `redis://127.0.0.1:${silentPort}`],
])('%s: start fails with a message naming STORE_URL', async (_name, url) => {
  const { code, stderr } = await runHerald(url());
  expect(code).toBe(1);
  expect(stderr).toMatch(/Cannot reach the store at STORE_URL=(redis|postgresql):\/\/\S*127\.0\.0\.1:\d+/);
  expect(stderr).toMatch(/Check that the server is running and that STORE_URL is right/);
}, 40_000);
