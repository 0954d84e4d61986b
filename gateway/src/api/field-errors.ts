import { z } from 'zod';

/** A request's bad fields: one message per field path ("maxLeverage", "allowedSymbols.2"). */
export type FieldErrors = Record<string, string>;

/**
 * The per-parse error map: plain words a trader can read next to the field. A message
 * given in a schema (`.max(125, 'must be between 1 and 125')`) wins over these.
 */
export function fieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)}`;
    case 'too_small':
      return bound('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'has an invalid format' : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    default:
      return undefined;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array' || expected === 'object') return `an ${expected}`;
  return `a ${expected}`;
}

function bound(word: 'at least' | 'at most', origin: string, limit: number | bigint | Date, inclusive: boolean | undefined): string {
  const n = limit instanceof Date ? limit.toISOString() : String(limit);
  const strict = inclusive === false ? (word === 'at least' ? `greater than ${n}` : `less than ${n}`) : `${word} ${n}`;
  if (origin === 'string') return `must have ${strict} characters`;
  if (origin === 'array' || origin === 'set') return `must have ${strict} items`;
  return `must be ${strict}`;
}

/**
 * Issues to the `fields` map of a 400 answer. `root` names an issue about the whole value
 * (a body that is not an object); unknown keys get one entry each, under their own path.
 */
export function fieldErrors(error: z.ZodError, root: string): FieldErrors {
  const fields: FieldErrors = {};
  const put = (path: PropertyKey[], message: string) => {
    const key = path.length === 0 ? root : path.map(String).join('.');
    fields[key] ??= message; // the first problem of a field is the one to fix first
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) put([...issue.path, key], issue.message);
    else put(issue.path, issue.message);
  }
  return fields;
}

/** "maxLeverage: must be at most 125; name: is required" (first few), for the message. */
export function summarize(fields: FieldErrors, max = 3): string {
  const entries = Object.entries(fields);
  const shown = entries.slice(0, max).map(([k, v]) => `${k}: ${v}`).join('; ');
  return entries.length > max ? `${shown}; and ${entries.length - max} more` : shown;
}
