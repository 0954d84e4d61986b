import { readFileSync } from 'node:fs';
import mongoose from 'mongoose';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureDemoUser, signInUrl, signUserToken } from '../src';
import {
  axeViolations,
  calibratedCpuSlowdown,
  launchChromium,
  lighthouse,
  screenshot,
  signStripe,
  stackBillingClient,
  startBillingHarness,
  TEST_SECRETS,
  until,
  type BillingHarness,
  type LighthouseResult,
  type TestBrowser,
} from '../src/testing';

// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against the
// real stack: gateway serving /app and /api/v1, billing, trading with a fake OKX, FerretDB,
// NATS. The trader is npm start's demo user (demo-user.ts: paper trades and one refused
// signal). Screenshots of every page go to test-results/screenshots/ (git-ignored).

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

describe('dashboard in Chromium', () => {
  let h: BillingHarness;
  let gw: string;
  let tb: TestBrowser;
  let userId: string;
  let token: string;
  let operatorToken: string;
  let deadKey: string;
  let db: mongoose.Connection;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    h = await startBillingHarness({ notifications: true, serviceEnv: { billing: { WEBHOOK_MAX_DELIVER: '2' } } });
    gw = h.stack.gatewayUrl;
    h.okx.setBalance('USDT', 100_000);
    h.okx.setPrice('BTC-USDT', 60_000);
    h.okx.setPrice('ETH-USDT', 3_000);
    ({ userId } = await ensureDemoUser(h.stack));
    token = signUserToken(TEST_SECRETS.jwtSecret, { sub: userId }, 600);
    db = await mongoose.createConnection(h.stack.mongoUri).asPromise();

    // A dead letter for the operator: a Stripe event for a user whose record cannot take it.
    const billing = stackBillingClient(h.stack);
    const victim = await billing.createUser({ email: `dead-${Date.now()}@example.com` });
    await db.collection('users').updateOne({ _id: victim.id as never }, { $set: { subscription: 'damaged' } });
    const eventId = `evt_dash_${Date.now()}`;
    const body = JSON.stringify({
      id: eventId,
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `sub_${eventId}`, status: 'active', metadata: { user_id: victim.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
    });
    const res = await fetch(`${gw}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': signStripe(body) }, body });
    expect(res.status).toBe(200);
    deadKey = `stripe:${eventId}`;
    await until('the event to be dead-lettered', async () => (await billing.getWebhookEvent({ eventKey: deadKey }).catch(() => undefined))?.state === 'dead_letter', 60_000);
    // The demo trader, with the operator role too.
    operatorToken = signUserToken(TEST_SECRETS.jwtSecret, { sub: userId, roles: ['operator'] }, 600);
    // Repaired (as an operator would): the replay below then applies it.
    await db.collection('users').updateOne({ _id: victim.id as never }, { $set: { subscription: { plan: 'free', status: 'none' } } });

    tb = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await tb?.close();
    await db?.close();
    await h?.stop();
  });

  /** A new browser profile's tab, signed in through the link (the token in the fragment). */
  async function signedIn(path = '/', opts: { as?: string; viewport?: typeof DESKTOP } = {}): Promise<Page> {
    const context = await tb.browser.newContext({ viewport: opts.viewport ?? DESKTOP, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${gw}/app${path === '/' ? '/' : path}#token=${opts.as ?? token}`);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  }

  /** No critical or serious axe-core violation on the page as it is now. */
  async function expectAccessible(page: Page) {
    const bad = (await axeViolations(page)).filter((v) => v.impact === 'critical' || v.impact === 'serious');
    expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }

  it('signs in with the link: the token leaves the address bar, the overview draws the PnL chart', async () => {
    const page = await signedIn('/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${gw}/app/`);
    expect(await page.evaluate(() => sessionStorage.getItem('tbot.token'))).toBe(token);
    // uPlot draws on a canvas once /pnl answered; data-points is the number of days plotted.
    const chart = page.locator('.chart');
    await chart.locator('canvas').waitFor();
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    await expect(page.locator('figcaption').textContent()).resolves.toMatch(/Realised PnL: [\d.,-]+ USDT/);
    // The demo's open ETH position, and its last signals with their outcome.
    await page.getByRole('region', { name: 'Open positions table' }).getByText('ETH/USDT').waitFor();
    await page.locator('.list').getByText('Refused').first().waitFor();
    await page.locator('.list').getByText('Executed').first().waitFor();
    await screenshot(page, '01-overview');
    await expectAccessible(page);

    const phone = await signedIn('/', { viewport: PHONE });
    await phone.locator('.chart canvas').waitFor();
    await screenshot(phone, '02-overview-phone');
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
  });

  it('finds the refused signal, its reason in words and its timeline', async () => {
    const page = await signedIn('/signals');
    await page.getByRole('heading', { level: 1, name: 'Signals' }).waitFor();
    await page.getByLabel('Outcome').selectOption('rejected');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // The demo's alert for the ETH swap: 100 USDT buys less than one contract (0.1 ETH).
    const row = page.locator('tbody tr', { hasText: 'ETHUSDT.P' });
    // The filtered page replaces the unfiltered one (which lists it too).
    await until('only the refused signal listed', async () => (await page.locator('tbody tr').count()) === 1 && (await row.count()) === 1, 30_000);
    expect(await row.locator('.badge').textContent()).toBe('Refused');
    // The reason in words, not a code.
    const reason = (await row.locator('td.reason').textContent()) ?? '';
    expect(reason).toMatch(/^[A-Z][a-z]+( [\w/.:-]+)+/);
    await screenshot(page, '03-signals-refused');
    await expectAccessible(page);
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 2, name: 'Timeline' }).waitFor();
    expect(page.url()).toMatch(/\/app\/signals\/[^/]+$/);
    await page.locator('.timeline li').first().waitFor();
    expect(await page.locator('.timeline').textContent()).toMatch(/Received/);
    await screenshot(page, '04-signal-timeline');
    await expectAccessible(page);
  });

  it('lists trades and downloads them as CSV', async () => {
    const page = await signedIn('/trades');
    await page.locator('tbody tr', { hasText: 'BTC/USDT' }).first().waitFor();
    await screenshot(page, '05-trades');
    await expectAccessible(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('trades.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines.length).toBeGreaterThanOrEqual(4); // a header and the demo's three fills
    expect(csv).toContain('BTC/USDT');
    expect(csv).toContain('ETH/USDT');
  });

  it('shows positions and billing', async () => {
    const page = await signedIn('/positions');
    await page.locator('tbody tr', { hasText: 'ETH/USDT' }).waitFor();
    await screenshot(page, '06-positions');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Payment history' }).waitFor();
    await page.locator('.facts dd', { hasText: 'pro' }).first().waitFor();
    await screenshot(page, '07-billing');
    await expectAccessible(page);
  });

  it('rotates the TradingView secret, shows it once, copies the message, and the new secret works', async () => {
    const page = await signedIn('/settings');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw });
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    expect(secret.length).toBeGreaterThan(10);
    await page.getByRole('button', { name: 'Copy message' }).click();
    await page.getByText('Copied').first().waitFor();
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toContain(secret);
    expect(await page.getByLabel('Alert message').inputValue()).toBe(copied);
    await screenshot(page, '08-settings-rotated');
    await expectAccessible(page);
    // The copied message is what TradingView would send (placeholders filled): the gateway takes it.
    const url = await page.locator('#tv-url').inputValue();
    const filled = copied.replace(/{{ticker}}/g, 'BTCUSDT').replace(/{{strategy\.order\.action}}/g, 'buy').replace(/{{close}}/g, '60000').replace(/{{strategy\.order\.contracts}}/g, '0.001').replace(/{{strategy\.market_position}}/g, 'long').replace(/{{timenow}}/g, new Date().toISOString()).replace(/{{[^}]*}}/g, 'x');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: filled });
    expect(res.status).toBeLessThan(300);
  });

  it('saves the risk profile, and shows the API\'s message next to a bad field', async () => {
    const page = await signedIn('/settings');
    const leverage = page.getByLabel('Highest leverage');
    await leverage.fill('500');
    await page.getByRole('button', { name: 'Save risk profile' }).click();
    const message = page.locator('#risk-maxLeverage-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/\S/);
    expect(await leverage.getAttribute('aria-invalid')).toBe('true');
    // The first bad field has the focus.
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('risk-maxLeverage');
    await screenshot(page, '09-settings-risk-error');
    await expectAccessible(page);
    await leverage.fill('10');
    await page.getByRole('button', { name: 'Save risk profile' }).click();
    await page.getByText('Risk profile saved.').waitFor();
    const saved = (await (await fetch(`${gw}/api/v1/risk-profile`, { headers: { authorization: `Bearer ${token}` } })).json()) as { maxLeverage?: number };
    expect(saved.maxLeverage).toBe(10);
  });

  it('replays a dead letter as an operator', async () => {
    const page = await signedIn('/ops', { as: operatorToken });
    await page.getByRole('heading', { level: 1, name: 'Operator' }).waitFor();
    const replay = page.getByRole('button', { name: `Replay ${deadKey}` });
    await replay.waitFor();
    await screenshot(page, '10-operator');
    await expectAccessible(page);
    await replay.click();
    await page.getByText(`Replayed ${deadKey}`).waitFor();
    const billing = stackBillingClient(h.stack);
    await until('the replayed event to be applied', async () => (await billing.getWebhookEvent({ eventKey: deadKey })).state === 'done', 30_000);
    // A trader has no operator page, not even in the menu.
    const trader = await signedIn('/ops');
    await trader.getByText('This page is for operators.').waitFor();
    expect(await trader.getByRole('link', { name: 'Operator' }).count()).toBe(0);
  });

  it('asks to sign in again when the token is no longer accepted, and signs out', async () => {
    const expired = signUserToken(TEST_SECRETS.jwtSecret, { sub: userId }, 60, Math.floor(Date.now() / 1000) - 3600);
    const page = await signedIn('/', { as: expired });
    await page.getByRole('heading', { level: 1, name: 'Sign in again' }).waitFor();
    await screenshot(page, '11-sign-in-again');
    const fresh = await signedIn('/');
    await fresh.getByRole('button', { name: 'Sign out' }).click();
    await fresh.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    expect(await fresh.evaluate(() => sessionStorage.getItem('tbot.token'))).toBeNull();
  });

  // Lighthouse 12 in the same Chromium, mobile settings and simulated throttling (its
  // defaults). When the performance score misses with the default CPU slowdown (4x, for a
  // fast desktop host), it is measured again with the slowdown that makes this machine, as
  // Lighthouse measured it, a mid-tier phone (browser.ts, calibratedCpuSlowdown), three times
  // and the median taken (Lighthouse's own advice for variable hosts): the machine is shared.
  it.each([
    ['overview', '/'],
    ['signals', '/signals'],
  ])('Lighthouse: %s scores at least 0.95 for accessibility and best practices, 0.9 for performance', async (name, path) => {
    const url = `${gw}/app${path}#token=${token}`;
    const categories = ['performance', 'accessibility', 'best-practices'] as const;
    const describe = (r: LighthouseResult) => `${name}: ${JSON.stringify(r.scores)} at CPU slowdown ${r.cpuSlowdownMultiplier}, benchmark index ${r.benchmarkIndex} (below 1: ${r.failing.join(', ')})`;
    let r = await lighthouse(url, [...categories]);
    const runs = [describe(r)];
    const calibrated = calibratedCpuSlowdown(r.benchmarkIndex);
    if (r.scores.performance! < 0.9 && calibrated < r.cpuSlowdownMultiplier) {
      const again: LighthouseResult[] = [];
      for (let i = 0; i < 3; i++) {
        again.push(await lighthouse(url, [...categories], { cpuSlowdownMultiplier: calibrated }));
        runs.push(describe(again[i]!));
      }
      r = again.sort((a, b) => a.scores.performance! - b.scores.performance!)[1]!;
    }
    process.stdout.write(`lighthouse ${runs.join('; ')}\n`);
    const why = [...runs, ...r.failing].join('\n');
    expect({ accessibility: r.scores.accessibility! >= 0.95, why }).toEqual({ accessibility: true, why });
    expect({ bestPractices: r.scores['best-practices']! >= 0.95, why }).toEqual({ bestPractices: true, why });
    expect({ performance: r.scores.performance! >= 0.9, why }).toEqual({ performance: true, why });
  }, 600_000);
});
