import { useState } from 'preact/hooks';
import { api, query, type OpsUser, type WebhookEvent, type WebhookStats } from '../api';
import { Empty, ErrorNote, Loader, Section, Table } from '../components';
import { when } from '../format';
import { useApi } from '../use-api';
import { Pager } from './signals';

const STATES = ['dead_letter', 'unmatched', 'processing', 'done'];
const REPLAYABLE = new Set(['dead_letter', 'unmatched']);

export function OpsPage() {
  const stats = useApi<WebhookStats>('/ops/webhooks/stats');
  const [provider, setProvider] = useState('');
  const [state, setState] = useState('dead_letter');
  const events = useApi<{ events: WebhookEvent[]; nextPageToken: string }>(`/ops/webhooks${query({ provider, state, pageSize: 50 })}`);
  const [userPages, setUserPages] = useState<string[]>(['']);
  const users = useApi<{ users: OpsUser[]; nextPageToken: string }>(`/ops/users${query({ pageSize: 50, pageToken: userPages[userPages.length - 1] })}`);
  const [note, setNote] = useState('');
  const [error, setError] = useState<Error>();
  const replay = async (e: WebhookEvent) => {
    setError(undefined);
    setNote('');
    try {
      const r = await api<{ replayed: number | boolean }>(`/ops/webhooks/${encodeURIComponent(e.eventKey)}/replay`, { method: 'POST' });
      setNote(`Replayed ${e.eventKey} (${String(r.replayed)}).`);
      events.reload();
      stats.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <>
      <h1>Operator</h1>
      <Section title="Webhooks, last hour">
        <Loader state={stats}>
          {(s) => (
            <dl class="stats">
              <div>
                <dt>Received</dt>
                <dd>{s.received}</dd>
              </div>
              <div>
                <dt>Failed</dt>
                <dd>{s.failed}</dd>
              </div>
              <div>
                <dt>Failure rate</dt>
                <dd>{(s.failureRate * 100).toFixed(1)} %</dd>
              </div>
              <div>
                <dt>Backlog age</dt>
                <dd>{s.backlogAgeSeconds} s</dd>
              </div>
              <div>
                <dt>Dead letters</dt>
                <dd>{s.deadLetters}</dd>
              </div>
              <div>
                <dt>Unmatched</dt>
                <dd>{s.unmatched}</dd>
              </div>
            </dl>
          )}
        </Loader>
      </Section>
      <Section title="Webhook inbox">
        <form class="filters" aria-label="Filter webhooks" onSubmit={(e) => e.preventDefault()}>
          <label>
            Provider
            <select value={provider} onChange={(e) => setProvider((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">Any</option>
              <option value="stripe">Stripe</option>
              <option value="paystack">Paystack</option>
            </select>
          </label>
          <label>
            State
            <select value={state} onChange={(e) => setState((e.currentTarget as HTMLSelectElement).value)}>
              {STATES.map((s) => (
                <option value={s}>{s.replace('_', ' ')}</option>
              ))}
            </select>
          </label>
        </form>
        <ErrorNote error={error} />
        {note && <p role="status">{note}</p>}
        <Loader state={events}>
          {(d) =>
            d.events.length === 0 ? (
              <Empty>No event in this state.</Empty>
            ) : (
              <Table caption="Webhook events" head={['Received', 'Event', 'Type', 'State', 'Attempts', 'Last error', 'Action']} numeric={[4]}>
                {d.events.map((e) => (
                  <tr>
                    <td>{when(e.receivedAt)}</td>
                    <td>
                      <code>{e.eventKey}</code>
                    </td>
                    <td>{e.type}</td>
                    <td>{e.state}</td>
                    <td class="num">{e.attempts}</td>
                    <td class="reason">{e.lastError || e.detail || '—'}</td>
                    <td>
                      {REPLAYABLE.has(e.state) && (
                        <button type="button" class="secondary" onClick={() => replay(e)} aria-label={`Replay ${e.eventKey}`}>
                          Replay
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loader>
      </Section>
      <Section title="Users and plans">
        <Loader state={users}>
          {(d) =>
            d.users.length === 0 ? (
              <Empty>No user.</Empty>
            ) : (
              <>
                <Table caption="Users" head={['User', 'Email', 'Plan', 'Status', 'Created']}>
                  {d.users.map((u) => (
                    <tr>
                      <td>
                        <code>{u.userId}</code>
                      </td>
                      <td>{u.email}</td>
                      <td>{u.plan || '—'}</td>
                      <td>{u.status || '—'}</td>
                      <td>{when(u.createdAt)}</td>
                    </tr>
                  ))}
                </Table>
                <Pager pages={userPages} setPages={setUserPages} next={d.nextPageToken} />
              </>
            )
          }
        </Loader>
      </Section>
    </>
  );
}
