import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startFerretDB, type Child } from '@tbot/local-stack/dist';
import mongoose from 'mongoose';
import { Deliveries } from '../src/deliveries';
import { subjectIdsOf } from '../src/rpc/validate';

// ListDeliveries' subject filter on a real FerretDB (or TEST_MONGODB_URI): a signal's and a
// trade's notifications, found by the event ids trading gives them, and nobody else's.

const USER = '5e0b9d1c-1a2b-4c3d-8e4f-0a1b2c3d4e5f';
const OTHER = '6f1c0e2d-2b3c-4d4e-9f50-1b2c3d4e5f60';
const SIG = 'sig_0mabcdefg0123456789ab';
const TRD = 'trd_0mabcdefh0123456789ab';
const notification = { type: 'order.filled' as const, title: 't', text: 't', reasonCode: '', failure: false, data: {} };

describe('deliveries by subject', () => {
  let dir: string;
  let ferret: Child | undefined;
  let conn: mongoose.Connection;
  let deliveries: Deliveries;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-notif-subject-'));
    let uri = process.env.TEST_MONGODB_URI;
    if (!uri) {
      const f = await startFerretDB({ dataDir: path.join(dir, 'ferretdb'), sink: () => undefined });
      ferret = f.child;
      uri = f.uri;
    }
    conn = await mongoose.createConnection(uri, { dbName: `notif_subject_${Date.now()}` }).asPromise();
    deliveries = new Deliveries(conn);
    await deliveries.init();
    const record = (eventId: string, userId = USER, destination = 'chat-1') =>
      deliveries.record({ eventId, userId, channel: 'telegram', destination, notification: notification as never });
    await record(`${SIG}:rejected`);
    await record(`${TRD}:submitted`);
    await record(`${TRD}:filled`);
    await record(`${TRD}:filled`, USER, 'chat-2');
    // Not this signal's: another signal whose id starts the same, another user's, a non-trading event.
    await record(`${SIG}x:rejected`);
    await record(`${SIG}:rejected`, OTHER);
    await record('BILLING:12');
  }, 60_000);

  afterAll(async () => {
    await conn?.close();
    await ferret?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the deliveries of the signal and of its trade', async () => {
    const { docs } = await deliveries.page(USER, { limit: 50, subjectIds: [SIG, TRD] });
    expect(docs.map((d) => `${d.eventId}|${d.destination}`).sort()).toEqual(
      [`${SIG}:rejected|chat-1`, `${TRD}:filled|chat-1`, `${TRD}:filled|chat-2`, `${TRD}:submitted|chat-1`].sort(),
    );
  });

  it('pages through them', async () => {
    const first = await deliveries.page(USER, { limit: 2, subjectIds: [TRD] });
    expect(first.docs).toHaveLength(2);
    const second = await deliveries.page(USER, { limit: 2, before: first.next!, subjectIds: [TRD] });
    expect(second.docs).toHaveLength(1);
    expect(second.next).toBeUndefined();
  });

  it('lists everything without the filter', async () => {
    expect((await deliveries.page(USER, { limit: 50, subjectIds: [] })).docs).toHaveLength(6);
  });

  it('takes only signal and trade ids, at most 20', () => {
    expect(subjectIdsOf([SIG, TRD])).toEqual([SIG, TRD]);
    expect(() => subjectIdsOf(['sig_.*'])).toThrow(/invalid_subject_ids/);
    expect(() => subjectIdsOf(Array(21).fill(SIG))).toThrow(/at most 20/);
  });
});
