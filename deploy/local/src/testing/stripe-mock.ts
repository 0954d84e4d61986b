import { spawnChild, type Child } from '../child';
import { canConnect, findTool, freePort, waitFor } from '../tools';

/** stripe-mock (stateless, canned objects) on a free port; `url` is for STRIPE_API_BASE. */
export async function startStripeMock(): Promise<{ url: string; child: Child }> {
  const bin = findTool('stripe-mock', process.env.STRIPE_MOCK_BIN);
  if (!bin) throw new Error('stripe-mock is not installed: run `npm run tools`');
  const port = await freePort();
  const child = spawnChild('stripe-mock', bin, ['-http-port', String(port), '-https-port', '0'], {
    sink: () => undefined,
  });
  await waitFor('stripe-mock', () => canConnect('127.0.0.1', port));
  return { url: `http://127.0.0.1:${port}`, child };
}
