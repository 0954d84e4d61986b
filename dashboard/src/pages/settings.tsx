import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Channels, type Exchange, type ExchangeMode, type ExchangeTest, type Preferences, type RiskProfile, type RotatedSecret, type TradingView } from '../api';
import { CopyButton, Empty, ErrorNote, Loader, Section } from '../components';
import { when } from '../format';
import { useApi } from '../use-api';

export function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <TradingViewSetup />
      <ExchangeSettings />
      <RiskProfileForm />
      <NotificationSettings />
    </>
  );
}

function TradingViewSetup() {
  const tv = useApi<TradingView>('/tradingview');
  const [rotated, setRotated] = useState<RotatedSecret>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const rotate = async () => {
    if (!confirm('Make a new secret? The current one keeps working for a while, then stops: update your TradingView alerts.')) return;
    setBusy(true);
    setError(undefined);
    try {
      setRotated(await api<RotatedSecret>('/tradingview/secret/rotate', { method: 'POST' }));
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };
  return (
    <Section title="TradingView">
      <Loader state={tv}>
        {(d) => {
          const message = rotated?.messageTemplate ?? d.messageTemplate;
          const url = rotated?.webhookUrl ?? d.webhookUrl;
          return (
            <>
              <p>In your TradingView alert, turn on "Webhook URL", paste the URL, and paste the message.</p>
              <label for="tv-url">Webhook URL</label>
              <div class="row">
                <input id="tv-url" readOnly value={url} class="mono grow" />
                <CopyButton text={url} label="Copy URL" />
              </div>
              <label for="tv-message">Alert message</label>
              <textarea id="tv-message" readOnly rows={10} class="mono" value={message} />
              <CopyButton text={message} label="Copy message" />
              {rotated ? (
                <div class="notice" role="status">
                  <p>
                    <strong>Your new secret is shown only now.</strong> It is already in the message above. Old secret valid until:{' '}
                    {when(rotated.previousValidUntil)}.
                  </p>
                  <label for="tv-secret">Secret</label>
                  <div class="row">
                    <input id="tv-secret" readOnly value={rotated.secret} class="mono grow" />
                    <CopyButton text={rotated.secret} label="Copy secret" />
                  </div>
                  {rotated.signingKey && (
                    <>
                      <label for="tv-signing">Signing key (for X-Signature instead of the secret)</label>
                      <div class="row">
                        <input id="tv-signing" readOnly value={rotated.signingKey} class="mono grow" />
                        <CopyButton text={rotated.signingKey} label="Copy signing key" />
                      </div>
                    </>
                  )}
                </div>
              ) : null}
              <p>
                <button type="button" disabled={busy} onClick={rotate}>
                  Rotate secret
                </button>
              </p>
              <ErrorNote error={error} />
              {d.strategies.length > 0 && (
                <>
                  <h3>Strategies</h3>
                  <ul class="list">
                    {d.strategies.map((s) => (
                      <li>
                        <strong>{s.name}</strong> {s.enabled ? '' : '(disabled)'}
                        <div class="row">
                          <code class="grow wrap">{s.webhookUrl}</code>
                          <CopyButton text={s.webhookUrl} label={`Copy URL of ${s.name}`} />
                          <CopyButton text={s.messageTemplate} label={`Copy message of ${s.name}`} />
                        </div>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          );
        }}
      </Loader>
    </Section>
  );
}

const MODE_WORDS: Record<ExchangeMode, string> = { paper: 'Paper (simulated, no keys)', 'okx-demo': 'OKX demo trading', okx: 'OKX live' };
const KEY_STATUS: Record<Exchange['keyStatus'], string> = { not_set: 'no keys', unchecked: 'not checked yet', ok: 'accepted by OKX', rejected: 'refused by OKX' };

function ExchangeSettings() {
  const ex = useApi<Exchange>('/exchange');
  const [error, setError] = useState<Error>();
  const [note, setNote] = useState('');
  const [test, setTest] = useState<ExchangeTest>();
  const [busy, setBusy] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const body: Record<string, string> = { mode: String(f.get('mode')) };
    for (const k of ['apiKey', 'apiSecret', 'passphrase']) {
      const v = String(f.get(k) ?? '').trim();
      if (v) body[k] = v;
    }
    setBusy(true);
    setError(undefined);
    setNote('');
    try {
      await api<Exchange>('/exchange', { method: 'PUT', body });
      // Keys are write-only: the fields are emptied once saved.
      for (const k of ['apiKey', 'apiSecret', 'passphrase']) (form.elements.namedItem(k) as HTMLInputElement).value = '';
      setNote('Saved.');
      ex.reload();
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };
  const testConnection = async () => {
    setBusy(true);
    setError(undefined);
    setTest(undefined);
    try {
      setTest(await api<ExchangeTest>('/exchange/test', { method: 'POST' }));
      ex.reload();
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };
  return (
    <Section title="Exchange">
      <Loader state={ex}>
        {(d) => (
          <form onSubmit={save} aria-label="Exchange keys">
            <p>
              Keys: {KEY_STATUS[d.keyStatus] ?? d.keyStatus}
              {d.apiKeyHint ? ` (key ${d.apiKeyHint})` : ''}
              {d.checkedAt ? `, checked ${when(d.checkedAt)}` : ''}.
            </p>
            <div class="form-grid">
              <label>
                Mode
                <select name="mode">
                  {(Object.keys(MODE_WORDS) as ExchangeMode[]).map((m) => (
                    <option value={m} selected={m === d.mode}>
                      {MODE_WORDS[m]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                API key
                <input name="apiKey" autoComplete="off" placeholder={d.apiKeyHint ? 'unchanged' : ''} />
              </label>
              <label>
                API secret
                <input name="apiSecret" type="password" autoComplete="new-password" placeholder={d.apiKeyHint ? 'unchanged' : ''} />
              </label>
              <label>
                Passphrase
                <input name="passphrase" type="password" autoComplete="new-password" placeholder={d.apiKeyHint ? 'unchanged' : ''} />
              </label>
            </div>
            <div class="row">
              <button type="submit" disabled={busy}>
                Save exchange settings
              </button>
              <button type="button" class="secondary" disabled={busy} onClick={testConnection}>
                Test connection
              </button>
            </div>
            <ErrorNote error={error} />
            {note && <p role="status">{note}</p>}
            {test && (
              <div role="status" class={test.ok ? 'notice' : 'error'}>
                {test.ok ? 'OKX answered.' : `OKX refused: ${test.message ?? test.code ?? 'unknown reason'}`}
                {test.balances.length > 0 && (
                  <ul>
                    {test.balances.map((b) => (
                      <li>
                        {b.currency}: {b.free} free of {b.total}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )}
          </form>
        )}
      </Loader>
    </Section>
  );
}

type FieldKind = 'number' | 'int' | 'bool' | 'text' | 'list' | 'choice';
const RISK_FIELDS: { key: keyof RiskProfile; label: string; kind: FieldKind; hint?: string; choices?: string[] }[] = [
  { key: 'tradingEnabled', label: 'Trading enabled', kind: 'bool' },
  { key: 'allowedSymbols', label: 'Allowed symbols', kind: 'list', hint: 'comma-separated, e.g. BTC/USDT, ETH/USDT:USDT; empty allows all' },
  { key: 'sizingMode', label: 'Sizing mode', kind: 'choice', choices: ['fixed_quote', 'fixed_base', 'percent_equity', 'risk_percent'] },
  { key: 'sizingValue', label: 'Sizing value', kind: 'number' },
  { key: 'maxOrderNotional', label: 'Largest order (quote currency)', kind: 'number', hint: 'empty: no limit' },
  { key: 'maxPositionNotional', label: 'Largest position (quote currency)', kind: 'number', hint: 'empty: no limit' },
  { key: 'maxOpenPositions', label: 'Most open positions', kind: 'int', hint: 'empty: no limit' },
  { key: 'maxOrdersPerMinute', label: 'Most orders per minute', kind: 'int', hint: 'empty: no limit' },
  { key: 'maxOrdersPerDay', label: 'Most orders per day', kind: 'int', hint: 'empty: no limit' },
  { key: 'cooldownSeconds', label: 'Cooldown between orders (seconds)', kind: 'int', hint: 'empty: none' },
  { key: 'dailyLossLimit', label: 'Daily loss limit (quote currency)', kind: 'number', hint: 'trading stops for the UTC day past this loss' },
  { key: 'maxLeverage', label: 'Highest leverage', kind: 'number', hint: 'empty: no limit' },
  { key: 'marginMode', label: 'Margin mode (swaps)', kind: 'choice', choices: ['cross', 'isolated'] },
  { key: 'allowAlertQuantity', label: "Use the alert's quantity when it sends one", kind: 'bool' },
  { key: 'closeOppositeFirst', label: 'Close the opposite position first', kind: 'bool' },
];

/** The form's values as the API takes them; a number field left empty is "no limit" (left out). */
function readRiskForm(form: HTMLFormElement): Partial<RiskProfile> {
  const out: Record<string, unknown> = {};
  for (const f of RISK_FIELDS) {
    const el = form.elements.namedItem(f.key) as HTMLInputElement | HTMLSelectElement;
    const raw = el.value.trim();
    if (f.kind === 'bool') out[f.key] = (el as HTMLInputElement).checked;
    else if (f.kind === 'list') out[f.key] = raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
    else if (f.kind === 'number' || f.kind === 'int') {
      // Sent as typed (a number when it is one, else the text): the API says what is wrong
      // with it. Empty is null: no limit (the API removes it).
      out[f.key] = raw === '' ? (f.key === 'sizingValue' ? raw : null) : Number.isFinite(Number(raw)) ? Number(raw) : raw;
    } else out[f.key] = raw;
  }
  return out as Partial<RiskProfile>;
}

function RiskProfileForm() {
  const profile = useApi<RiskProfile>('/risk-profile');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error>();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    // The first bad field gets the focus, so keyboard and screen-reader users land on it.
    const first = RISK_FIELDS.find((f) => fields[f.key]);
    if (first) document.getElementById(`risk-${first.key}`)?.focus();
  }, [fields]);
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setFields({});
    setNote('');
    try {
      await api<RiskProfile>('/risk-profile', { method: 'PUT', body: readRiskForm(e.currentTarget as HTMLFormElement) });
      setNote('Risk profile saved.');
    } catch (err) {
      if (err instanceof ApiError && err.body.fields) setFields(err.body.fields);
      setError(err as Error);
    }
    setBusy(false);
  };
  return (
    <Section title="Risk profile">
      <Loader state={profile}>
        {(p) => (
          <form onSubmit={save} aria-label="Risk profile" noValidate>
            <div class="form-grid">
              {RISK_FIELDS.map((f) => {
                const id = `risk-${f.key}`;
                const msg = fields[f.key] ?? Object.entries(fields).find(([k]) => k.startsWith(`${f.key}.`) || k.startsWith(`${f.key}[`))?.[1];
                const describedBy = [f.hint ? `${id}-hint` : '', msg ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
                const value = p[f.key];
                return (
                  <div class={f.kind === 'bool' ? 'field check' : 'field'}>
                    {f.kind === 'bool' ? (
                      <>
                        <input id={id} name={f.key} type="checkbox" defaultChecked={Boolean(value)} aria-invalid={msg ? true : undefined} aria-describedby={describedBy} />
                        <label for={id}>{f.label}</label>
                      </>
                    ) : (
                      <>
                        <label for={id}>{f.label}</label>
                        {f.kind === 'choice' ? (
                          <select id={id} name={f.key} aria-invalid={msg ? true : undefined} aria-describedby={describedBy}>
                            {f.choices!.map((c) => (
                              <option value={c} selected={c === String(value ?? '')}>
                                {c.replace(/_/g, ' ')}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <input
                            id={id}
                            name={f.key}
                            inputMode={f.kind === 'text' || f.kind === 'list' ? undefined : 'decimal'}
                            defaultValue={Array.isArray(value) ? value.join(', ') : value === undefined || value === null ? '' : String(value)}
                            aria-invalid={msg ? true : undefined}
                            aria-describedby={describedBy}
                            autoComplete="off"
                          />
                        )}
                      </>
                    )}
                    {f.hint && (
                      <span id={`${id}-hint`} class="hint">
                        {f.hint}
                      </span>
                    )}
                    {msg && (
                      <span id={`${id}-error`} class="field-error">
                        {msg}
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
            <button type="submit" disabled={busy}>
              Save risk profile
            </button>
            <ErrorNote error={error} />
            {note && <p role="status">{note}</p>}
          </form>
        )}
      </Loader>
    </Section>
  );
}

const PREFERENCE_MODES = ['on', 'silent', 'failures_only', 'off'];

function NotificationSettings() {
  const prefs = useApi<Preferences>('/notifications/preferences');
  const channels = useApi<Channels>('/notifications/channels');
  const [error, setError] = useState<Error>();
  const [note, setNote] = useState('');
  const [link, setLink] = useState<{ url: string; code: string }>();
  const [webhookSecret, setWebhookSecret] = useState('');
  const savePrefs = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    // Only what was changed: the others keep following the defaults.
    const preferences = (prefs.data?.preferences ?? [])
      .map((p) => ({ eventType: p.eventType, channel: p.channel, mode: String(f.get(`${p.eventType}|${p.channel}`) ?? p.mode), was: p.mode }))
      .filter((p) => p.mode !== p.was)
      .map(({ was: _was, ...p }) => p);
    const hours = String(f.get('silenceAlertHours') ?? '').trim();
    setError(undefined);
    setNote('');
    try {
      await api('/notifications/preferences', { method: 'PUT', body: { preferences, ...(hours ? { silenceAlertHours: Number(hours) } : {}) } });
      setNote('Notification preferences saved.');
      prefs.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNote('');
    try {
      await fn();
      setNote(done);
      channels.reload();
    } catch (err) {
      setError(err as Error);
    }
  };
  const saveEmail = (e: Event) => {
    e.preventDefault();
    const email = String(new FormData(e.currentTarget as HTMLFormElement).get('email') ?? '').trim();
    void run(() => api('/notifications/email', { method: 'PUT', body: { email } }), 'Email saved.');
  };
  const addWebhook = (e: Event) => {
    e.preventDefault();
    const url = String(new FormData(e.currentTarget as HTMLFormElement).get('url') ?? '').trim();
    void run(async () => {
      const r = await api<{ secret?: string }>('/notifications/webhooks', { method: 'POST', body: { url } });
      setWebhookSecret(r?.secret ?? '');
    }, 'Webhook added. Its signing secret is shown below, once.');
  };
  const telegram = () =>
    void run(async () => setLink(await api<{ url: string; code: string }>('/notifications/telegram/link', { method: 'POST' })), 'Open the Telegram link to connect a chat.');
  return (
    <Section title="Notifications">
      <ErrorNote error={error} />
      {note && <p role="status">{note}</p>}
      <h3>Channels</h3>
      <Loader state={channels}>
        {(c) => (
          <>
            <form class="row" onSubmit={saveEmail} aria-label="Email">
              <label class="grow">
                Email address
                <input name="email" type="email" defaultValue={c.email ?? ''} autoComplete="email" />
              </label>
              <button type="submit" class="secondary">
                Save email
              </button>
            </form>
            {c.telegramAvailable !== false && (
              <p>
                Telegram chats: {c.telegramChats.length ? c.telegramChats.join(', ') : 'none'}{' '}
                <button type="button" class="secondary" onClick={telegram}>
                  Connect Telegram
                </button>
              </p>
            )}
            {webhookSecret && (
              <div class="notice">
                <label for="wh-secret">Webhook signing secret (shown once)</label>
                <div class="row">
                  <input id="wh-secret" readOnly value={webhookSecret} class="mono grow" />
                  <CopyButton text={webhookSecret} label="Copy webhook secret" />
                </div>
              </div>
            )}
            {link && (
              <p>
                <a href={link.url} target="_blank" rel="noopener noreferrer">
                  Open Telegram
                </a>{' '}
                (code <code>{link.code}</code>)
              </p>
            )}
            <ul class="list">
              {c.webhookEndpoints.map((w) => (
                <li class="row">
                  <code class="grow wrap">{w.url}</code>
                  <button type="button" class="secondary" onClick={() => run(() => api(`/notifications/webhooks/${encodeURIComponent(w.id)}/test`, { method: 'POST' }), 'Test sent.')}>
                    Send a test
                  </button>
                  <button type="button" class="danger" onClick={() => run(() => api(`/notifications/webhooks/${encodeURIComponent(w.id)}`, { method: 'DELETE' }), 'Webhook removed.')}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
            <form class="row" onSubmit={addWebhook} aria-label="Add a webhook">
              <label class="grow">
                Notification webhook URL
                <input name="url" type="url" placeholder="https://example.com/hook" />
              </label>
              <button type="submit" class="secondary">
                Add webhook
              </button>
            </form>
          </>
        )}
      </Loader>
      <h3>Preferences</h3>
      <Loader state={prefs}>
        {(p) =>
          p.preferences.length === 0 ? (
            <Empty>No notification type.</Empty>
          ) : (
            <form onSubmit={savePrefs} aria-label="Notification preferences">
              <div class="form-grid">
                {p.preferences.map((x) => (
                  <label>
                    {x.eventType} by {x.channel}
                    <select name={`${x.eventType}|${x.channel}`}>
                      {PREFERENCE_MODES.map((m) => (
                        <option value={m} selected={m === (x.isDefault ? 'default' : x.mode)}>{m === 'default' ? `default (${x.mode})` : m.replace('_', ' ')}</option>
                      ))}
                    </select>
                  </label>
                ))}
                <label>
                  Tell me when no alert arrived for (hours, 0: never)
                  <input name="silenceAlertHours" inputMode="numeric" defaultValue={String(p.silenceAlertHours ?? 0)} />
                </label>
              </div>
              <button type="submit">Save preferences</button>
            </form>
          )
        }
      </Loader>
    </Section>
  );
}
