import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, sendJson, type TestServer } from './http-server';

/**
 * OKX's v5 REST API, as far as the trading service uses it through ccxt's `okx` class.
 *
 * The point of this fake is that the real, unmodified ccxt client runs against it, so the
 * trading service's tests exercise ccxt's request building, signing and error mapping too.
 * That is why it checks what OKX checks (signature, timestamp window, passphrase, demo/live
 * environment, order parameters, balances) and answers with OKX's real envelopes:
 *
 *   success:                {"code":"0","msg":"","data":[...]}
 *   auth failures:          HTTP 401 {"msg":"Invalid Sign","code":"50113"}
 *   business errors:        {"code":"51603","msg":"Order does not exist","data":[]}
 *   order placement errors: {"code":"1","msg":"All operations failed","data":[{"sCode":"51008","sMsg":"…",…}]}
 *
 * ccxt maps `sCode` (and then `code`) through okx.js's `exceptions.exact` table, so the
 * codes below were chosen to be the ones OKX really sends for each situation.
 *
 * Point ccxt at it with {@link FakeOkx.ccxtConfig}: okx.js builds every URL from
 * `urls.api.rest` (normally `https://{hostname}`), and `setSandboxMode(true)` swaps in
 * `urls.test`, so both must name the fake. Sandbox mode in ccxt keeps the host and only
 * adds the `x-simulated-trading: 1` header, which is what {@link FakeOkx.demo} checks.
 *
 * Simplifications (deliberate, so tests stay deterministic): market orders fill at once,
 * in full, at the ticker's last price; limit orders rest until {@link FakeOkx.setPrice}
 * crosses them (or fill at once at the last price if already marketable); the account is in
 * "spot and futures" mode with net (one-way) positions and cross margin.
 */

export interface FakeOkxOptions {
  apiKey: string;
  secret: string;
  passphrase: string;
  /** Start in demo-trading mode (see {@link FakeOkx.demo}). */
  demo?: boolean;
}

