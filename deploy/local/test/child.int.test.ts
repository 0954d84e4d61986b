import { existsSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { spawnChild, type Child } from '../src/child';

// The local stack runs billing at a lower CPU priority (LOCAL_BILLING_NICE): with autogroups,
// only the group's nice ranks a detached child against the other processes.

describe('spawnChild({ nice })', () => {
  let child: Child | undefined;
  afterEach(async () => {
    await child?.stop(1000);
    child = undefined;
  });

  it("lowers the child's priority, its autogroup's where the kernel has them", () => {
    child = spawnChild('sleeper', 'sleep', ['30'], { nice: 7, sink: () => undefined });
    const pid = child.proc.pid!;
    expect(getPriority(pid)).toBe(7);
    const autogroup = `/proc/${pid}/autogroup`;
    if (existsSync(autogroup)) expect(readFileSync(autogroup, 'utf8')).toMatch(/nice 7\b/);
  });

  it('leaves a child without `nice` at normal priority', () => {
    child = spawnChild('sleeper', 'sleep', ['30'], { sink: () => undefined });
    expect(getPriority(child.proc.pid!)).toBe(getPriority());
  });
});
