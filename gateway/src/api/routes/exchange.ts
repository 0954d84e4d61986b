import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime } from '../paging';
import { withFieldErrors } from '../rpc-fields';

const modeSchema = z.enum(['paper', 'okx-demo', 'okx']);

const statusSchema = z.object({
  exchange: z.literal('okx'),
  mode: modeSchema,
  apiKeyHint: z.string().optional().meta({ description: 'last 4 characters of the API key; keys are never returned' }),
  keyStatus: z.enum(['not_set', 'unchecked', 'ok', 'rejected']),
  rejectedCode: z.string().optional().meta({ description: 'OKX\u2019s code when rejected (e.g. 50111)' }),
  checkedAt: isoTime.optional(),
});

const credential = z.string().trim().min(1, 'is required for OKX modes').max(256);
const putBody = z
  .strictObject({ mode: modeSchema, apiKey: credential.optional(), apiSecret: credential.optional(), passphrase: credential.optional() })
  .superRefine((b, ctx) => {
    if (b.mode === 'paper') return;
    for (const field of ['apiKey', 'apiSecret', 'passphrase'] as const) {
      if (b[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for mode ${b.mode}` });
    }
  });

/** The exchange account: mode, write-only keys, their status, and a connection test. */
export function exchangeRoutes({ clients }: ApiDeps): ApiRoute[] {
  const status = async (userId: string): Promise<z.input<typeof statusSchema>> => {
    const s = await clients.trading.getExchangeStatus({ userId });
    return {
      exchange: 'okx',
      mode: modeSchema.catch('paper').parse(s.mode),
      apiKeyHint: s.apiKeyHint || undefined,
      keyStatus: z.enum(['not_set', 'unchecked', 'ok', 'rejected']).catch('unchecked').parse(s.keyStatus),
      rejectedCode: s.rejectedCode || undefined,
      checkedAt: iso(s.checkedAt),
    };
  };
  return [
    defineRoute({
      method: 'get',
      path: '/exchange',
      summary: 'Exchange mode, key hint and key status',
      tags: ['exchange'],
      auth: 'user',
      response: statusSchema,
      handler: async ({ userId }) => status(userId),
    }),
    defineRoute({
      method: 'put',
      path: '/exchange',
      summary: 'Set the mode and (for okx-demo/okx) the API keys; keys are write-only',
      description: 'Saving keys resets the key status to unchecked. Paper mode needs no keys and removes saved ones.',
      tags: ['exchange'],
      auth: 'user',
      body: putBody,
      response: statusSchema,
      handler: async ({ userId, body }) => {
        await withFieldErrors(
          clients.trading.setExchangeCredentials({ userId, exchange: 'okx', mode: body.mode, apiKey: body.apiKey ?? '', apiSecret: body.apiSecret ?? '', passphrase: body.passphrase ?? '' }),
        );
        return status(userId);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/exchange/test',
      summary: 'Ask the exchange for the balance with the saved keys',
      description: 'ok false with code keys_rejected (then keyStatus is rejected), exchange_unavailable or exchange_error.',
      tags: ['exchange'],
      auth: 'user',
      response: z.object({
        ok: z.boolean(),
        code: z.string().optional(),
        message: z.string().optional(),
        balances: z.array(z.object({ currency: z.string(), total: z.number(), free: z.number() })),
      }),
      handler: async ({ userId }) => {
        const r = await clients.trading.testExchangeConnection({ userId });
        return {
          ok: r.ok,
          code: r.code || undefined,
          message: r.message || undefined,
          balances: r.balances.map((b) => ({ currency: b.currency, total: b.total, free: b.free })),
        };
      },
    }),
  ];
}
