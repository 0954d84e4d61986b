import { useState } from 'preact/hooks';
import { download, query, type Trade } from '../api';
import { Empty, ErrorNote, Loader, Section, Table } from '../components';
import { money, num, when } from '../format';
import { useApi } from '../use-api';
import { dayBound, Pager } from './signals';

interface Filters {
  symbol: string;
  strategyId: string;
  status: string;
  from: string;
  to: string;
}

export function TradesPage() {
  const [filters, setFilters] = useState<Filters>({ symbol: '', strategyId: '', status: '', from: '', to: '' });
  const [pages, setPages] = useState<string[]>(['']);
  const [exportError, setExportError] = useState<Error>();
  const filterQuery = {
    symbol: filters.symbol.trim(),
    strategyId: filters.strategyId.trim(),
    status: filters.status,
    from: dayBound(filters.from, false),
    to: dayBound(filters.to, true),
  };
  const trades = useApi<{ trades: Trade[]; nextPageToken: string }>(`/trades${query({ pageSize: 50, pageToken: pages[pages.length - 1], ...filterQuery })}`);
  const apply = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: keyof Filters) => String(f.get(k) ?? '');
    setFilters({ symbol: get('symbol'), strategyId: get('strategyId'), status: get('status'), from: get('from'), to: get('to') });
    setPages(['']);
  };
  const exportCsv = () => {
    setExportError(undefined);
    download(`/trades.csv${query(filterQuery)}`, 'trades.csv').catch((err: Error) => setExportError(err));
  };
  return (
    <>
      <h1>Trades</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter trades">
        <label>
          Symbol
          <input name="symbol" placeholder="BTC/USDT" autoComplete="off" />
        </label>
        <label>
          Strategy id
          <input name="strategyId" autoComplete="off" />
        </label>
        <label>
          Status
          <select name="status">
            <option value="">Any</option>
            <option value="submitted">Submitted</option>
            <option value="filled">Filled</option>
            <option value="rejected">Rejected</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" />
        </label>
        <label>
          To
          <input type="date" name="to" />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <Section
        title="Trade history"
        actions={
          <button type="button" class="secondary" onClick={exportCsv}>
            Download CSV
          </button>
        }
      >
        <ErrorNote error={exportError} />
        <Loader state={trades}>
          {(d) =>
            d.trades.length === 0 ? (
              <Empty>No trade matches.</Empty>
            ) : (
              <>
                <Table caption="Trades" head={['Time', 'Symbol', 'Side', 'Amount', 'Price', 'Fee', 'Status', 'Mode', 'Realised PnL']} numeric={[3, 4, 5, 8]}>
                  {d.trades.map((t) => (
                    <tr>
                      <td>{when(t.createdAt)}</td>
                      <td>{t.symbol}</td>
                      <td>{t.side}</td>
                      <td class="num">{num(t.amount)}</td>
                      <td class="num">{num(t.price, 4)}</td>
                      <td class="num">
                        {num(t.fee)} {t.feeCurrency}
                      </td>
                      <td>{t.status}</td>
                      <td>{t.mode}</td>
                      <td class="num">{money(t.realizedPnl, '')}</td>
                    </tr>
                  ))}
                </Table>
                <Pager pages={pages} setPages={setPages} next={d.nextPageToken} />
              </>
            )
          }
        </Loader>
      </Section>
    </>
  );
}
