import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONITORING_DIR, PROMETHEUS_RULE_FILE, RULES_FILE, renderPrometheusRule } from '../src/monitoring/prometheus-rule';

/** promtool from Debian's prometheus package (scripts/install-tools.sh installs it). */
function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool could not run (${r.error.message}): bash scripts/install-tools.sh prometheus`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const rules = readFileSync(RULES_FILE, 'utf8');
const alertNames = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);

describe('alert rules (deploy/k8s/monitoring)', () => {
  it('prometheusrule.yaml is generated from alerts.rules.yml (npm run monitoring:rules)', () => {
    expect(readFileSync(PROMETHEUS_RULE_FILE, 'utf8')).toBe(renderPrometheusRule(rules));
  });

  it('promtool accepts the rules', () => {
    const r = promtool(['check', 'rules', 'alerts.rules.yml'], MONITORING_DIR);
    expect(r.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('every alert has a for:, a severity and a runbook, and unit tests of its own', () => {
    const tests = readFileSync(join(MONITORING_DIR, 'alerts.test.yml'), 'utf8');
    const blocks = rules.split(/^\s+- alert: /m).slice(1);
    expect(blocks).toHaveLength(alertNames.length);
    for (const [i, block] of blocks.entries()) {
      const name = alertNames[i]!;
      expect({ name, for: /\n\s+for: \d+[smh]\n/.test(block) }).toEqual({ name, for: true });
      expect({ name, severity: /\n\s+severity: (critical|warning)\n/.test(block) }).toEqual({ name, severity: true });
      expect({ name, runbook: /\n\s+runbook: "/.test(block) }).toEqual({ name, runbook: true });
      // Firing: an expected alert under its name.
      expect({ name, tested: new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`).test(tests) }).toEqual({ name, tested: true });
    }
  });

  it('promtool test rules passes (every alert firing and not firing)', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml'], MONITORING_DIR);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('a wrong expectation fails the unit tests (so the check above can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-rules-'));
    try {
      copyFileSync(RULES_FILE, join(dir, 'alerts.rules.yml'));
      const tests = readFileSync(join(MONITORING_DIR, 'alerts.test.yml'), 'utf8');
      writeFileSync(join(dir, 'alerts.test.yml'), tests.replace('exp_labels: { severity: critical, job: billing, instance: "billing:9464" }', 'exp_labels: { severity: warning, job: billing, instance: "billing:9464" }'));
      const r = promtool(['test', 'rules', 'alerts.test.yml'], dir);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('alertname: ServiceDown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

