import type { Position } from '../api';
import { Empty, Loader, Section } from '../components';
import { useApi } from '../use-api';
import { PositionsTable } from './overview';

export function PositionsPage() {
  const positions = useApi<{ positions: Position[] }>('/positions');
  return (
    <>
      <h1>Positions</h1>
      <Section title="Open positions" actions={<button type="button" class="secondary" onClick={positions.reload}>Refresh</button>}>
        <Loader state={positions}>{(d) => (d.positions.length === 0 ? <Empty>No open position.</Empty> : <PositionsTable positions={d.positions} />)}</Loader>
      </Section>
    </>
  );
}
