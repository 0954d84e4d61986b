import { AsyncResource } from 'node:async_hooks';

/**
 * Wraps `fn` so the calls made during one turn of the event loop all start together at
 * its end (setImmediate), each in its caller's async context (trace, logger bindings).
 *
 * Why: nats.js writes its outbound buffer to the socket in a microtask after each publish,
 * so webhooks that arrive in the same turn (one poll of 32 busy connections) each cost a
 * socket write here and a read in nats-server. Started back to back in one callback, their
 * publishes fill the buffer before that microtask runs and leave in one write. The delay
 * is the rest of the current turn, not a timer.
 */
export function startedPerTurn<A, R>(fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let queue: Array<() => void> = [];
  const runQueued = () => {
    const calls = queue;
    queue = [];
    for (const call of calls) call();
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length === 0) setImmediate(runQueued);
      queue.push(
        AsyncResource.bind(() => {
          try {
            fn(arg).then(resolve, reject);
          } catch (err) {
            reject(err);
          }
        }),
      );
    });
}
