// Browser tests: Debian's Chromium (never a downloaded browser) driven by Playwright,
// against the real server binary (target/debug/countersign, built by scripts/build.sh)
// and the real local OIDC provider (idp/server.js), on a fresh SQLite database.
import { defineConfig } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APP_URL = 'http://127.0.0.1:3100';
export const IDP_URL = 'http://127.0.0.1:3101';
const database = join(tmpdir(), `countersign-e2e-${process.pid}-${Date.now()}.db`);

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    baseURL: APP_URL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: [
    {
      command: 'node idp/server.js',
      url: `${IDP_URL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      stdout: 'ignore',
      env: {
        IDP_PORT: '3101',
        IDP_REDIRECT_URIS: `${APP_URL}/auth/callback`,
        IDP_POST_LOGOUT_REDIRECT_URIS: `${APP_URL}/auth/signed-out`,
      },
    },
    {
      // The demo organisation (people and ~20 access items, some requiring
      // re-authentication), then the app.
      command: `sh -c '../target/debug/countersign demo-seed --issuer ${IDP_URL} && exec ../target/debug/countersign serve'`,
      url: `${APP_URL}/healthz`,
      reuseExistingServer: false,
      stdout: 'pipe',
      env: {
        DATABASE_URL: `sqlite:${database}`,
        COUNTERSIGN_ADDR: '127.0.0.1:3100',
        COUNTERSIGN_SITE_ROOT: '../target/site',
        OIDC_ISSUER_URL: IDP_URL,
        OIDC_CLIENT_ID: 'countersign',
        OIDC_CLIENT_SECRET: 'countersign-demo-secret',
        // Seals provisioning targets' secrets (a fixed test key).
        COUNTERSIGN_SECRET_KEY: 'e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0',
        RUST_LOG: 'warn',
        // Every browser of the suite signs in from 127.0.0.1, far more often
        // than a person would: the limits are proven by tests/integration/rate_limits.rs.
        COUNTERSIGN_RATE_LIMIT_SIGN_IN_PER_MINUTE: '0',
        COUNTERSIGN_RATE_LIMIT_API_PER_MINUTE: '0',
      },
    },
  ],
});
