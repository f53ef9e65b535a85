// `scripts/timing.sh`: the time until the inbox and the catalog work, on the
// release build (target/release/countersign and the release site), in Debian's
// Chromium, with a cold cache, on loopback and at 10 Mbit/s. Prints figures; not
// a test of `make test` (its specs are in timing/, outside testDir of the tests).
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

const servers = Array.isArray(base.webServer) ? base.webServer : [];
// The release server by default; COUNTERSIGN_TIMING_BIN to time another build's.
const bin = process.env.COUNTERSIGN_TIMING_BIN ?? '../target/release/countersign';

export default defineConfig({
  ...base,
  testDir: './timing',
  testMatch: /.*\.timing\.ts$/,
  timeout: 600_000,
  reporter: [['list']],
  webServer: servers.map((server) => ({
    ...server,
    command: server.command.replaceAll('../target/debug/countersign', bin),
  })),
});
