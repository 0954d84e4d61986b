import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api';
import type { Loaded } from './use-api';
import { outcomeWord } from './format';
import { onLinkClick, BASE } from './router';

export function Link(props: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={BASE + props.to} class={props.class} aria-current={props['aria-current']} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const code = error instanceof ApiError ? ` (${error.body.error})` : '';
  return (
    <p class="error" role="alert">
      {error.message}
      {code}
    </p>
  );
}

/** Loading / error / content of one API call. */
export function Loader<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (state.error && !state.data) return <ErrorNote error={state.error} />;
  if (!state.data) return <p class="muted" aria-busy="true">Loading…</p>;
  return <>{children(state.data)}</>;
}

/** `class` may reserve the height the content will take, so nothing moves when it arrives. */
export function Section(props: { title: string; id?: string; class?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const id = props.id ?? `s-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class={props.class ? `card ${props.class}` : 'card'} aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return <span class={`badge badge-${outcome}`}>{outcomeWord(outcome)}</span>;
}

/** Copies text; falls back to selecting it when the Clipboard API is refused. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<'' | 'copied' | 'failed'>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
    setTimeout(() => setDone(''), 3000);
  };
  return (
    <span class="copy">
      <button type="button" class="secondary" onClick={copy}>
        {label}
      </button>
      <span role="status" class="muted">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted">{children}</p>;
}

/** A table that scrolls sideways on a phone instead of squeezing its columns. */
export function Table(props: { caption: string; head: string[]; children: ComponentChildren; numeric?: number[] }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={`${props.caption} table`}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th scope="col" class={props.numeric?.includes(i) ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
