import { z } from 'zod';

/**
 * `?pageSize=` (1..200, default 50) and `?pageToken=` of every paged route. Spread into a
 * route's query: `query: z.object({ ...pageQuery, symbol: z.string().optional() })`.
 */
export const pageQuery = {
  pageSize: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'items per page (1..200)' }),
  pageToken: z.string().max(512).default('').meta({ description: 'nextPageToken of the previous page; empty for the first' }),
};

/** A page of `items` under `key`, with the token of the next page ("" when done). */
export function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.object({ [key]: z.array(item), nextPageToken: z.string().meta({ description: '"" when there is no next page' }) } as { [P in K]: z.ZodArray<T> } & {
    nextPageToken: z.ZodString;
  });
}

/** A timestamp as the API writes it: ISO-8601 UTC. */
export const isoTime = z.iso.datetime();

/** A protobuf Timestamp (or its absence) as an ISO string (or undefined). */
export function iso(ts: { seconds: bigint; nanos: number } | undefined): string | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}
