/**
 * The JSON dialects: TradersPost, 3Commas signal bots, WunderTrading, Alertatron Signals
 * Lite, Finandy, Tickerly, TradingView strategy placeholders (strategy{…}, data{…}), the
 * open-source bridges, and our own names. They differ mostly in names and nesting, not in
 * meaning, so one reader serves them all: keys are folded (case, "_", "-", spaces), nested
 * objects are read by their path (strategy.order_action → "strategyorderaction"), and each of
 * our fields has the list of names that mean it, most specific first.
 */
import { looseNumber, malformed, unsupported } from '../alert';
import { isObj, newCommand, setField, type Command, type Obj } from './command';
import { finish, type Reading } from './finish';
import { amountOf, booleanOf, fold, intentOf, isIntentWord, sentimentOf, sizeKindOf, type Intent } from './vocabulary';

interface Entry {
  path: string;
  value: unknown;
}

/**
 * Containers read as if their fields were at the top: "data" (legkvla, RogerThat) and a JSON
 * object carried as a string in "message" (sadolintw), which TradingView users produce with
 * {{strategy.order.alert_message}}.
 */
const TRANSPARENT = new Set(['data', 'message', 'alertmessage']);
const MAX_DEPTH = 6;

/** Folded path → first value seen, breadth first so that the top level wins over nested copies. */
export function flatten(body: Obj): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const queue: Array<{ o: Obj; prefix: string; path: string; depth: number }> = [{ o: body, prefix: '', path: '', depth: 0 }];
  while (queue.length > 0) {
    const { o, prefix, path, depth } = queue.shift()!;
    for (const [k, v] of Object.entries(o)) {
      const key = prefix + fold(k);
      const p = path === '' ? k : `${path}.${k}`;
      if (!out.has(key)) out.set(key, { path: p, value: v });
      if (depth >= MAX_DEPTH) continue;
      const transparent = TRANSPARENT.has(fold(k));
      let inner: unknown = v;
      if (typeof v === 'string' && transparent && v.trim().startsWith('{')) {
        try {
          inner = JSON.parse(v);
        } catch {
          inner = undefined; // free text that happens to start with "{": not ours to read
        }
      }
      if (isObj(inner)) queue.push({ o: inner, prefix: transparent ? prefix : key, path: p, depth: depth + 1 });
    }
  }
  return out;
}

type View = Map<string, Entry>;

function first(view: View, names: readonly string[], accept: (v: unknown) => boolean = () => true): Entry | undefined {
  for (const n of names) {
    const e = view.get(n);
    if (e && e.value !== null && e.value !== undefined && accept(e.value)) return e;
  }
  return undefined;
}

/**
 * Like `first`, but two of the names both present with different values are refused rather
 * than one of them picked: "quantity": 1 beside "size": 5 is a template mistake to show.
 */
function agreed(view: View, names: readonly string[], accept: (v: unknown) => boolean = () => true): Entry | undefined {
  const found = names.map((n) => view.get(n)).filter((e): e is Entry => e !== undefined && e.value !== null && e.value !== undefined && accept(e.value));
  const [head, ...rest] = found;
  const other = rest.find((e) => !sameValue(head!.value, e.value));
  if (head && other) throw malformed(head.path, `fields "${head.path}" and "${other.path}" are both given and disagree`);
  return head;
}

