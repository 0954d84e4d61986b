import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** deploy/k8s/monitoring, from this file's place in deploy/local/dist (or src)/monitoring. */
export const MONITORING_DIR = join(__dirname, '..', '..', '..', 'k8s', 'monitoring');
export const RULES_FILE = join(MONITORING_DIR, 'alerts.rules.yml');
export const PROMETHEUS_RULE_FILE = join(MONITORING_DIR, 'prometheusrule.yaml');

const HEADER = `# GENERATED from alerts.rules.yml by \`npm run monitoring:rules\`: edit that file, not this one
# (a test fails while they differ). For the Prometheus Operator:
#   kubectl apply -k deploy/k8s/monitoring
# The \`release\` label is the one kube-prometheus-stack selects by default; set yours.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: tradingbot-alerts
  labels:
    app.kubernetes.io/part-of: tradingbot
    release: kube-prometheus-stack
spec:
`;

/**
 * The PrometheusRule's spec is the rules file's `groups:` unchanged: its lines (leading
 * comments dropped) indented under `spec:`. Text, not a YAML round trip, so the rules
 * keep their comments and layout and the two files stay comparable line by line.
 */
export function renderPrometheusRule(rules: string): string {
  const lines = rules.split('\n');
  const start = lines.findIndex((l) => l.startsWith('groups:'));
  if (start < 0) throw new Error('alerts.rules.yml has no top-level groups:');
  const body = lines
    .slice(start)
    .map((l) => (l === '' ? '' : `  ${l}`))
    .join('\n');
  return HEADER + body.replace(/\n*$/, '\n');
}

if (require.main === module) {
  writeFileSync(PROMETHEUS_RULE_FILE, renderPrometheusRule(readFileSync(RULES_FILE, 'utf8')));
  console.log(`wrote ${PROMETHEUS_RULE_FILE}`);
}
