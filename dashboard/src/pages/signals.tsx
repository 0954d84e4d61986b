import { useState } from 'preact/hooks';
import type { Signal, SignalDetail } from '../api';
import { query } from '../api';
import { Empty, Link, Loader, OutcomeBadge, Section, Table } from '../components';
import { OUTCOME_WORDS, when } from '../format';
import { useApi } from '../use-api';

interface Filters {
  outcome: string;
  symbol: string;
  strategyId: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { outcome: '', symbol: '', strategyId: '', from: '', to: '' };

/** A date input (YYYY-MM-DD) as the start or the end of that UTC day. */
export const dayBound = (d: string, end: boolean) => (d ? `${d}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : undefined);

export function SignalsPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [pages, setPages] = useState<string[]>(['']);
  const token = pages[pages.length - 1]!;
  const path = `/signals${query({
    pageSize: 50,
    pageToken: token,
    outcome: filters.outcome,
    symbol: filters.symbol.trim(),
    strategyId: filters.strategyId.trim(),
    from: dayBound(filters.from, false),
    to: dayBound(filters.to, true),
  })}`;
  const signals = useApi<{ signals: Signal[]; nextPageToken: string }>(path);
  const apply = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const get = (k: keyof Filters) => String(f.get(k) ?? '');
    setFilters({ outcome: get('outcome'), symbol: get('symbol'), strategyId: get('strategyId'), from: get('from'), to: get('to') });
    setPages(['']);
  };
  return (
    <>
      <h1>Signals</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter signals">
        <label>
          Outcome
          <select name="outcome">
            <option value="">Any</option>
            {Object.entries(OUTCOME_WORDS).map(([v, w]) => (
              <option value={v} selected={v === filters.outcome}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Symbol
          <input name="symbol" defaultValue={filters.symbol} placeholder="BTC/USDT" autoComplete="off" />
        </label>
        <label>
          Strategy id
          <input name="strategyId" defaultValue={filters.strategyId} autoComplete="off" />
        </label>
        <label>
          From
          <input type="date" name="from" defaultValue={filters.from} />
        </label>
        <label>
          To
          <input type="date" name="to" defaultValue={filters.to} />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <Section title="Signal log">
        <Loader state={signals}>
          {(d) =>
            d.signals.length === 0 ? (
              <Empty>No signal matches.</Empty>
            ) : (
              <>
                <Table caption="Signals" head={['Received', 'Signal', 'Strategy', 'Outcome', 'Reason', 'Latency']} numeric={[5]}>
                  {d.signals.map((s) => (
                    <tr>
                      <td>{when(s.receivedAt)}</td>
                      <td>
                        <Link to={`/signals/${encodeURIComponent(s.id)}`}>
                          {s.action} {s.symbol}
                        </Link>
                      </td>
                      <td>{s.strategy || s.strategyId || 'default'}</td>
                      <td>
                        <OutcomeBadge outcome={s.outcome} />
                      </td>
                      <td class="reason">{s.reason || s.message || '—'}</td>
                      <td class="num">{s.latencyMs === undefined ? '—' : `${s.latencyMs} ms`}</td>
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

export function Pager({ pages, setPages, next }: { pages: string[]; setPages: (p: string[]) => void; next: string }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={pages.length <= 1} onClick={() => setPages(pages.slice(0, -1))}>
        Previous page
      </button>
      <span class="muted small">Page {pages.length}</span>
      <button type="button" class="secondary" disabled={!next} onClick={() => setPages([...pages, next])}>
        Next page
      </button>
    </nav>
  );
}

const STAGE_WORDS: Record<string, string> = {
  received: 'Received',
  checked: 'Risk checks',
  order: 'Order',
  fill: 'Fill',
  notification: 'Notification',
};

export function SignalDetailPage({ id }: { id: string }) {
  const signal = useApi<SignalDetail>(`/signals/${encodeURIComponent(id)}`);
  return (
    <>
      <p>
        <Link to="/signals">← All signals</Link>
      </p>
      <Loader state={signal}>
        {(s) => (
          <>
            <h1>
              {s.action} {s.symbol} <OutcomeBadge outcome={s.outcome} />
            </h1>
            <Section title="Details">
              <dl class="facts">
                <dt>Received</dt>
                <dd>{when(s.receivedAt)}</dd>
                <dt>Strategy</dt>
                <dd>{s.strategy || s.strategyId || 'default'}</dd>
                {s.reason && (
                  <>
                    <dt>Reason</dt>
                    <dd class="reason">{s.reason}</dd>
                  </>
                )}
                {s.rejectCode && (
                  <>
                    <dt>Code</dt>
                    <dd>
                      <code>{s.rejectCode}</code>
                      {s.rejectRule ? ` (rule ${s.rejectRule})` : ''}
                    </dd>
                  </>
                )}
                {s.message && (
                  <>
                    <dt>Message</dt>
                    <dd>{s.message}</dd>
                  </>
                )}
                <dt>Latency</dt>
                <dd>{s.latencyMs === undefined ? '—' : `${s.latencyMs} ms`}</dd>
                <dt>Trades</dt>
                <dd>{s.tradeIds.length ? s.tradeIds.join(', ') : 'none'}</dd>
              </dl>
              {s.traceUrl && (
                <p>
                  <a href={s.traceUrl} target="_blank" rel="noopener noreferrer">
                    Open its trace in Jaeger
                  </a>
                </p>
              )}
            </Section>
            <Section title="Timeline">
              {s.timeline.length === 0 ? (
                <Empty>No step recorded.</Empty>
              ) : (
                <ol class="timeline">
                  {s.timeline.map((t) => (
                    <li class={t.ok ? 'ok' : 'bad'}>
                      <strong>{STAGE_WORDS[t.stage] ?? t.stage}</strong> <span class="muted small">{when(t.at)}</span>
                      <span class="sr-only">{t.ok ? ' (passed)' : ' (stopped here)'}</span>
                      <div>{t.detail}</div>
                    </li>
                  ))}
                </ol>
              )}
            </Section>
          </>
        )}
      </Loader>
    </>
  );
}