function sameValue(a: unknown, b: unknown): boolean {
  const na = looseNumber(a);
  const nb = looseNumber(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (typeof a === 'string' && typeof b === 'string') return fold(a) === fold(b);
  return a === b;
}

const isString = (v: unknown): boolean => typeof v === 'string';
/** For names that are also containers elsewhere (3Commas' "order", "strategy" objects): the object is read by its paths. */
const notObject = (v: unknown): boolean => !isObj(v);
const isNumeric = (v: unknown): boolean => looseNumber(v) !== undefined;
const ORDER_TYPES = new Set(['market', 'limit']);
const isOrderType = (v: unknown): boolean => typeof v === 'string' && ORDER_TYPES.has(v.trim().toLowerCase());
const isSentimentWord = (v: unknown): boolean => typeof v === 'string' && ['long', 'short', 'flat', 'bullish', 'bearish'].includes(fold(v));

export const NAMES = {
  symbol: ['symbol', 'ticker', 'tvinstrument', 'instrument', 'pair', 'instid'],
  action: ['action', 'side', 'order', 'signal', 'orderaction', 'strategyorderaction', 'code', 'type'],
  sentiment: ['sentiment', 'marketposition', 'strategymarketposition', 'strategyinfomarketposition', 'position'],
  quantity: ['quantity', 'qty', 'contracts', 'size', 'amount', 'unit', 'ordercontracts', 'strategyordercontracts', 'orderamount', 'amountpertrade'],
  sizeKind: ['sizetype', 'quantitytype', 'currencytype', 'ordercurrencytype', 'amountpertradetype', 'investmenttype'],
  price: ['price', 'signalprice', 'triggerprice', 'orderprice', 'strategyorderprice', 'entry', 'close'],
  limitPrice: ['limitprice'],
  orderType: ['ordertype', 'orderordertype', 'type', 'entry'],
  secret: ['secret', 'passphrase', 'key'],
  id: ['id', 'alertid'],
  timestamp: ['timestamp', 'timenow'],
  strategy: ['strategy', 'strategyname', 'name'],
  leverage: ['leverage', 'lev'],
  stopLoss: ['stoploss', 'stoplossstopprice', 'stoplossprice', 'slprice', 'strategymetadataslprice'],
  takeProfit: ['takeprofit', 'takeprofitlimitprice', 'takeprofitprice', 'tpprice', 'strategymetadatatpprice'],
  stopLossPercent: ['stoplosspercent', 'stoplosstriggerpricepercent'],
  takeProfitPercent: ['takeprofitpercent'],
  takeProfitLadder: ['takeprofitsteps', 'takeprofits', 'takeprofitorders', 'tporders'],
  /** lth-elm's "message" and danny-dang's strategy.strategy_action: "exit" turns a buy/sell into a close. */
  entryOrExit: ['message', 'strategyaction', 'strategystrategyaction', 'comment'],
  closePosition: ['closeposition'],
} as const;

/** The user's secret as the JSON dialects carry it (top level only: that is where every dialect puts it). */
export function jsonSecret(body: Obj): string | undefined {
  for (const name of NAMES.secret) {
    for (const [k, v] of Object.entries(body)) {
      if (fold(k) === name && typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  return undefined;
}

/** Reads one JSON object of any of the dialects above into one command. Throws AlertError. */
export function readJsonCommand(body: Obj): Command {
  const view = flatten(body);
  const c = newCommand();
  const r: Reading = {};
  const set = (field: string, e: Entry | undefined) => e && setField(c, field, e.value, e.path);

  // Anything but an object (a container, read by its paths), so that a wrong type is refused naming the field, not skipped.
  set('symbol', agreed(view, NAMES.symbol, (v) => typeof v !== 'object' || Array.isArray(v)));

  // "type" and "code" also name other things (order type, event type): read only when they hold an action word.
  const actEntry =
    agreed(view, NAMES.action.filter((n) => n !== 'type' && n !== 'code'), notObject) ??
    first(view, ['code', 'type'], isIntentWord);
  if (actEntry) {
    let intent: Intent = intentOf(actEntry.value, actEntry.path);
    const hint = first(view, NAMES.entryOrExit, isString);
    if (hint && fold(hint.value as string) === 'exit' && (intent === 'buy' || intent === 'sell')) {
      // The order that exits a long is a sell: what it closes is the opposite side.
      intent = intent === 'buy' ? 'close_short' : 'close_long';
    }
    r.intent = { value: intent, label: actEntry.path };
  }
  const closeAll = first(view, NAMES.closePosition);
  if (closeAll && booleanOf(closeAll.value, closeAll.path)) r.intent = { value: 'close', label: closeAll.path };

  // RogerThat's "position" is a sentiment only when it holds one (elsewhere it can be a size).
  const sentiment =
    first(view, NAMES.sentiment.filter((n) => n !== 'position'), notObject) ?? first(view, ['position'], isSentimentWord);
  if (sentiment) r.sentiment = { value: sentimentOf(sentiment.value, sentiment.path), label: sentiment.path };

  const qty = agreed(view, NAMES.quantity, notObject);
  if (qty) r.amount = { ...amountOf(qty.value, qty.path), label: qty.path };
  const kind = first(view, NAMES.sizeKind, notObject);
  if (kind) r.sizeKind = { value: sizeKindOf(kind.value, kind.path), label: kind.path };

  // "entry" and "close" are prices only when they hold a number (elsewhere an order type, the bar's close).
  set('price', agreed(view, NAMES.price.filter((n) => n !== 'entry' && n !== 'close')) ?? first(view, ['entry', 'close'], isNumeric));
  set('limit_price', first(view, NAMES.limitPrice));
  // "type" and "entry" are order types only when they hold one (elsewhere an action, an event type, a price).
  set('order_type', first(view, NAMES.orderType.filter((n) => n !== 'type' && n !== 'entry')) ?? first(view, ['type', 'entry'], isOrderType));
  set('secret', first(view, NAMES.secret));
  set('id', first(view, NAMES.id));
  set('timestamp', first(view, NAMES.timestamp));
  set('strategy', first(view, NAMES.strategy, notObject));
  set('leverage', first(view, NAMES.leverage));
  set('market_position', r.sentiment && { path: r.sentiment.label, value: r.sentiment.value });

  const enabled = (prefix: string): boolean => {
    const e = view.get(`${prefix}enabled`);
    return e === undefined || booleanOf(e.value, e.path);
  };
  if (enabled('stoploss')) {
    set('stop_loss', first(view, NAMES.stopLoss, notObject));
    const pct = first(view, NAMES.stopLossPercent);
    if (pct) r.stopLossPercent = { value: positive(pct), label: pct.path };
  }
  if (enabled('takeprofit')) {
    const ladder = first(view, NAMES.takeProfitLadder, Array.isArray);
    if (ladder && (ladder.value as unknown[]).length > 0) {
      // Several exits at several prices need orders resting on the exchange, which this service does not place.
      throw unsupported(ladder.path, `field "${ladder.path}": take-profit ladders are not supported; give one "take_profit" price`);
    }
    set('take_profit', first(view, NAMES.takeProfit, notObject));
    const pct = first(view, NAMES.takeProfitPercent);
    if (pct) r.takeProfitPercent = { value: positive(pct), label: pct.path };
  }
  return finish(c, r);
}

function positive(e: Entry): number {
  const n = looseNumber(e.value);
  if (n === undefined || !(n > 0)) throw malformed(e.path, `field "${e.path}" must be a number greater than 0`);
  return n;
}
