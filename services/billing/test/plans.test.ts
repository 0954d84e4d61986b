import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FREE_PLAN, PlanCatalog, type Plan } from '../src/plans';

const PRO: Plan = {
  id: 'pro',
  features: ['tradingview_webhooks', 'auto_trading'],
  stripe: { price_ids: ['price_pro_monthly', 'price_pro_yearly'] },
  paystack: { plan_code: 'PLN_pro_monthly', amount: 1_500_000, currency: 'NGN', interval_days: 30 },
};
const ENTERPRISE: Plan = {
  id: 'enterprise',
  features: ['tradingview_webhooks', 'auto_trading', 'priority_support'],
  stripe: { price_ids: ['price_enterprise_monthly'] },
  paystack: { plan_code: 'PLN_enterprise_monthly', amount: 5_000_000, currency: 'NGN', interval_days: 30 },
};
const ONE_OFF: Plan = {
  id: 'pro_pass',
  features: ['auto_trading'],
  // Sold through Paystack as a one-off payment only: no plan code.
  paystack: { amount: 2_000_000, currency: 'NGN', interval_days: 30 },
};

describe('PlanCatalog', () => {
  describe('lookups', () => {
    const catalog = new PlanCatalog([PRO, ENTERPRISE, ONE_OFF]);

    it('finds plans by id', () => {
      expect(catalog.get('pro')).toBe(PRO);
      expect(catalog.get('enterprise')).toBe(ENTERPRISE);
      expect(catalog.get('pro_pass')).toBe(ONE_OFF);
      expect(catalog.get('gold')).toBeUndefined();
      expect(catalog.get('')).toBeUndefined();
    });

    it('finds plans by any of their Stripe price ids', () => {
      expect(catalog.byStripePrices(['price_pro_monthly'])).toBe(PRO);
      expect(catalog.byStripePrices(['price_pro_yearly'])).toBe(PRO);
      expect(catalog.byStripePrices(['price_enterprise_monthly'])).toBe(ENTERPRISE);
    });

    it('skips unknown prices and lets the first known one decide', () => {
      expect(catalog.byStripePrices(['price_addon_seats', 'price_enterprise_monthly', 'price_pro_monthly'])).toBe(ENTERPRISE);
      expect(catalog.byStripePrices(['price_unknown'])).toBeUndefined();
      expect(catalog.byStripePrices([])).toBeUndefined();
    });

    it('does not confuse a plan id with a Stripe price id', () => {
      expect(catalog.byStripePrices(['pro'])).toBeUndefined();
    });

    it('finds plans by Paystack plan code', () => {
      expect(catalog.byPaystackPlanCode('PLN_pro_monthly')).toBe(PRO);
      expect(catalog.byPaystackPlanCode('PLN_enterprise_monthly')).toBe(ENTERPRISE);
    });

    it('returns undefined for unknown, empty or missing plan codes', () => {
      expect(catalog.byPaystackPlanCode('PLN_nope')).toBeUndefined();
      expect(catalog.byPaystackPlanCode('')).toBeUndefined();
      expect(catalog.byPaystackPlanCode(undefined)).toBeUndefined();
      expect(catalog.byPaystackPlanCode('pro')).toBeUndefined();
    });

    it('lists features by plan id, none for unknown plans', () => {
      expect(catalog.featuresOf('pro')).toEqual(['tradingview_webhooks', 'auto_trading']);
      expect(catalog.featuresOf('gold')).toEqual([]);
    });
  });

  describe('the free plan', () => {
    it('is added, without features, when missing', () => {
      const catalog = new PlanCatalog([PRO]);
      expect(FREE_PLAN).toBe('free');
      expect(catalog.get('free')).toEqual({ id: 'free', features: [] });
      expect(catalog.featuresOf('free')).toEqual([]);
    });

    it('is added to an empty catalog', () => {
      expect(new PlanCatalog([]).get('free')).toEqual({ id: 'free', features: [] });
    });

    it('keeps its own features when listed', () => {
      const free: Plan = { id: 'free', features: ['basic_alerts'] };
      const catalog = new PlanCatalog([free, PRO]);
      expect(catalog.get('free')).toBe(free);
      expect(catalog.featuresOf('free')).toEqual(['basic_alerts']);
    });
  });

  it('throws on a duplicate id, naming it', () => {
    expect(() => new PlanCatalog([PRO, { ...ENTERPRISE, id: 'pro' }])).toThrow(/pro/);
    expect(() => new PlanCatalog([{ id: 'free', features: [] }, { id: 'free', features: ['x'] }])).toThrow(/free/);
  });

  describe('fromFile', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plans-test-'));
    });
    afterAll(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };

    it('reads a valid file and applies defaults', () => {
      const file = write(
        'ok.json',
        JSON.stringify({
          plans: [
            { id: 'pro', features: ['auto_trading'], stripe: { price_ids: ['price_1'] } },
            { id: 'lite', paystack: { plan_code: 'PLN_lite', amount: 500_000, currency: 'GHS', interval_days: 30 } },
          ],
        }),
      );
      const catalog = PlanCatalog.fromFile(file);
      expect(catalog.featuresOf('pro')).toEqual(['auto_trading']);
      expect(catalog.get('lite')?.features).toEqual([]); // features default to []
      expect(catalog.byStripePrices(['price_1'])?.id).toBe('pro');
      expect(catalog.byPaystackPlanCode('PLN_lite')?.id).toBe('lite');
      expect(catalog.get('free')).toEqual({ id: 'free', features: [] });
    });

    it('names the file when it is not JSON', () => {
      const file = write('broken.json', '{ "plans": [ { "id": "pro", } ');
      expect(() => PlanCatalog.fromFile(file)).toThrow(file);
      expect(() => PlanCatalog.fromFile(file)).toThrow(/JSON/);
    });

    it('names the file when it is empty', () => {
      const file = write('empty.json', '');
      expect(() => PlanCatalog.fromFile(file)).toThrow(file);
    });

    it('names the file when it does not exist', () => {
      const file = path.join(dir, 'missing.json');
      expect(() => PlanCatalog.fromFile(file)).toThrow(file);
    });

    const invalid: Array<[string, unknown]> = [
      ['no plans key', { plan: [] }],
      ['plans is not an array', { plans: { id: 'pro' } }],
      ['an id with capitals', { plans: [{ id: 'Pro' }] }],
      ['an id with spaces', { plans: [{ id: 'pro plan' }] }],
      ['an empty feature name', { plans: [{ id: 'pro', features: [''] }] }],
      ['an empty Stripe price list', { plans: [{ id: 'pro', stripe: { price_ids: [] } }] }],
      ['a fractional Paystack amount', { plans: [{ id: 'pro', paystack: { amount: 15000.5, currency: 'NGN', interval_days: 30 } }] }],
      ['a zero Paystack amount', { plans: [{ id: 'pro', paystack: { amount: 0, currency: 'NGN', interval_days: 30 } }] }],
      ['a currency that is not 3 letters', { plans: [{ id: 'pro', paystack: { amount: 100, currency: 'NAIRA', interval_days: 30 } }] }],
      ['a missing interval', { plans: [{ id: 'pro', paystack: { amount: 100, currency: 'NGN' } }] }],
      ['a JSON array at the top', [{ id: 'pro' }]],
    ];
    it.each(invalid)('names the file on a schema error: %s', (label, content) => {
      const file = write(`invalid-${label.replace(/\W+/g, '-')}.json`, JSON.stringify(content));
      let error: unknown;
      try {
        PlanCatalog.fromFile(file);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(/invalid/);
    });

    it('rejects a duplicate id in a file', () => {
      const file = write('dup.json', JSON.stringify({ plans: [{ id: 'pro' }, { id: 'pro' }] }));
      expect(() => PlanCatalog.fromFile(file)).toThrow(/pro/);
    });
  });

  describe('the checked-in plans.json', () => {
    const catalog = PlanCatalog.fromFile(path.join(__dirname, '..', 'plans.json'));

    it('loads, and pro has auto_trading', () => {
      expect(catalog.get('pro')).toBeDefined();
      expect(catalog.featuresOf('pro')).toContain('auto_trading');
    });

    it('has a free plan', () => {
      expect(catalog.get('free')).toBeDefined();
    });

    it('resolves pro by its Stripe price and its Paystack plan code', () => {
      const pro = catalog.get('pro')!;
      expect(pro.stripe?.price_ids.length).toBeGreaterThan(0);
      expect(catalog.byStripePrices(pro.stripe!.price_ids)?.id).toBe('pro');
      expect(pro.paystack?.plan_code).toBeDefined();
      expect(catalog.byPaystackPlanCode(pro.paystack!.plan_code)?.id).toBe('pro');
    });
  });
});
