// How long after navigating, with a cold cache, until a page's controls work:
// the moment the app marks `<body data-hydrated>` (the WebAssembly has taken
// over; the plain forms work before that anyway). Measured in the page, from
// the navigation's start (`performance.now()`), on loopback and with
// Chromium's network throttled to 10 Mbit/s (CDP Network.emulateNetworkConditions).
// Prints the median of RUNS loads of each; `scripts/timing.sh` runs it.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { signIn } from '../tests/session';
import { requestAccess, waitForInboxHydration } from '../tests/flows';

const RUNS = Number(process.env.COUNTERSIGN_TIMING_RUNS ?? 5);
const ITEM = 'Quality Assurance Reviewer'; // the demo's: bob approves it
const TEN_MBIT = (10 * 1000 * 1000) / 8; // bytes per second

type Link = { name: string; throttle: boolean };
const LINKS: Link[] = [
  { name: 'loopback', throttle: false },
  { name: '10 Mbit/s', throttle: true },
];

/** Records, in the page, when `<body data-hydrated>` appears. */
const RECORD_HYDRATION = () => {
  const seen = () => {
    if (document.body?.hasAttribute('data-hydrated')) {
      (window as unknown as { __hydratedAt: number }).__hydratedAt = performance.now();
      return true;
    }
    return false;
  };
  const observer = new MutationObserver(() => {
    if (seen()) observer.disconnect();
  });
  observer.observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
};

/** One cold load of `path` in a fresh context (empty cache) holding `cookies`. */
async function coldLoad(browser: Browser, state: Awaited<ReturnType<BrowserContext['storageState']>>, path: string, link: Link, ready: (page: Page) => Promise<void>) {
  const context = await browser.newContext({ baseURL: 'http://127.0.0.1:3100', storageState: state });
  const page = await context.newPage();
  await page.addInitScript(RECORD_HYDRATION);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (link.throttle) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: TEN_MBIT,
      uploadThroughput: TEN_MBIT,
    });
  }
  let wasmBytes = 0;
  let wasmEncoding = '';
  page.on('response', async (response) => {
    if (response.url().endsWith('.wasm')) {
      wasmEncoding = (await response.headerValue('content-encoding')) ?? 'identity';
      const length = await response.headerValue('content-length');
      wasmBytes = Number(length ?? 0);
    }
  });
  await page.goto(path);
  await ready(page);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', '', { timeout: 120_000 });
  const ms = await page.evaluate(() => (window as unknown as { __hydratedAt: number }).__hydratedAt);
  await context.close();
  return { ms, wasmBytes, wasmEncoding };
}

function median(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test('time until the inbox and the catalog work, cold cache', async ({ browser }) => {
  // alice asks for access bob approves, so bob's inbox has an Approve button.
  const alice = await (await browser.newContext({ baseURL: 'http://127.0.0.1:3100' })).newPage();
  await signIn(alice, 'alice');
  await requestAccess(alice, ITEM, 'Timing the inbox.');
  const bob = await (await browser.newContext({ baseURL: 'http://127.0.0.1:3100' })).newPage();
  await signIn(bob, 'bob', '/inbox');
  const state = await bob.context().storageState();

  const pages = [
    {
      name: "inbox's Approve",
      path: '/inbox',
      ready: async (page: Page) => {
        await waitForInboxHydration(page, ITEM);
        await expect(page.getByRole('button', { name: 'Approve', exact: true }).first()).toBeEnabled();
      },
    },
    {
      name: "catalog's search",
      path: '/catalog',
      ready: async (page: Page) => {
        await expect(page.getByRole('searchbox', { name: 'Search' })).toBeVisible();
      },
    },
  ];
  const lines: string[] = [];
  for (const { name, path, ready } of pages) {
    for (const link of LINKS) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await coldLoad(browser, state, path, link, ready));
      const times = runs.map((r) => r.ms);
      const { wasmBytes, wasmEncoding } = runs[0];
      lines.push(
        `${name.padEnd(18)} ${link.name.padEnd(10)} median ${median(times).toFixed(0).padStart(6)} ms ` +
          `(min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}; ` +
          `${RUNS} cold loads; WebAssembly ${(wasmBytes / 1000).toFixed(1)} KB ${wasmEncoding})`,
      );
    }
  }
  console.log(`\nTIMING\n${lines.join('\n')}`);
});
