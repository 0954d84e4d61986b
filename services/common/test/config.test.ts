import { z } from 'zod';
import { commonConfigShape, ConfigError, env, loadConfig } from '../src/config';

const schema = z.object({
  ...commonConfigShape,
  PORT: env.port(8080),
  MONGODB_URI: z.string().min(1),
  API_BASE: z.url().default('https://api.example.com'),
  STRIPE_SECRET_KEY: z.string().startsWith('sk_').min(20).optional(),
  WEBHOOK_SECRET: z.string().min(32).optional(),
  DEBUG: env.bool(false),
  STRICT: env.bool(true),
  ORIGINS: env.list().optional(),
  RETRIES: env.positiveInt(3),
});

const valid = { MONGODB_URI: 'mongodb://127.0.0.1:27017/tbot' };

/** Runs loadConfig expecting a ConfigError, and returns it. */
function configError(e: NodeJS.ProcessEnv, s: z.ZodObject = schema): ConfigError {
  try {
    loadConfig(s, e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig did not throw');
}

/** Everything a ConfigError could show: message, stack, problems, serialisation. */
const everything = (err: ConfigError) => [err.message, String(err), err.stack ?? '', JSON.stringify(err), ...err.problems].join('\n');

describe('loadConfig', () => {
  it('reads values and applies defaults', () => {
    const c = loadConfig(schema, { ...valid, PORT: '9000', DEBUG: 'yes' });
    expect(c).toEqual({
      LOG_LEVEL: 'info',
      NATS_URL: 'nats://127.0.0.1:4222',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      PORT: 9000,
      MONGODB_URI: 'mongodb://127.0.0.1:27017/tbot',
      API_BASE: 'https://api.example.com',
      STRIPE_SECRET_KEY: undefined,
      WEBHOOK_SECRET: undefined,
      DEBUG: true,
      STRICT: true,
      ORIGINS: undefined,
      RETRIES: 3,
    });
  });

  it('ignores variables the schema does not name', () => {
    const c = loadConfig(z.object({ A: z.string() }), { A: 'a', B: 'b', PATH: '/usr/bin' });
    expect(c).toEqual({ A: 'a' });
  });

  it('reads process.env by default', () => {
    const key = 'TBOT_CONFIG_TEST_VALUE';
    process.env[key] = 'from-process-env';
    try {
      expect(loadConfig(z.object({ [key]: z.string() }))).toEqual({ [key]: 'from-process-env' });
    } finally {
      delete process.env[key];
    }
  });

  describe('missing variables', () => {
    it('names a missing required variable', () => {
      const err = configError({});
      expect(err.name).toBe('ConfigError');
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain('MONGODB_URI');
      expect(err.message).toMatch(/MONGODB_URI is required but not set/);
      expect(err.problems).toEqual(['MONGODB_URI is required but not set']);
    });

    it('treats an empty variable as unset', () => {
      const err = configError({ MONGODB_URI: '' });
      expect(err.problems).toEqual(['MONGODB_URI is required but not set']);
    });

    it('names every bad variable at once', () => {
      const err = configError({ PORT: 'eighty', RETRIES: '0' });
      expect(err.problems).toHaveLength(3);
      expect(err.message).toContain('MONGODB_URI');
      expect(err.message).toContain('PORT');
      expect(err.message).toContain('RETRIES');
    });
  });

  describe('empty strings', () => {
    it('let defaults apply', () => {
      const c = loadConfig(schema, {
        ...valid,
        PORT: '',
        LOG_LEVEL: '',
        NATS_URL: '',
        API_BASE: '',
        DEBUG: '',
        STRICT: '',
        RETRIES: '',
      });
      expect(c.PORT).toBe(8080);
      expect(c.LOG_LEVEL).toBe('info');
      expect(c.NATS_URL).toBe('nats://127.0.0.1:4222');
      expect(c.API_BASE).toBe('https://api.example.com');
      expect(c.DEBUG).toBe(false);
      expect(c.STRICT).toBe(true);
      expect(c.RETRIES).toBe(3);
    });

    it('leave optional variables undefined instead of failing their checks', () => {
      const c = loadConfig(schema, { ...valid, STRIPE_SECRET_KEY: '', WEBHOOK_SECRET: '', ORIGINS: '' });
      expect(c.STRIPE_SECRET_KEY).toBeUndefined();
      expect(c.WEBHOOK_SECRET).toBeUndefined();
      expect(c.ORIGINS).toBeUndefined();
    });
  });

  describe('invalid values are never echoed', () => {
    const cases: Array<[string, string]> = [
      ['STRIPE_SECRET_KEY', 'pk_live_51HxYzSuperSecretValue0001'],
      ['STRIPE_SECRET_KEY', 'sk_live_tooShort'],
      ['WEBHOOK_SECRET', 'whsec_short_but_secret_9f8e7d'],
      ['API_BASE', 'not-a-url-secretToken123'],
      ['PORT', 'secret-port-value-77'],
      ['PORT', '65536'],
      ['DEBUG', 'TRUE-secret-flag'],
      ['LOG_LEVEL', 'verbose-secret-level'],
      ['RETRIES', '-12345678'],
    ];

    it.each(cases)('%s=%s is named but its value is not shown', (name, value) => {
      const err = configError({ ...valid, [name]: value });
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(new RegExp(`^${name} is invalid`));
      expect(err.message).toContain(name);
      expect(everything(err)).not.toContain(value);
    });

    it('shows none of several invalid values', () => {
      const bad = {
        MONGODB_URI: 'mongodb://admin:hunter2-db-password@db:27017',
        STRIPE_SECRET_KEY: 'rk_live_51HxYzRestrictedSecret',
        WEBHOOK_SECRET: 'whsec_abcdefSECRET',
        PORT: 'p0rt-s3cret',
      };
      const err = configError(bad);
      const text = everything(err);
      expect(err.problems).toHaveLength(3);
      for (const name of ['STRIPE_SECRET_KEY', 'WEBHOOK_SECRET', 'PORT']) expect(text).toContain(name);
      for (const value of Object.values(bad)) expect(text).not.toContain(value);
      // Nor any tell-tale fragment of a secret.
      expect(text).not.toMatch(/hunter2|s3cret|Restricted/);
    });
  });

  it('rejects out-of-range numbers', () => {
    expect(configError({ ...valid, PORT: '-1' }).problems[0]).toMatch(/^PORT is invalid/);
    expect(configError({ ...valid, PORT: '80.5' }).problems[0]).toMatch(/^PORT is invalid/);
    expect(configError({ ...valid, RETRIES: '0' }).problems[0]).toMatch(/^RETRIES is invalid/);
  });

  it('accepts port 0 and 65535', () => {
    expect(loadConfig(schema, { ...valid, PORT: '0' }).PORT).toBe(0);
    expect(loadConfig(schema, { ...valid, PORT: '65535' }).PORT).toBe(65535);
  });
});

describe('env.list', () => {
  const s = z.object({ L: env.list() });

  it('splits on commas and trims', () => {
    expect(loadConfig(s, { L: ' a, b ,c ' }).L).toEqual(['a', 'b', 'c']);
  });

  it('drops blanks', () => {
    expect(loadConfig(s, { L: 'a,,b, ,c,' }).L).toEqual(['a', 'b', 'c']);
    expect(loadConfig(s, { L: ' , ,' }).L).toEqual([]);
  });

  it('keeps a single value', () => {
    expect(loadConfig(s, { L: 'https://app.example.com' }).L).toEqual(['https://app.example.com']);
  });

  it('is required unless marked optional', () => {
    expect(configError({}, s).problems).toEqual(['L is required but not set']);
    expect(configError({ L: '' }, s).problems).toEqual(['L is required but not set']);
  });

  it('works through parse directly', () => {
    expect(env.list().parse('x , y')).toEqual(['x', 'y']);
  });
});

describe('env.bool', () => {
  const s = z.object({ B: env.bool(false), T: env.bool(true) });

  it.each(['true', '1', 'yes'])('reads %s as true', (v) => {
    expect(loadConfig(s, { B: v }).B).toBe(true);
  });

  it.each(['false', '0', 'no'])('reads %s as false', (v) => {
    expect(loadConfig(s, { T: v }).T).toBe(false);
  });

  it('uses the fallback when unset or empty', () => {
    expect(loadConfig(s, {})).toEqual({ B: false, T: true });
    expect(loadConfig(s, { B: '', T: '' })).toEqual({ B: false, T: true });
  });

  it.each(['maybe', 'on', 'TRUE', ' true', '2'])('does not silently read %p: it is an error naming the variable', (v) => {
    const err = configError({ B: v }, s);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^B is invalid/);
  });
});

describe('env helpers', () => {
  it('port coerces and defaults', () => {
    expect(env.port(3000).parse(undefined)).toBe(3000);
    expect(env.port(3000).parse('4000')).toBe(4000);
    expect(env.port(3000).safeParse('70000').success).toBe(false);
  });

  it('positiveInt coerces and defaults', () => {
    expect(env.positiveInt(5).parse(undefined)).toBe(5);
    expect(env.positiveInt(5).parse('7')).toBe(7);
    expect(env.positiveInt(5).safeParse('0').success).toBe(false);
    expect(env.positiveInt(5).safeParse('1.5').success).toBe(false);
  });

  it('url accepts URLs only', () => {
    expect(env.url().safeParse('https://api.paystack.co').success).toBe(true);
    expect(env.url().safeParse('api.paystack.co').success).toBe(false);
  });

  it('logLevel defaults to info and accepts the pino levels', () => {
    expect(env.logLevel().parse(undefined)).toBe('info');
    for (const l of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) expect(env.logLevel().parse(l)).toBe(l);
    expect(env.logLevel().safeParse('verbose').success).toBe(false);
  });
});

describe('ConfigError', () => {
  it('lists each problem on its own line', () => {
    const err = new ConfigError(['A is required but not set', 'B is invalid: x']);
    expect(err.message).toBe('invalid configuration:\n  A is required but not set\n  B is invalid: x');
    expect(err.problems).toEqual(['A is required but not set', 'B is invalid: x']);
    expect(err.name).toBe('ConfigError');
  });
});
