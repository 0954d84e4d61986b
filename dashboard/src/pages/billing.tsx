import { useState } from 'preact/hooks';
import { api, type Me, type Payment } from '../api';
import { Empty, ErrorNote, Loader, Section, Table } from '../components';
import { day, priceOf, when } from '../format';
import { useApi } from '../use-api';

export function BillingPage({ me, reloadMe }: { me: Me | undefined; reloadMe: () => void }) {
  const payments = useApi<{ payments: Payment[] }>('/me/payments');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [note, setNote] = useState('');
  const checkout = async (plan: string, provider: 'stripe' | 'paystack') => {
    setBusy(true);
    setError(undefined);
    try {
      const back = `${location.origin}/app/billing`;
      const r = await api<{ provider: string; url: string }>('/me/checkout', { method: 'POST', body: { provider, plan, successUrl: back, cancelUrl: back } });
      location.assign(r.url);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };
  const cancel = async () => {
    if (!confirm('Cancel at the end of the current period? You keep your plan until then.')) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('/me/subscription/cancel', { method: 'POST' });
      setNote('Your plan will end at the end of the current period.');
      reloadMe();
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };
  const sub = me?.subscription;
  return (
    <>
      <h1>Billing</h1>
      <ErrorNote error={error} />
      {note && <p role="status">{note}</p>}
      <Section title="Your plan">
        {sub ? (
          <>
            <dl class="facts">
              <dt>Plan</dt>
              <dd>{sub.plan || 'none'}</dd>
              <dt>Status</dt>
              <dd>{sub.status || '—'}</dd>
              <dt>Paid with</dt>
              <dd>{sub.provider || '—'}</dd>
              <dt>Period</dt>
              <dd>
                {day(sub.currentPeriodStart)} – {day(sub.currentPeriodEnd)}
              </dd>
              <dt>Features</dt>
              <dd>{sub.features?.length ? sub.features.join(', ') : '—'}</dd>
            </dl>
            {sub.cancelAtPeriodEnd ? (
              <p>Ends on {day(sub.currentPeriodEnd)}: it will not renew.</p>
            ) : sub.status === 'active' ? (
              <button type="button" class="danger" disabled={busy} onClick={cancel}>
                Cancel at period end
              </button>
            ) : null}
          </>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </Section>
      <Section title="Plans">
        {me && (me.plans ?? []).length > 0 ? (
          <ul class="plans">
            {(me.plans ?? []).map((p) => (
              <li class="card plan">
                <h3>{p.name}</h3>
                <p class="price">{p.amount ? priceOf(p.amount, p.currency, p.interval) : 'Price shown at checkout'}</p>
                <ul>
                  {p.features.map((f) => (
                    <li>{f}</li>
                  ))}
                </ul>
                {sub?.plan === p.id && sub.status === 'active' ? (
                  <p>
                    <strong>Your plan</strong>
                  </p>
                ) : (
                  <div class="row">
                    {(p.providers ?? ['stripe', 'paystack']).includes('stripe') && (
                      <button type="button" disabled={busy} onClick={() => checkout(p.id, 'stripe')} aria-label={`Pay by card for ${p.name} (Stripe)`}>
                        Pay by card
                      </button>
                    )}
                    {(p.providers ?? ['stripe', 'paystack']).includes('paystack') && (
                      <button type="button" class="secondary" disabled={busy} onClick={() => checkout(p.id, 'paystack')} aria-label={`Paystack for ${p.name}`}>
                        Paystack
                      </button>
                    )}
                  </div>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No plan on sale.</Empty>
        )}
      </Section>
      <Section title="Payment history">
        <Loader state={payments}>
          {(d) =>
            d.payments.length === 0 ? (
              <Empty>No payment yet.</Empty>
            ) : (
              <Table caption="Payments" head={['Date', 'Plan', 'Amount', 'Status', 'Provider', 'Reference']} numeric={[2]}>
                {d.payments.map((p) => (
                  <tr>
                    <td>{when(p.paidAt)}</td>
                    <td>{p.plan}</td>
                    <td class="num">{priceOf(p.amount, p.currency, '')}</td>
                    <td>{p.status}</td>
                    <td>{p.provider}</td>
                    <td>
                      <code>{p.providerPaymentId}</code>
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loader>
      </Section>
    </>
  );
}