export interface OkxRecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v5/trade/order`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, if any. */
  body: unknown;
  rawBody: string;
  at: number;
}

export type OkxOrderState = 'live' | 'partially_filled' | 'filled' | 'canceled';

/** An order as the fake stores it (numbers unformatted); `toWire` turns it into OKX's shape. */
export interface FakeOkxOrder {
  ordId: string;
  clOrdId: string;
  tag: string;
  instId: string;
  instType: 'SPOT' | 'SWAP';
  side: 'buy' | 'sell';
  ordType: 'market' | 'limit';
  /** As sent: base currency, quote currency (spot market with tgtCcy=quote_ccy) or contracts. */
  sz: number;
  px?: number;
  tdMode: string;
  /** Only for spot market orders, as OKX reports it; '' otherwise. */
  tgtCcy: '' | 'base_ccy' | 'quote_ccy';
  reduceOnly: boolean;
  state: OkxOrderState;
  /** Base currency for spot, contracts for swaps. */
  accFillSz: number;
  avgPx?: number;
  /** Negative when charged, in feeCcy — OKX's sign convention. */
  fee: number;
  feeCcy: string;
  /** Realised PnL of a swap fill that reduced a position. */
  pnl: number;
  lever?: number;
  cTime: number;
  uTime: number;
  fillTime?: number;
  tradeId: string;
  /** Funds held while the order rests, released on fill or cancel. */
  frozen?: { ccy: string; amount: number };
  /** The stop-loss / take-profit attached to it (`attachAlgoOrds`), as sent. */
  attachAlgoOrds: FakeAttachedAlgo[];
}

/** One entry of an order's `attachAlgoOrds`: OKX places these once the order fills. */
export interface FakeAttachedAlgo {
  tpTriggerPx?: number;
  /** -1: a market order when triggered. */
  tpOrdPx?: number;
  tpTriggerPxType?: string;
  slTriggerPx?: number;
  slOrdPx?: number;
  slTriggerPxType?: string;
}

interface InstrumentSpec {
  instId: string;
  instType: 'SPOT' | 'SWAP';
  base: string;
  quote: string;
  /** Settlement currency for swaps (always the quote currency here: linear contracts). */
  settle: string;
  /** Base currency per contract (swaps); 1 for spot so sizes convert uniformly. */
  ctVal: number;
  lotSz: number;
  minSz: number;
  tickSz: number;
  maxLever: number;
  listTime: string;
}

interface Position {
  /** Signed contracts: positive long, negative short (net mode). */
  pos: number;
  avgPx: number;
  posId: string;
  cTime: number;
  uTime: number;
  realizedPnl: number;
  fee: number;
  tradeId: string;
}

interface Reply {
  status: number;
  body: unknown;
  /** Set on order-placement answers, the only ones failNextOrderWithTimeout swallows. */
  placement?: boolean;
}

/** Sizes follow the brief's instrument table, not today's exact OKX values, so tests can rely on them. */
const INSTRUMENTS: readonly InstrumentSpec[] = [
  { instId: 'BTC-USDT', instType: 'SPOT', base: 'BTC', quote: 'USDT', settle: '', ctVal: 1, lotSz: 0.00000001, minSz: 0.00001, tickSz: 0.1, maxLever: 10, listTime: '1548133413000' },
  { instId: 'ETH-USDT', instType: 'SPOT', base: 'ETH', quote: 'USDT', settle: '', ctVal: 1, lotSz: 0.00000001, minSz: 0.00001, tickSz: 0.1, maxLever: 10, listTime: '1548133413000' },
  { instId: 'BTC-USDT-SWAP', instType: 'SWAP', base: 'BTC', quote: 'USDT', settle: 'USDT', ctVal: 0.01, lotSz: 1, minSz: 1, tickSz: 0.1, maxLever: 100, listTime: '1573557408000' },
  { instId: 'ETH-USDT-SWAP', instType: 'SWAP', base: 'ETH', quote: 'USDT', settle: 'USDT', ctVal: 0.1, lotSz: 1, minSz: 1, tickSz: 0.01, maxLever: 100, listTime: '1573557408000' },
];

const DEFAULT_PRICES: Record<string, number> = {
  'BTC-USDT': 60_000,
  'ETH-USDT': 3_000,
  'BTC-USDT-SWAP': 60_000,
  'ETH-USDT-SWAP': 3_000,
};

/** OKX's regular-tier fee rates; fees are charged, so they appear negative on orders. */
const FEE_RATES = { SPOT: { taker: 0.001, maker: 0.0008 }, SWAP: { taker: 0.0005, maker: 0.0002 } } as const;
/** Maintenance margin rate used for the `mmr` field of positions; only cosmetic here. */
const MMR_RATE = 0.004;
/** Cross leverage of a swap until set-leverage changes it. */
const DEFAULT_LEVERAGE = 10;
/** OKX rejects requests whose OK-ACCESS-TIMESTAMP is more than 30 s away from its clock. */
const TIMESTAMP_WINDOW_MS = 30_000;
/** A swallowed response is dropped anyway after this long, so a client without a timeout cannot hang a test run forever. */
const MAX_HOLD_MS = 120_000;

const CURRENCY_CHAINS: Record<string, Array<{ chain: string; name: string; minWd: string; fee: string; wdTickSz: string }>> = {
  BTC: [{ chain: 'BTC-Bitcoin', name: 'Bitcoin', minWd: '0.0005', fee: '0.0001', wdTickSz: '8' }],
  ETH: [{ chain: 'ETH-ERC20', name: 'Ethereum', minWd: '0.001', fee: '0.0005', wdTickSz: '8' }],
  USDT: [
    { chain: 'USDT-TRC20', name: 'Tether', minWd: '2', fee: '1', wdTickSz: '6' },
    { chain: 'USDT-ERC20', name: 'Tether', minWd: '10', fee: '3', wdTickSz: '6' },
  ],
};

export class FakeOkx {
  /**
   * Which OKX environment the API key belongs to. OKX's demo-trading keys only work with
   * `x-simulated-trading: 1` and live keys only without it; either mismatch is 50101.
   */
  demo: boolean;
  /** Delays every answer on /api/v5/trade/* by this much (after the work is done), to play a slow exchange. */
  delayMs = 0;
  readonly requests: OkxRecordedRequest[] = [];
  /** Leverage per swap instId, as set through /api/v5/account/set-leverage. */
  readonly leverage = new Map<string, number>();

  private server?: TestServer;
  private readonly instruments = new Map<string, InstrumentSpec>(INSTRUMENTS.map((i) => [i.instId, i]));
  private readonly prices = new Map<string, number>(Object.entries(DEFAULT_PRICES));
  /** Cash balance per currency (OKX's cashBal); frozen amounts and margin are derived. */
  private readonly cash = new Map<string, number>();
  private readonly positionsByInst = new Map<string, Position>();
  private readonly ordersById = new Map<string, FakeOkxOrder>();
  // Order and trade ids look like OKX's: long decimal strings, increasing.
  private nextOrdId = 2_000_000_000_000_000_000n;
  private nextTradeId = 900_000_000;
  private nextPosId = 700_000_000_000_000_000n;
  private timeoutsToInject = 0;
  private readonly held = new Set<ServerResponse>();

  constructor(private opts: FakeOkxOptions) {
    this.demo = opts.demo ?? false;
  }

  /**
   * The account's API key is now this one: as when a user deletes a key at OKX and makes
   * another, a request signed with the old key is answered 401 `50111 Invalid OK-ACCESS-KEY`,
   * a right key with the wrong passphrase `50105`, a wrong secret `50113 Invalid Sign` (the
   * checks of {@link authenticate}, in OKX's order).
   */
  setCredentials(creds: { apiKey: string; secret: string; passphrase: string }): void {
    this.opts = { ...this.opts, ...creds };
  }

  get url(): string {
    if (!this.server) throw new Error('FakeOkx not started');
    return this.server.url;
  }

  /** Stored orders in placement order, for assertions. */
  get orders(): FakeOkxOrder[] {
    return [...this.ordersById.values()];
  }

  /**
   * Constructor config for `new ccxt.okx({...fake.ccxtConfig(), ...})`. Both `api` and `test`
   * URLs point here because ccxt's setSandboxMode swaps `urls.test` in; no `{hostname}`
   * placeholder, so ccxt's `hostname` is irrelevant.
   */
  ccxtConfig(): { apiKey: string; secret: string; password: string; urls: { api: { rest: string }; test: { rest: string } } } {
    return {
      apiKey: this.opts.apiKey,
      secret: this.opts.secret,
      password: this.opts.passphrase,
      urls: { api: { rest: this.url }, test: { rest: this.url } },
    };
  }

  async start(): Promise<this> {
    this.server = await listen((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) sendJson(res, 500, { code: '50026', msg: `System error: ${String(err)}`, data: [] });
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    await this.server?.close();
  }

  /** Sets the last price of an instrument; resting limit orders it crosses fill at their own price. */
  setPrice(instId: string, price: number): void {
    this.spec(instId);
    this.prices.set(instId, price);
    for (const order of this.ordersById.values()) {
      if (order.instId !== instId || order.state !== 'live' || order.px === undefined) continue;
      if ((order.side === 'buy' && price <= order.px) || (order.side === 'sell' && price >= order.px)) {
        this.fill(order, order.px, false);
      }
    }
  }

  price(instId: string): number {
    const p = this.prices.get(instId);
    if (p === undefined) throw new Error(`no price for ${instId}`);
    return p;
  }

  /** Sets the cash balance of a currency in the trading account. */
  setBalance(ccy: string, amount: number): void {
    this.cash.set(ccy, amount);
  }

  /** Cash, amount held by resting orders and margin, and what is available for new orders. */
  balance(ccy: string): { cash: number; frozen: number; available: number } {
    const cash = this.cash.get(ccy) ?? 0;
    const frozen = this.orderFrozen(ccy) + this.marginUsed(ccy);
    return { cash, frozen, available: this.available(ccy) };
  }

  /** Net position of a swap in contracts (negative when short, 0 when flat). */
  position(instId: string): number {
    return this.positionsByInst.get(instId)?.pos ?? 0;
  }

  /**
   * The next `n` order placements (trade/order or trade/batch-orders) are processed as usual —
   * orders are created and stored — but their HTTP response is never sent: the socket is held
   * until the client gives up and then destroyed. This plays "the exchange placed the order but
   * the answer was lost", which a retry must resolve by looking the order up by clOrdId.
   */
  failNextOrderWithTimeout(n = 1): void {
    this.timeoutsToInject += n;
  }

  // ---------------------------------------------------------------------------------------
  // HTTP plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, 'http://x');
    const method = req.method ?? 'GET';
    const rawBody = (await readBody(req)).toString('utf8');
    let body: unknown;
    let badJson = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        badJson = true;
      }
    }
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body,
      rawBody,
      at: Date.now(),
    });

    const path = url.pathname;
    const isPrivate = /^\/api\/v5\/(account|trade|asset)\//.test(path);
    let reply: Reply | undefined;
    if (isPrivate) reply = this.authenticate(req, method, rawUrl, rawBody);
    if (!reply && method === 'POST') {
      // OKX validates the body only after the signature (the body is part of what is signed).
      if (!/application\/json/i.test(req.headers['content-type'] ?? '')) {
        reply = fail('50006', 'Invalid Content-Type, please use "application/json" format', 400);
      } else if (rawBody.length === 0) {
        reply = fail('50000', 'Body for POST request cannot be empty.', 400);
      } else if (badJson) {
        reply = fail('50002', 'JSON syntax error', 400);
      }
    }
    reply ??= this.route(method, path, url.searchParams, body);

    if (reply.placement && this.timeoutsToInject > 0) {
      this.timeoutsToInject--;
      this.hold(res);
      return;
    }
    if (path.startsWith('/api/v5/trade/') && this.delayMs > 0) {
      await new Promise((r) => setTimeout(r, this.delayMs));
    }
    // The client may have given up during the delay; writing to a dead socket is pointless.
    if (!res.destroyed) sendJson(res, reply.status, reply.body);
  }

  /** Keeps the request open without answering, then drops the connection once the client has left. */
  private hold(res: ServerResponse): void {
    this.held.add(res);
    const release = () => {
      clearTimeout(timer);
      this.held.delete(res);
      res.destroy();
    };
    const timer = setTimeout(release, MAX_HOLD_MS);
    timer.unref();
    res.on('close', release);
  }

  /** OKX's private-endpoint checks, in the order OKX applies them; undefined when the request passes. */
  private authenticate(req: IncomingMessage, method: string, requestPath: string, rawBody: string): Reply | undefined {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const key = header('ok-access-key');
    const sign = header('ok-access-sign');
    const timestamp = header('ok-access-timestamp');
    const passphrase = header('ok-access-passphrase');
    if (!key) return authFail('50103', 'Request header OK-ACCESS-KEY can not be empty.');
    if (!sign) return authFail('50106', 'Request header OK-ACCESS-SIGN can not be empty.');
    if (!timestamp) return authFail('50107', 'Request header OK-ACCESS-TIMESTAMP can not be empty.');
    if (!passphrase) return authFail('50104', 'Request header OK-ACCESS-PASSPHRASE can not be empty.');
    // OKX wants an ISO-8601 UTC timestamp with milliseconds, e.g. 2020-12-08T09:08:57.715Z.
    const ts = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(timestamp) ? Date.parse(timestamp) : NaN;
    if (Number.isNaN(ts)) return authFail('50112', 'Invalid OK-ACCESS-TIMESTAMP');
    if (Math.abs(Date.now() - ts) > TIMESTAMP_WINDOW_MS) return authFail('50102', 'Timestamp request expired');
    if (key !== this.opts.apiKey) return authFail('50111', 'Invalid OK-ACCESS-KEY');
    // Demo keys live in a separate environment selected by this header, so a key used against
    // the wrong one is "unknown" there: OKX answers 50101 rather than a signature error.
    const simulated = header('x-simulated-trading') === '1';
    if (simulated !== this.demo) return authFail('50101', 'APIKey does not match current environment.');
    if (passphrase !== this.opts.passphrase) return authFail('50105', 'Request header OK-ACCESS-PASSPHRASE incorrect.');
    // prehash = timestamp + METHOD + requestPath (with query string, exactly as sent) + body.
    const expected = createHmac('sha256', this.opts.secret).update(timestamp + method.toUpperCase() + requestPath + rawBody).digest();
    const given = Buffer.from(sign, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return authFail('50113', 'Invalid Sign');
    return undefined;
  }

  private route(method: string, path: string, q: URLSearchParams, body: unknown): Reply {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /api/v5/public/time':
        return ok([{ ts: String(Date.now()) }]);
      case 'GET /api/v5/public/instruments':
        return this.getInstruments(q);
      case 'GET /api/v5/market/ticker':
        return this.getTicker(q);
      case 'GET /api/v5/market/tickers':
        return this.getTickers(q);
      case 'GET /api/v5/asset/currencies':
        return this.getCurrencies(q);
      case 'GET /api/v5/account/balance':
        return this.getBalance(q);
      case 'GET /api/v5/account/positions':
        return this.getPositions(q);
      case 'GET /api/v5/account/config':
        return this.getConfig();
      case 'POST /api/v5/account/set-leverage':
        return this.setLeverage(body);
      case 'POST /api/v5/trade/order':
        // The single-order endpoint takes one object; an array there is a parameter error.
        if (Array.isArray(body) || typeof body !== 'object' || body === null) return fail('50002', 'JSON syntax error', 400);
        return this.placeOrders([body]);
      case 'POST /api/v5/trade/batch-orders':
        if (!Array.isArray(body) || body.length === 0) return fail('50002', 'JSON syntax error', 400);
        if (body.length > 20) return fail('51111', 'Maximum 20 orders can be placed in bulk', 200);
        return this.placeOrders(body);
      case 'GET /api/v5/trade/order':
        return this.getOrder(q);
      case 'POST /api/v5/trade/cancel-order':
        return this.cancelOrder(body);
      default:
        return { status: 404, body: { code: '404', msg: 'Not Found', data: [] } };
    }
  }

  // ---------------------------------------------------------------------------------------
  // Public endpoints

  private getInstruments(q: URLSearchParams): Reply {
    const instType = q.get('instType');
    if (!instType) return fail('50014', 'Parameter instType can not be empty.', 400);
    if (!['SPOT', 'MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(instType)) return fail('51000', 'Parameter instType error', 400);
    const instId = q.get('instId');
    const data = INSTRUMENTS.filter((i) => i.instType === instType && (!instId || i.instId === instId)).map((i) => instrumentWire(i));
    return ok(data);
  }

  private getTicker(q: URLSearchParams): Reply {
    const instId = q.get('instId');
    if (!instId) return fail('50014', 'Parameter instId can not be empty.', 400);
    const spec = this.instruments.get(instId);
    if (!spec) return fail('51001', "Instrument ID or Spread ID doesn't exist.", 400);
    return ok([this.tickerWire(spec)]);
  }

  private getTickers(q: URLSearchParams): Reply {
    const instType = q.get('instType');
    if (!instType) return fail('50014', 'Parameter instType can not be empty.', 400);
    return ok(INSTRUMENTS.filter((i) => i.instType === instType).map((i) => this.tickerWire(i)));
  }

  private tickerWire(spec: InstrumentSpec): Record<string, string> {
    const last = this.price(spec.instId);
    const s = (n: number) => fmt(n);
    return {
      instType: spec.instType,
      instId: spec.instId,
      last: s(last),
      lastSz: spec.instType === 'SPOT' ? '0.01' : '1',
      askPx: s(last + spec.tickSz),
      askSz: spec.instType === 'SPOT' ? '1.5' : '100',
      bidPx: s(last - spec.tickSz),
      bidSz: spec.instType === 'SPOT' ? '1.5' : '100',
      open24h: s(last),
      high24h: s(last),
      low24h: s(last),
      volCcy24h: spec.instType === 'SPOT' ? s(1000 * last) : '1000',
      vol24h: spec.instType === 'SPOT' ? '1000' : s(1000 / spec.ctVal),
      ts: String(Date.now()),
      sodUtc0: s(last),
      sodUtc8: s(last),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Account and asset endpoints

  private getCurrencies(q: URLSearchParams): Reply {
    const wanted = q.get('ccy')?.split(',');
    const data = Object.entries(CURRENCY_CHAINS)
      .filter(([ccy]) => !wanted || wanted.includes(ccy))
      .flatMap(([ccy, chains]) =>
        chains.map((c) => ({
          ccy,
          chain: c.chain,
          name: c.name,
          logoLink: '',
          canDep: true,
          canWd: true,
          canInternal: true,
          mainNet: true,
          needTag: false,
          minDep: c.minWd,
          minDepArrivalConfirm: '1',
          minWd: c.minWd,
          maxWd: '1000000',
          minFee: c.fee,
          maxFee: c.fee,
          fee: c.fee,
          wdTickSz: c.wdTickSz,
          minWdUnlockConfirm: '2',
          wdQuota: '10000000',
          usedWdQuota: '0',
          burningFeeRate: '',
          ctAddr: '',
          depEstOpenTime: '',
          wdEstOpenTime: '',
          depQuotaFixed: '',
          usedDepQuotaFixed: '',
        })),
      );
    return ok(data);
  }

  private getBalance(q: URLSearchParams): Reply {
    const wanted = q.get('ccy')?.split(',');
    const now = Date.now();
    const ccys = new Set<string>([...this.cash.keys()]);
    for (const o of this.ordersById.values()) if (o.frozen) ccys.add(o.frozen.ccy);
    let totalEq = 0;
    const details = [];
    for (const ccy of [...ccys].sort()) {
      if (wanted && !wanted.includes(ccy)) continue;
      const cashBal = this.cash.get(ccy) ?? 0;
      const ordFrozen = this.orderFrozen(ccy);
      const imr = this.marginUsed(ccy);
      const upl = this.unrealized(ccy);
      // Like OKX, currencies with nothing in them are left out unless asked for by name.
      if (!wanted && cashBal === 0 && ordFrozen === 0 && imr === 0) continue;
      const eq = cashBal + upl;
      const eqUsd = eq * this.usdPrice(ccy);
      totalEq += eqUsd;
      details.push({
        accAvgPx: '',
        availBal: fmt(cashBal - ordFrozen - imr),
        availEq: fmt(this.available(ccy)),
        borrowFroz: '',
        cashBal: fmt(cashBal),
        ccy,
        clSpotInUseAmt: '',
        crossLiab: '',
        disEq: fmt(eqUsd),
        eq: fmt(eq),
        eqUsd: fmt(eqUsd),
        fixedBal: '0',
        frozenBal: fmt(ordFrozen + imr),
        imr: fmt(imr),
        interest: '',
        isoEq: '0',
        isoLiab: '',
        isoUpl: '0',
        liab: '',
        maxLoan: '',
        mgnRatio: '',
        mmr: fmt(imr === 0 ? 0 : this.maintenanceMargin(ccy)),
        notionalLever: '0',
        ordFrozen: fmt(ordFrozen),
        rewardBal: '0',
        smtSyncEq: '0',
        spotBal: '',
        spotInUseAmt: '',
        spotIsoBal: '0',
        spotUpl: '',
        spotUplRatio: '',
        stgyEq: '0',
        totalPnl: '',
        totalPnlRatio: '',
        twap: '0',
        uTime: String(now),
        upl: fmt(upl),
        uplLiab: '',
      });
    }
    return ok([
      {
        adjEq: '',
        borrowFroz: '',
        details,
        imr: '',
        isoEq: '0',
        mgnRatio: '',
        mmr: '',
        notionalUsd: '',
        ordFroz: '',
        totalEq: fmt(totalEq),
        uTime: String(now),
        upl: '',
      },
    ]);
  }

  private getPositions(q: URLSearchParams): Reply {
    const instType = q.get('instType');
    if (instType && !['MARGIN', 'SWAP', 'FUTURES', 'OPTION'].includes(instType)) return fail('51000', 'Parameter instType error', 400);
    const instIds = q.get('instId')?.split(',');
    const data = [];
    for (const [instId, p] of this.positionsByInst) {
      const spec = this.spec(instId);
      if (instType && spec.instType !== instType) continue;
      if (instIds && !instIds.includes(instId)) continue;
      const mark = this.price(instId);
      const lever = this.leverOf(instId);
      const notional = Math.abs(p.pos) * spec.ctVal * mark;
      const upl = p.pos * spec.ctVal * (mark - p.avgPx);
      const imr = notional / lever;
      data.push({
        adl: '1',
        availPos: fmt(Math.abs(p.pos)),
        avgPx: fmt(p.avgPx),
        baseBal: '',
        baseBorrowed: '',
        baseInterest: '',
        bePx: fmt(p.avgPx),
        bizRefId: '',
        bizRefType: '',
        cTime: String(p.cTime),
        ccy: spec.settle,
        clSpotInUseAmt: '',
        closeOrderAlgo: [],
        deltaBS: '',
        deltaPA: '',
        fee: fmt(p.fee),
        fundingFee: '0',
        gammaBS: '',
        gammaPA: '',
        idxPx: fmt(mark),
        imr: fmt(imr),
        instId,
        instType: spec.instType,
        interest: '',
        last: fmt(mark),
        lever: String(lever),
        liab: '',
        liabCcy: '',
        liqPenalty: '0',
        liqPx: '',
        margin: '',
        markPx: fmt(mark),
        maxSpotInUseAmt: '',
        mgnMode: 'cross',
        mgnRatio: '',
        mmr: fmt(notional * MMR_RATE),
        notionalUsd: fmt(notional),
        optVal: '',
        pendingCloseOrdLiabVal: '',
        pnl: fmt(p.realizedPnl),
        pos: fmt(p.pos),
        posCcy: '',
        posId: p.posId,
        posSide: 'net',
        quoteBal: '',
        quoteBorrowed: '',
        quoteInterest: '',
        realizedPnl: fmt(p.realizedPnl + p.fee),
        spotInUseAmt: '',
        spotInUseCcy: '',
        thetaBS: '',
        thetaPA: '',
        tradeId: p.tradeId,
        uTime: String(p.uTime),
        upl: fmt(upl),
        uplLastPx: fmt(upl),
        uplRatio: fmt(imr === 0 ? 0 : upl / imr),
        uplRatioLastPx: fmt(imr === 0 ? 0 : upl / imr),
        usdPx: '',
        vegaBS: '',
        vegaPA: '',
      });
    }
    return ok(data);
  }

  private getConfig(): Reply {
    return ok([
      {
        acctLv: '2', // spot and futures mode
        acctStpMode: 'cancel_maker',
        autoLoan: false,
        ctIsoMode: 'automatic',
        enableSpotBorrow: false,
        greeksType: 'PA',
        ip: '',
        type: '0',
        kycLv: '2',
        label: 'fake-okx',
        level: 'Lv1',
        levelTmp: '',
        liquidationGear: '-1',
        mainUid: '44705892343619584',
        mgnIsoMode: 'automatic',
        opAuth: '0',
        perm: 'read_only,trade',
        posMode: 'net_mode',
        roleType: '0',
        spotBorrowAutoRepay: false,
        spotOffsetType: '',
        spotRoleType: '0',
        spotTraderInsts: [],
        traderInsts: [],
        uid: '44705892343619584',
        settleCcy: 'USDT',
        settleCcyList: ['USD', 'USDC', 'USDG'],
      },
    ]);
  }

  private setLeverage(body: unknown): Reply {
    const b = asRecord(body);
    const instId = str(b.instId);
    const mgnMode = str(b.mgnMode);
    const lever = Number(b.lever);
    if (!instId) return fail('50014', 'Parameter instId can not be empty.', 400);
    const spec = this.instruments.get(instId);
    if (!spec) return fail('51001', "Instrument ID or Spread ID doesn't exist.", 400);
    if (mgnMode !== 'cross' && mgnMode !== 'isolated') return fail('51000', 'Parameter mgnMode error', 400);
    if (!Number.isFinite(lever) || lever < 1) return fail('51000', 'Parameter lever error', 400);
    if (lever > spec.maxLever) return fail('59102', 'Leverage exceeds the maximum leverage. Please adjust the leverage.', 200);
    this.leverage.set(instId, lever);
    return ok([{ lever: String(lever), mgnMode, instId, posSide: str(b.posSide) ?? '' }]);
  }

  // ---------------------------------------------------------------------------------------
  // Orders

  /**
   * Places orders one by one, so a duplicate clOrdId inside one batch is caught like across
   * batches. OKX's envelope code is "0" when all succeed, "1" when all fail and "2" when some
   * do; ccxt throws on "1" (by each entry's sCode) and not on "2".
   */
  private placeOrders(items: unknown[]): Reply {
    const entries = items.map((item) => this.placeOne(asRecord(item)));
    const failed = entries.filter((e) => e.sCode !== '0').length;
    const now = String(Date.now() * 1000);
    const [code, msg] = failed === 0 ? ['0', ''] : failed === entries.length ? ['1', 'All operations failed'] : ['2', 'Bulk operation partially succeeded'];
    return { status: 200, body: { code, msg, data: entries, inTime: now, outTime: now }, placement: true };
  }

  private placeOne(o: Record<string, unknown>): Record<string, string> {
    const now = Date.now();
    const clOrdId = str(o.clOrdId) ?? '';
    const tag = str(o.tag) ?? '';
    const reject = (sCode: string, sMsg: string) => ({ clOrdId, ordId: '', sCode, sMsg, tag, ts: String(now) });

    const instId = str(o.instId);
    if (!instId) return reject('50014', 'Parameter instId can not be empty.');
    const spec = this.instruments.get(instId);
    if (!spec) return reject('51001', "Instrument ID or Spread ID doesn't exist.");
    const tdMode = str(o.tdMode);
    if (!tdMode) return reject('50014', 'Parameter tdMode can not be empty.');
    // Only what this account mode offers: cash spot trading, cross/isolated swaps.
    if (spec.instType === 'SPOT' ? tdMode !== 'cash' : tdMode !== 'cross' && tdMode !== 'isolated') {
      return reject('51000', 'Parameter tdMode error');
    }
    const side = str(o.side);
    if (side !== 'buy' && side !== 'sell') return reject('51000', 'Parameter side error');
    const ordType = str(o.ordType);
    if (ordType !== 'market' && ordType !== 'limit') return reject('51000', 'Parameter ordType error');
    const sz = num(o.sz);
    if (sz === undefined || sz <= 0) return reject('51000', 'Parameter sz error');
    let px: number | undefined;
    if (ordType === 'limit') {
      px = num(o.px);
      if (px === undefined || px <= 0 || !isMultiple(px, spec.tickSz)) return reject('51000', 'Parameter px error');
    }
    if (clOrdId !== '' && !/^[A-Za-z0-9]{1,32}$/.test(clOrdId)) return reject('51000', 'Parameter clOrdId error');
    if (!/^[A-Za-z0-9]{0,16}$/.test(tag)) return reject('51000', 'Parameter tag error');
    const posSide = str(o.posSide);
    if (posSide !== undefined && posSide !== 'net') return reject('51000', 'Parameter posSide error'); // net mode
    const reduceOnly = o.reduceOnly === true || o.reduceOnly === 'true';

    // tgtCcy only means something for spot market orders; OKX's default there is quote_ccy
    // for buys and base_ccy for sells (ccxt always sends it, base_ccy unless told otherwise).
    let tgtCcy: FakeOkxOrder['tgtCcy'] = '';
    if (spec.instType === 'SPOT' && ordType === 'market') {
      const t = str(o.tgtCcy) ?? (side === 'buy' ? 'quote_ccy' : 'base_ccy');
      if (t !== 'base_ccy' && t !== 'quote_ccy') return reject('51000', 'Parameter tgtCcy error');
      tgtCcy = t;
    }
    if (clOrdId !== '' && this.findByClOrdId(clOrdId)) return reject('51016', 'Duplicated clOrdId');

    const last = this.price(instId);
    const attached = parseAttachedAlgos(o.attachAlgoOrds, side, last);
    if ('sCode' in attached) return reject(attached.sCode, attached.sMsg);
    const refPx = px ?? last;
    // Size in base units (spot) or contracts (swap), the unit min and lot sizes are given in.
    const qty = tgtCcy === 'quote_ccy' ? sz / last : sz;
    if (tgtCcy !== 'quote_ccy' && !isMultiple(sz, spec.lotSz)) return reject('51121', 'Order quantity must be a multiple of the lot size.');
    if (qty < spec.minSz * (1 - 1e-9)) return reject('51020', 'Your order should meet or exceed the minimum order amount.');

    let frozen: FakeOkxOrder['frozen'];
    if (spec.instType === 'SPOT') {
      if (reduceOnly) return reject('51139', 'Reduce-only feature is unavailable for the spot transactions by simple account.');
      const [ccy, need] = side === 'buy' ? [spec.quote, tgtCcy === 'quote_ccy' ? sz : qty * refPx] : [spec.base, qty];
      if (this.available(ccy) < need - 1e-12) return reject('51008', `Order failed. Insufficient ${ccy} balance in account.`);
      if (ordType === 'limit') frozen = { ccy, amount: need };
    } else {
      const pos = this.position(instId);
      const delta = side === 'buy' ? sz : -sz;
      if (reduceOnly) {
        if (pos === 0) return reject('51169', "Order failed because you don't have any positions in this direction for this contract.");
        if (Math.sign(delta) === Math.sign(pos)) return reject('51170', "Failed to place order. A reduce-only order can't be the same trading direction as your existing positions.");
        if (sz > Math.abs(pos) + 1e-9) return reject('51148', 'reduceOnly cannot increase the position quantity.');
      }
      // Only the part of the order that opens (or flips into) a position needs margin.
      const after = pos + delta;
      // (When the order flips the position, everything beyond flat is opening; when it closes
      // exactly, `after` is 0 and nothing is.)
      const opening = pos === 0 || Math.sign(after) === Math.sign(pos) ? Math.max(0, Math.abs(after) - Math.abs(pos)) : Math.abs(after);
      const margin = (opening * spec.ctVal * refPx) / this.leverOf(instId);
      const fee = sz * spec.ctVal * refPx * FEE_RATES.SWAP.taker;
      if (this.available(spec.settle) < margin + fee - 1e-12) return reject('51008', `Order failed. Insufficient ${spec.settle} margin in account.`);
      if (ordType === 'limit' && margin > 0) frozen = { ccy: spec.settle, amount: margin };
    }

    const order: FakeOkxOrder = {
      ordId: String(this.nextOrdId++),
      clOrdId,
      tag,
      instId,
      instType: spec.instType,
      side,
      ordType,
      sz,
      px,
      tdMode,
      tgtCcy,
      reduceOnly,
      state: 'live',
      accFillSz: 0,
      fee: 0,
      feeCcy: spec.instType === 'SPOT' ? (side === 'buy' ? spec.base : spec.quote) : spec.settle,
      pnl: 0,
      lever: spec.instType === 'SWAP' ? this.leverOf(instId) : undefined,
      cTime: now,
      uTime: now,
      tradeId: '',
      frozen,
      attachAlgoOrds: attached.algos,
    };
    this.ordersById.set(order.ordId, order);
    const marketable = px === undefined || (side === 'buy' ? px >= last : px <= last);
    // A limit order that crosses the book takes liquidity at the current price, like a market order.
    if (marketable) this.fill(order, last, true);
    return { clOrdId, ordId: order.ordId, sCode: '0', sMsg: 'Order placed', tag, ts: String(now) };
  }

  /** Fills the whole order at `px`, moving balances and positions the way OKX settles them. */
  private fill(order: FakeOkxOrder, px: number, taker: boolean): void {
    const spec = this.spec(order.instId);
    const now = Date.now();
    order.frozen = undefined;
    const rate = FEE_RATES[spec.instType][taker ? 'taker' : 'maker'];
    if (spec.instType === 'SPOT') {
      // Quote-sized market buys get as much base as the amount buys, rounded down to the lot.
      const qty = order.tgtCcy === 'quote_ccy' ? floorTo(order.sz / px, spec.lotSz) : order.sz;
      if (order.side === 'buy') {
        // OKX charges spot buy fees in the currency received: the base.
        const fee = qty * rate;
        this.addCash(spec.quote, -qty * px);
        this.addCash(spec.base, qty - fee);
        order.fee = -fee;
      } else {
        const fee = qty * px * rate;
        this.addCash(spec.base, -qty);
        this.addCash(spec.quote, qty * px - fee);
        order.fee = -fee;
      }
      order.accFillSz = qty;
    } else {
      const fee = order.sz * spec.ctVal * px * rate;
      const pnl = this.applyFill(order.instId, order.side === 'buy' ? order.sz : -order.sz, px, fee, now);
      this.addCash(spec.settle, pnl - fee);
      order.fee = -fee;
      order.pnl = pnl;
      order.accFillSz = order.sz;
    }
    order.state = 'filled';
    order.avgPx = px;
    order.fillTime = now;
    order.uTime = now;
    order.tradeId = String(this.nextTradeId++);
  }

  /** Updates the net position; returns the PnL realised by the part that reduced it. */
  private applyFill(instId: string, delta: number, px: number, fee: number, now: number): number {
    const spec = this.spec(instId);
    const existing = this.positionsByInst.get(instId);
    const p: Position = existing ?? { pos: 0, avgPx: 0, posId: String(this.nextPosId++), cTime: now, uTime: now, realizedPnl: 0, fee: 0, tradeId: '' };
    let realized = 0;
    if (p.pos === 0 || Math.sign(p.pos) === Math.sign(delta)) {
      const size = Math.abs(p.pos) + Math.abs(delta);
      p.avgPx = (Math.abs(p.pos) * p.avgPx + Math.abs(delta) * px) / size;
      p.pos += delta;
    } else {
      const closing = Math.min(Math.abs(delta), Math.abs(p.pos));
      realized = closing * spec.ctVal * (px - p.avgPx) * Math.sign(p.pos);
      const after = roundQty(p.pos + delta);
      if (after !== 0 && Math.sign(after) !== Math.sign(p.pos)) {
        p.avgPx = px; // flipped: the remainder is a new position opened at this price
        p.cTime = now;
      }
      p.pos = after;
    }
    p.pos = roundQty(p.pos);
    p.realizedPnl += realized;
    p.fee -= fee;
    p.uTime = now;
    p.tradeId = String(this.nextTradeId);
    // OKX stops listing a net position once it is flat.
    if (p.pos === 0) this.positionsByInst.delete(instId);
    else this.positionsByInst.set(instId, p);
    return realized;
  }

  private getOrder(q: URLSearchParams): Reply {
    const instId = q.get('instId');
    if (!instId) return fail('50014', 'Parameter instId can not be empty.', 400);
    if (!this.instruments.has(instId)) return fail('51001', "Instrument ID or Spread ID doesn't exist.", 400);
    const ordId = q.get('ordId');
    const clOrdId = q.get('clOrdId');
    if (!ordId && !clOrdId) return fail('51003', 'Either client order ID or order ID is required.', 400);
    // OKX uses ordId when both are given.
    const order = ordId ? this.ordersById.get(ordId) : this.findByClOrdId(clOrdId!);
    if (!order || order.instId !== instId) return fail('51603', 'Order does not exist', 200);
    return ok([this.toWire(order)]);
  }

  private cancelOrder(body: unknown): Reply {
    const b = asRecord(body);
    const instId = str(b.instId);
    const ordId = str(b.ordId);
    const clOrdId = str(b.clOrdId) ?? '';
    const now = String(Date.now());
    const answer = (sCode: string, sMsg: string, id = ordId ?? '') => ({
      status: 200,
      body: { code: sCode === '0' ? '0' : '1', msg: sCode === '0' ? '' : 'All operations failed', data: [{ clOrdId, ordId: id, sCode, sMsg, ts: now }] },
    });
    if (!instId) return answer('50014', 'Parameter instId can not be empty.');
    if (!ordId && !clOrdId) return answer('51000', 'Parameter ordId error');
    const order = ordId ? this.ordersById.get(ordId) : this.findByClOrdId(clOrdId);
    if (!order || order.instId !== instId || order.state !== 'live') {
      return answer('51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.');
    }
    order.state = 'canceled';
    order.frozen = undefined;
    order.uTime = Date.now();
    return answer('0', '', order.ordId);
  }

  /** The order as GET /api/v5/trade/order returns it. */
  private toWire(o: FakeOkxOrder): Record<string, unknown> {
    const filled = o.accFillSz > 0;
    return {
      accFillSz: fmt(o.accFillSz),
      algoClOrdId: '',
      algoId: '',
      attachAlgoClOrdId: '',
      attachAlgoOrds: o.attachAlgoOrds.map((a) => ({
        attachAlgoClOrdId: '',
        tpTriggerPx: a.tpTriggerPx === undefined ? '' : fmt(a.tpTriggerPx),
        tpOrdPx: a.tpOrdPx === undefined ? '' : fmt(a.tpOrdPx),
        tpTriggerPxType: a.tpTriggerPxType ?? '',
        slTriggerPx: a.slTriggerPx === undefined ? '' : fmt(a.slTriggerPx),
        slOrdPx: a.slOrdPx === undefined ? '' : fmt(a.slOrdPx),
        slTriggerPxType: a.slTriggerPxType ?? '',
      })),
      avgPx: filled && o.avgPx !== undefined ? fmt(o.avgPx) : '',
      cTime: String(o.cTime),
      cancelSource: o.state === 'canceled' ? '1' : '',
      cancelSourceReason: o.state === 'canceled' ? 'Order canceled by user' : '',
      category: 'normal',
      ccy: '',
      clOrdId: o.clOrdId,
      fee: fmt(o.fee),
      feeCcy: o.feeCcy,
      fillPx: filled && o.avgPx !== undefined ? fmt(o.avgPx) : '',
      fillSz: fmt(o.accFillSz),
      fillTime: o.fillTime !== undefined ? String(o.fillTime) : '',
      instId: o.instId,
      instType: o.instType,
      isTpLimit: 'false',
      lever: o.lever !== undefined ? String(o.lever) : '',
      linkedAlgoOrd: { algoId: '' },
      ordId: o.ordId,
      ordType: o.ordType,
      pnl: fmt(o.pnl),
      posSide: o.instType === 'SWAP' ? 'net' : '',
      px: o.px !== undefined ? fmt(o.px) : '',
      pxType: '',
      pxUsd: '',
      pxVol: '',
      quickMgnType: '',
      rebate: '0',
      rebateCcy: o.instType === 'SPOT' ? (o.side === 'buy' ? this.spec(o.instId).base : this.spec(o.instId).quote) : this.spec(o.instId).settle,
      reduceOnly: String(o.reduceOnly),
      side: o.side,
      slOrdPx: '',
      slTriggerPx: '',
      slTriggerPxType: '',
      source: '',
      state: o.state,
      stpId: '',
      stpMode: 'cancel_maker',
      sz: fmt(o.sz),
      tag: o.tag,
      tdMode: o.tdMode,
      tgtCcy: o.tgtCcy,
      tpOrdPx: '',
      tpTriggerPx: '',
      tpTriggerPxType: '',
      tradeId: o.tradeId,
      uTime: String(o.uTime),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Book-keeping

  private spec(instId: string): InstrumentSpec {
    const s = this.instruments.get(instId);
    if (!s) throw new Error(`unknown instrument ${instId}`);
    return s;
  }

  private findByClOrdId(clOrdId: string): FakeOkxOrder | undefined {
    for (const o of this.ordersById.values()) if (o.clOrdId === clOrdId) return o;
    return undefined;
  }

  private leverOf(instId: string): number {
    return this.leverage.get(instId) ?? DEFAULT_LEVERAGE;
  }

  private addCash(ccy: string, amount: number): void {
    this.cash.set(ccy, roundAmount((this.cash.get(ccy) ?? 0) + amount));
  }

  private orderFrozen(ccy: string): number {
    let sum = 0;
    for (const o of this.ordersById.values()) if (o.state === 'live' && o.frozen?.ccy === ccy) sum += o.frozen.amount;
    return sum;
  }

  /** Initial margin of the cross positions settled in `ccy`, at the current mark price. */
  private marginUsed(ccy: string): number {
    let sum = 0;
    for (const [instId, p] of this.positionsByInst) {
      const spec = this.spec(instId);
      if (spec.settle === ccy) sum += (Math.abs(p.pos) * spec.ctVal * this.price(instId)) / this.leverOf(instId);
    }
    return sum;
  }

  private maintenanceMargin(ccy: string): number {
    let sum = 0;
    for (const [instId, p] of this.positionsByInst) {
      const spec = this.spec(instId);
      if (spec.settle === ccy) sum += Math.abs(p.pos) * spec.ctVal * this.price(instId) * MMR_RATE;
    }
    return sum;
  }

  private unrealized(ccy: string): number {
    let sum = 0;
    for (const [instId, p] of this.positionsByInst) {
      const spec = this.spec(instId);
      if (spec.settle === ccy) sum += p.pos * spec.ctVal * (this.price(instId) - p.avgPx);
    }
    return sum;
  }

  /** What new orders may use: equity minus what resting orders hold and positions' margin. */
  private available(ccy: string): number {
    return (this.cash.get(ccy) ?? 0) + this.unrealized(ccy) - this.orderFrozen(ccy) - this.marginUsed(ccy);
  }

  private usdPrice(ccy: string): number {
    if (ccy === 'USDT' || ccy === 'USDC' || ccy === 'USD') return 1;
    return this.prices.get(`${ccy}-USDT`) ?? 0;
  }
}

// -----------------------------------------------------------------------------------------
// Wire helpers

function ok(data: unknown[]): Reply {
  return { status: 200, body: { code: '0', msg: '', data } };
}

function fail(code: string, msg: string, status: number): Reply {
  return { status, body: { code, msg, data: [] } };
}

/** OKX answers authentication failures with HTTP 401 and a body without `data`. */
function authFail(code: string, msg: string): Reply {
  return { status: 401, body: { msg, code } };
}

function instrumentWire(i: InstrumentSpec): Record<string, unknown> {
  const spot = i.instType === 'SPOT';
  // OKX leaves baseCcy/quoteCcy empty on derivatives and names the pair in uly/instFamily;
  // ccxt's parseMarket reads them from there, so keep it that way to exercise that path.
  return {
    alias: '',
    auctionEndTime: '',
    baseCcy: spot ? i.base : '',
    category: '1',
    contTdSwTime: '',
    ctMult: spot ? '' : '1',
    ctType: spot ? '' : 'linear',
    ctVal: spot ? '' : fmt(i.ctVal),
    ctValCcy: spot ? '' : i.base,
    expTime: '',
    futureSettlement: false,
    instFamily: spot ? '' : `${i.base}-${i.quote}`,
    instId: i.instId,
    instType: i.instType,
    lever: String(i.maxLever),
    listTime: i.listTime,
    lotSz: fmt(i.lotSz),
    maxIcebergSz: spot ? '9999999999.0000000000000000' : '100000000.0000000000000000',
    maxLmtAmt: '20000000',
    maxLmtSz: spot ? '9999999999' : '100000000',
    maxMktAmt: '1000000',
    maxMktSz: spot ? '1000000' : '12000',
    maxStopSz: spot ? '1000000' : '12000',
    maxTriggerSz: spot ? '9999999999' : '100000000',
    maxTwapSz: spot ? '9999999999' : '100000000',
    minSz: fmt(i.minSz),
    openType: '',
    optType: '',
    quoteCcy: spot ? i.quote : '',
    ruleType: 'normal',
    settleCcy: i.settle,
    state: 'live',
    stk: '',
    tickSz: fmt(i.tickSz),
    uly: spot ? '' : `${i.base}-${i.quote}`,
  };
}

/** Decimal string without exponent or float noise, the way OKX prints numbers. */
function fmt(n: number): string {
  if (!Number.isFinite(n)) return '';
  const s = n.toFixed(12).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function roundAmount(n: number): number {
  return Math.round(n * 1e12) / 1e12;
}

function roundQty(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}

function floorTo(n: number, step: number): number {
  return Math.floor(n / step + 1e-9) * step;
}

function isMultiple(n: number, step: number): boolean {
  const r = n / step;
  return Math.abs(r - Math.round(r)) < 1e-6;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * `attachAlgoOrds` checked as OKX checks it: each entry's trigger needs its order price
 * (`-1` for market), trigger price types are last/index/mark, and the triggers must lie on
 * the right side of the last price for the order's side (a buy's take-profit above it, its
 * stop-loss below; the reverse for a sell).
 */
function parseAttachedAlgos(
  v: unknown,
  side: 'buy' | 'sell',
  last: number,
): { algos: FakeAttachedAlgo[] } | { sCode: string; sMsg: string } {
  if (v === undefined) return { algos: [] };
  if (!Array.isArray(v)) return { sCode: '51000', sMsg: 'Parameter attachAlgoOrds error' };
  const algos: FakeAttachedAlgo[] = [];
  for (const raw of v) {
    const e = asRecord(raw);
    const a: FakeAttachedAlgo = {};
    for (const kind of ['tp', 'sl'] as const) {
      const trigger = e[`${kind}TriggerPx`];
      if (trigger === undefined || trigger === '') continue;
      const triggerPx = num(trigger);
      if (triggerPx === undefined || triggerPx <= 0) return { sCode: '51000', sMsg: `Parameter ${kind}TriggerPx error` };
      // `-1` (market when triggered) is the one negative value OKX takes here.
      const ordPx = e[`${kind}OrdPx`] === '-1' ? -1 : num(e[`${kind}OrdPx`]);
      if (ordPx === undefined || (ordPx <= 0 && ordPx !== -1)) return { sCode: '51000', sMsg: `Parameter ${kind}OrdPx error` };
      const type = str(e[`${kind}TriggerPxType`]) ?? 'last';
      if (!['last', 'index', 'mark'].includes(type)) return { sCode: '51000', sMsg: `Parameter ${kind}TriggerPxType error` };
      const above = triggerPx > last;
      if (kind === 'tp' && side === 'buy' && !above) return { sCode: '51279', sMsg: 'TP trigger price cannot be lower than the last price' };
      if (kind === 'tp' && side === 'sell' && triggerPx >= last) return { sCode: '51277', sMsg: 'TP trigger price cannot be higher than the last price' };
      if (kind === 'sl' && side === 'buy' && triggerPx >= last) return { sCode: '51280', sMsg: 'SL trigger price cannot be higher than the last price' };
      if (kind === 'sl' && side === 'sell' && !above) return { sCode: '51278', sMsg: 'SL trigger price cannot be lower than the last price' };
      if (kind === 'tp') Object.assign(a, { tpTriggerPx: triggerPx, tpOrdPx: ordPx, tpTriggerPxType: type });
      else Object.assign(a, { slTriggerPx: triggerPx, slOrdPx: ordPx, slTriggerPxType: type });
    }
    if (a.tpTriggerPx === undefined && a.slTriggerPx === undefined) return { sCode: '51000', sMsg: 'Parameter attachAlgoOrds error' };
    algos.push(a);
  }
  return { algos };
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** OKX takes sizes and prices as strings; ccxt sends strings, some callers numbers. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}
