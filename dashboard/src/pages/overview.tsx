import { useEffect, useState } from 'preact/hooks';
import type { Me, Pnl, Position, Signal } from '../api';
import { Empty, Link, Loader, OutcomeBadge, Section, Table } from '../components';
import { day, money, num, when } from '../format';
import { useApi } from '../use-api';

type ChartComponent = (typeof import('../pnl-chart'))['default'];

let chartModule: Promise<{ default: ChartComponent }> | undefined;
/** uPlot is loaded only where a chart is drawn (the other pages stay small), from the moment the overview opens. */
const loadChart = () => (chartModule ??= import('../pnl-chart'));

function LazyChart({ pnl }: { pnl: Pnl }) {
  const [Chart, setChart] = useState<ChartComponent | null>(null);
  useEffect(() => {
    void loadChart().then((m) => setChart(() => m.default));
  }, []);
  return Chart ? <Chart pnl={pnl} /> : <p class="muted chart">Loading chart…</p>;
}

export function Overview({ me }: { me: Me | undefined }) {
  // Fetched alongside the data, not after it.
  void loadChart();
  const pnl = useApi<Pnl>('/pnl?days=30');
  const positions = useApi<{ positions: Position[] }>('/positions');
  const signals = useApi<{ signals: Signal[] }>('/signals?pageSize=5');
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        <Section title="Plan" class="slot-plan">
          {me?.subscription ? (
            <dl class="facts">
              <dt>Plan</dt>
              <dd>{me.subscription.plan || 'none'}</dd>
              <dt>Status</dt>
              <dd>{me.subscription.status || '—'}</dd>
              <dt>{me.subscription.cancelAtPeriodEnd ? 'Ends' : 'Renews'}</dt>
              <dd>{day(me.subscription.currentPeriodEnd)}</dd>
            </dl>
          ) : (
            <p class="muted">Loading…</p>
          )}
          <p>
            <Link to="/billing">Billing and plans</Link>
          </p>
        </Section>
        <Section title="Profit and loss, 30 days" class="slot-chart">
          <Loader state={pnl}>
            {(p) => {
              const total = p.cumulative.at(-1)?.realizedPnl ?? 0;
              return (
                <figure class="chart-figure">
                  <LazyChart pnl={p} />
                  <figcaption>
                    Realised PnL: {money(total, p.currency)} over {p.cumulative.length} days (blue line: cumulative, orange bars: each day).
                  </figcaption>
                </figure>
              );
            }}
          </Loader>
        </Section>
      </div>
      <Section title="Open positions" class="slot-list">
        <Loader state={positions}>
          {(d) =>
            d.positions.length === 0 ? (
              <Empty>No open position.</Empty>
            ) : (
              <PositionsTable positions={d.positions} />
            )
          }
        </Loader>
      </Section>
      <Section title="Last signals" actions={<Link to="/signals">All signals</Link>}>
        <Loader state={signals}>
          {(d) =>
            d.signals.length === 0 ? (
              <Empty>No signal yet: send a TradingView alert (see Settings).</Empty>
            ) : (
              <ul class="list">
                {d.signals.map((s) => (
                  <li>
                    <Link to={`/signals/${encodeURIComponent(s.id)}`}>
                      {s.action} {s.symbol}
                    </Link>{' '}
                    <OutcomeBadge outcome={s.outcome} /> <span class="muted small">{when(s.receivedAt)}</span>
                    {s.outcome === 'rejected' && <div class="small">{s.reason}</div>}
                  </li>
                ))}
              </ul>
            )
          }
        </Loader>
      </Section>
    </>
  );
}

export function PositionsTable({ positions }: { positions: Position[] }) {
  return (
    <Table caption="Open positions" head={['Symbol', 'Side', 'Amount', 'Entry price', 'Mode', 'Realised PnL']} numeric={[2, 3, 5]}>
      {positions.map((p) => (
        <tr>
          <td>{p.symbol}</td>
          <td>{p.side}</td>
          <td class="num">{num(p.amount)}</td>
          <td class="num">{num(p.entryPrice, 4)}</td>
          <td>{p.mode}</td>
          <td class="num">{money(p.realizedPnl, '')}</td>
        </tr>
      ))}
    </Table>
  );
}
