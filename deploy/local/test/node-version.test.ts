import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// The project runs on Node 24 LTS (package.json `engines`); `npm test`, `npm start` and
// `.ci/run` get it through scripts/node24.sh even where the machine's node is older. These
// fail when that wiring breaks and the tests (and the services they start with
// process.execPath) fall back to an older Node. gateway/test/ops.int.test.ts checks a
// running service's own version.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);
const enginesMajor = () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  return major(pkg.engines.node.replace(/^>=\s*/, '') + '.');
};

describe('Node version', () => {
  it('package.json asks for Node 24 or later', () => {
    expect(enginesMajor()).toBeGreaterThanOrEqual(24);
  });

  it('the tests run on a Node that satisfies engines', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(enginesMajor());
  });

  it('a process started the way the local stack starts services runs on it too', () => {
    const version = execFileSync(process.execPath, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(major(version)).toBeGreaterThanOrEqual(enginesMajor());
  });
});
