import { normalizeSymbol } from '../src/symbols';

function market(input: string) {
  const r = normalizeSymbol(input);
  if (!r.ok) throw new Error(`expected ${input} to normalise, got: ${r.reason}`);
  return r.market;
}

function reason(input: string): string {
  const r = normalizeSymbol(input);
  if (r.ok) throw new Error(`expected ${input} to be refused, got ${JSON.stringify(r.market)}`);
  return r.reason;
}

describe('normalizeSymbol', () => {
  it.each(['BTCUSDT', 'OKX:BTCUSDT', 'BTC-USDT', 'BTC/USDT', 'btcusdt', 'okx:btcusdt', ' BTCUSDT ', 'Btc-Usdt', 'OKX:BTC/USDT', 'OKX:BTC-USDT'])(
    '%j is BTC/USDT spot',
    (input) => {
      expect(market(input)).toEqual({ symbol: 'BTC/USDT', type: 'spot' });
    },
  );

  it.each(['BTCUSDT.P', 'OKX:BTCUSDT.P', 'BTC-USDT-SWAP', 'BTC/USDT:USDT', 'btcusdt.p', 'okx:btc-usdt-swap', 'OKX:BTC/USDT:USDT'])(
    '%j is the BTC/USDT:USDT swap',
    (input) => {
      expect(market(input)).toEqual({ symbol: 'BTC/USDT:USDT', type: 'swap' });
    },
  );

  describe('splitting concatenated pairs on the quote', () => {
    it.each([
      ['ETHUSDC', 'ETH/USDC'],
      ['ETHBTC', 'ETH/BTC'],
      ['BTCETH', 'BTC/ETH'],
      ['BTCEUR', 'BTC/EUR'],
      ['ETHDAI', 'ETH/DAI'],
      ['BTCUSD', 'BTC/USD'],
      ['USDCUSDT', 'USDC/USDT'], // a quote currency can be the base
      ['1INCHUSDT', '1INCH/USDT'],
      ['OP', undefined],
      ['PEPEUSDT', 'PEPE/USDT'],
      ['ABCDEFGHIJUSDT', 'ABCDEFGHIJ/USDT'], // 10-character base
    ])('%s → %s', (input, symbol) => {
      if (symbol === undefined) {
        expect(normalizeSymbol(input).ok).toBe(false);
      } else {
        expect(market(input)).toEqual({ symbol, type: 'spot' });
      }
    });

    it('splits on the whole quote, never a shorter look-alike', () => {
      expect(market('BTCUSDC').symbol).toBe('BTC/USDC');
      expect(market('ETHUSDT.P').symbol).toBe('ETH/USDT:USDT');
    });

    it.each([
      ['XUSDT', /base currency "X"/], // base too short
      ['ABCDEFGHIJKUSDT', /base currency "ABCDEFGHIJK"/], // 11 characters
      ['USDT', /base currency ""/],
      ['BTCXYZ', /cannot tell base from quote/],
      ['BTCTRY', /cannot tell base from quote/],
      ['BTC_USDT', /not a recognised/],
      ['USDTUSDT', /same currency/],
    ])('refuses %s', (input, why) => {
      expect(reason(input)).toMatch(why);
    });
  });

  describe('exchange prefix', () => {
    // The chart's data source, not where to trade (issue #7): the pair is what counts.
    it.each([
      ['BINANCE:BTCUSDT', { symbol: 'BTC/USDT', type: 'spot' }],
      ['BYBIT:BTCUSDT.P', { symbol: 'BTC/USDT:USDT', type: 'swap' }],
      ['OKX:ETHUSDT', { symbol: 'ETH/USDT', type: 'spot' }],
      ['BINANCE:BTCUSDTPERP', { symbol: 'BTC/USDT:USDT', type: 'swap' }],
    ])('maps %s to the OKX market', (input, market) => {
      expect(normalizeSymbol(input)).toEqual({ ok: true, market });
    });

    it('refuses a prefix with nothing after it', () => {
      expect(reason('OKX:')).toMatch(/nothing after/);
    });
  });

  describe('PERP suffix', () => {
    it.each([
      ['BTCUSDTPERP', { symbol: 'BTC/USDT:USDT', type: 'swap' }],
      ['ETHUSDCPERP', { symbol: 'ETH/USDC:USDC', type: 'swap' }],
    ])('maps %s to the perpetual', (input, market) => {
      expect(normalizeSymbol(input)).toEqual({ ok: true, market });
    });

    it.each(['BTC-PERP', 'BTCPERP', 'BTC_PERP'])('refuses %s, which names no quote currency', (input) => {
      expect(reason(input)).toMatch(/must name its quote currency, e\.g\. BTCUSDT\.P/);
    });

    it('keeps refusing inverse USD perpetuals', () => {
      expect(reason('BTCUSDPERP')).toMatch(/inverse/);
    });
  });

  describe('separated forms', () => {
    it('accepts any alphanumeric quote when the separator makes it unambiguous', () => {
      expect(market('BTC-TRY')).toEqual({ symbol: 'BTC/TRY', type: 'spot' });
      expect(market('BTC/TRY')).toEqual({ symbol: 'BTC/TRY', type: 'spot' });
    });

    it('maps USDC perpetuals', () => {
      expect(market('ETH-USDC-SWAP')).toEqual({ symbol: 'ETH/USDC:USDC', type: 'swap' });
      expect(market('OKX:ETHUSDC.P')).toEqual({ symbol: 'ETH/USDC:USDC', type: 'swap' });
    });

    it.each([
      ['BTC-USD-SWAP', /inverse/],
      ['BTCUSD.P', /inverse/],
      ['OKX:BTCUSD.P', /inverse/],
      ['BTC/USD:USD', /inverse/],
      ['BTC/USD:BTC', /settled in BTC/],
      ['BTC/USDT:BTC', /settled in BTC/],
      ['BTC-USDT-250328', /dated futures/],
      ['BTC-USDT-SWAP-X', /not a known OKX instrument/],
      ['BTC-USDT-FUTURES', /not a known OKX instrument/],
      ['BTC-', /base|quote/],
      ['-USDT', /base currency ""/],
      ['BTC/', /not a recognised/],
      ['BTC/USDT/ETH', /not a recognised/],
      ['B/USDT', /base currency "B"/],
      ['BTC/U$DT', /quote currency/],
    ])('refuses %s', (input, why) => {
      expect(reason(input)).toMatch(why);
    });
  });

  it.each(['', '   ', 'BTC USDT', 'BTCUSDT.X', 'BTCUSDT.PP', '.P'])('refuses %j', (input) => {
    expect(normalizeSymbol(input).ok).toBe(false);
  });

  it('quotes the input in the reason and shortens a long one', () => {
    expect(reason('FOOBAR')).toContain('"FOOBAR"');
    expect(reason(`${'Z'.repeat(300)}`).length).toBeLessThan(250);
  });
});
