// Every page a test visits is checked with axe-core: serious or critical
// violations fail the test, with the rule, the impact and the offending nodes.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(report, `accessibility violations on ${page.url()}`).toEqual([]);
}

/**
 * axe-core runs as JavaScript in the page, which a page with JavaScript disabled
 * cannot do (Playwright's evaluate never returns there). So the server-rendered
 * markup, without its scripts, is checked in a second page that has JavaScript
 * for axe only: the markup judged is what the server sent.
 */
export async function expectServerHtmlAccessible(page: Page) {
  const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
  const context = await page.context().browser()!.newContext({ javaScriptEnabled: true });
  const checker = await context.newPage();
  try {
    await checker.setContent(html, { waitUntil: 'domcontentloaded' });
    await expectAccessible(checker);
  } finally {
    await context.close();
  }
}
