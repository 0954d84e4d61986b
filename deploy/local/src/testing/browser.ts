/**
 * Debian's Chromium (/usr/bin/chromium, from `scripts/install-tools.sh chromium`) driven by
 * playwright-core, and the two page checks the dashboard's tests run with it: axe-core and
 * Lighthouse 12. Test tools cannot download a browser of their own here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../stack';

const run = promisify(execFile);

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps calling Google's hosts, which this
 * machine's closed network refuses many at a time; --no-sandbox because tests run as root.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * A Chromium with a new, empty profile: playwright's launch() makes a temporary
 * --user-data-dir itself (and refuses one given as a flag) and removes it on close.
 */
export async function launchChromium(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
  return { browser, close: () => browser.close() };
}

/** Where screenshots go (git-ignored), for a reviewer to look at after a run. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core run inside the page. Injected through DevTools' evaluate, which the page's CSP
 * does not govern (a <script> tag would be refused: the dashboard allows no inline script).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return result;
}

export type LighthouseCategory = 'performance' | 'accessibility' | 'best-practices' | 'seo';

export interface LighthouseResult {
  scores: Partial<Record<LighthouseCategory, number>>;
  /** Lighthouse's measure of this machine's CPU speed now (a Pixel 5 is about 1000). */
  benchmarkIndex: number;
  cpuSlowdownMultiplier: number;
  /** Audits that scored below 1 (id: title), to say why a score is low. */
  failing: string[];
}

/**
 * The CPU slowdown that makes this machine a mid-tier phone (benchmark index 1000, the
 * Pixel 5 of DevTools' CPU calibration). Lighthouse's default, 4, assumes a fast desktop
 * host; on two cores shared with other builds the host alone is slower than that, and 4x on
 * top would measure a phone far below mid-tier.
 */
export const calibratedCpuSlowdown = (benchmarkIndex: number) => Math.min(4, Math.max(1, Math.round((benchmarkIndex / 1000) * 10) / 10));

/**
 * Lighthouse 12 (its CLI, from npm) against `url` in Debian's Chromium (CHROME_PATH), with
 * its default mobile settings and simulated throttling (CPU slowdown 4 unless given).
 */
export async function lighthouse(url: string, categories: LighthouseCategory[], opts: { cpuSlowdownMultiplier?: number } = {}): Promise<LighthouseResult> {
  const cpuSlowdownMultiplier = opts.cpuSlowdownMultiplier ?? 4;
  const cli = path.join(path.dirname(require.resolve('lighthouse/package.json')), 'cli', 'index.js');
  const out = mkdtempSync(path.join(tmpdir(), 'tbot-lh-'));
  try {
    const report = path.join(out, 'report.json');
    const audit = () => run(
      process.execPath,
      [
        cli,
        url,
        '--quiet',
        '--output=json',
        `--output-path=${report}`,
        `--only-categories=${categories.join(',')}`,
        `--throttling.cpuSlowdownMultiplier=${cpuSlowdownMultiplier}`,
        `--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync`,
      ],
      { env: { ...process.env, CHROME_PATH: CHROMIUM_PATH }, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
    );
    // Lighthouse's own advice for "Runtime error encountered" (e.g. NO_NAVSTART, a trace it
    // could not record on a busy machine) is to run it again: once.
    await audit().catch((err: Error) => (/Runtime error encountered/.test(err.message) ? audit() : Promise.reject(err)));
    const lhr = JSON.parse(readFileSync(report, 'utf8')) as {
      environment: { benchmarkIndex: number };
      categories: Record<string, { score: number | null; auditRefs: { id: string; weight: number }[] }>;
      audits: Record<string, { score: number | null; title: string; scoreDisplayMode: string }>;
    };
    const scores: LighthouseResult['scores'] = {};
    const failing: string[] = [];
    for (const c of categories) {
      scores[c] = lhr.categories[c]?.score ?? 0;
      for (const ref of lhr.categories[c]?.auditRefs ?? []) {
        const a = lhr.audits[ref.id];
        if (a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual') failing.push(`${c}/${ref.id} (${a.score}): ${a.title}`);
      }
    }
    return { scores, failing, benchmarkIndex: lhr.environment.benchmarkIndex, cpuSlowdownMultiplier };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
