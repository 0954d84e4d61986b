import { readFileSync } from 'node:fs';
import { z } from 'zod';

const planSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]{1,40}$/),
  features: z.array(z.string().min(1)).default([]),
  stripe: z.object({ price_ids: z.array(z.string().min(1)).min(1) }).optional(),
  paystack: z
    .object({
      plan_code: z.string().min(1).optional(),
      amount: z.number().int().positive(), // subunits (kobo, pesewas, cents)
      currency: z.string().length(3),
      interval_days: z.number().int().positive(),
    })
    .optional(),
});

const plansFileSchema = z.object({ plans: z.array(planSchema) });

export type Plan = z.infer<typeof planSchema>;

export const FREE_PLAN = 'free';

export class PlanCatalog {
  private readonly byId = new Map<string, Plan>();
  private readonly byStripePrice = new Map<string, Plan>();
  private readonly byPaystackCode = new Map<string, Plan>();

  constructor(plans: Plan[]) {
    for (const plan of plans) {
      if (this.byId.has(plan.id)) throw new Error(`plan ${plan.id} is listed twice`);
      this.byId.set(plan.id, plan);
      for (const price of plan.stripe?.price_ids ?? []) {
        if (this.byStripePrice.has(price)) throw new Error(`Stripe price ${price} is listed in two plans`);
        this.byStripePrice.set(price, plan);
      }
      const code = plan.paystack?.plan_code;
      if (code) {
        if (this.byPaystackCode.has(code)) throw new Error(`Paystack plan code ${code} is listed in two plans`);
        this.byPaystackCode.set(code, plan);
      }
    }
    if (!this.byId.has(FREE_PLAN)) this.byId.set(FREE_PLAN, { id: FREE_PLAN, features: [] });
  }

  static fromFile(file: string): PlanCatalog {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`PLANS_FILE ${file} cannot be read as JSON: ${(err as Error).message}`);
    }
    const parsed = plansFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`PLANS_FILE ${file} is invalid: ${z.prettifyError(parsed.error)}`);
    }
    try {
      return new PlanCatalog(parsed.data.plans);
    } catch (err) {
      throw new Error(`PLANS_FILE ${file} is invalid: ${(err as Error).message}`);
    }
  }

  /** Every plan, in the file's order ("free" too). */
  list(): Plan[] {
    return [...this.byId.values()];
  }

  get(id: string): Plan | undefined {
    return this.byId.get(id);
  }

  /** The first price that names a plan decides (a subscription has one plan item). */
  byStripePrices(priceIds: string[]): Plan | undefined {
    for (const price of priceIds) {
      const plan = this.byStripePrice.get(price);
      if (plan) return plan;
    }
    return undefined;
  }

  byPaystackPlanCode(code: string | undefined): Plan | undefined {
    return code ? this.byPaystackCode.get(code) : undefined;
  }

  featuresOf(planId: string): string[] {
    return this.byId.get(planId)?.features ?? [];
  }
}
