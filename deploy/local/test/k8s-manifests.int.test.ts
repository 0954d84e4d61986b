import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { OPERATOR_CRDS_DIR, findKubeTools, startKubeApiServer, type KubeApiServer, type KubectlResult } from '../src/testing';

const ROOT = path.resolve(__dirname, '../../..');
const K8S = path.join(ROOT, 'deploy/k8s');
const NAMESPACE = 'tradingbot';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Array<{ name: string; securityContext?: Record<string, unknown> } & Record<string, unknown>>;
}
interface Deployment extends Manifest {
  spec: { template: { metadata: { labels?: Record<string, string> }; spec: PodSpec } } & Record<string, unknown>;
}

const explain = (r: KubectlResult) => `exit ${r.status}\n${r.stdout}${r.stderr}`;

/**
 * deploy/k8s submitted to a real kube-apiserver (built from k8s.io/kubernetes, with etcd):
 * real schemas (unknown fields are errors), real admission (PodSecurity enforcing the
 * namespace's `restricted` level), `--warnings-as-errors` so a Deployment whose pods would
 * be refused fails here rather than at rollout. Dry runs, except the Namespace and the
 * CRDs, which must exist for the rest to be judged as a cluster would.
 */
describe('deploy/k8s against a real kube-apiserver', () => {
  const found = findKubeTools();
  if (!found.tools) {
    const why = `${found.missing.join(', ')} not installed (bash scripts/install-tools.sh etcd kube-apiserver kubectl)`;
    // .ci/run sets KUBE_REQUIRED: there install-tools.sh has just installed them.
    if (process.env.KUBE_REQUIRED) {
      it('finds etcd, kube-apiserver and kubectl', () => {
        throw new Error(`${why}; KUBE_REQUIRED is set`);
      });
      return;
    }
    it.skip(`${why}; skipped`, () => undefined);
    process.stderr.write(`NOTICE: ${why}; the Kubernetes manifests check is skipped\n`);
    return;
  }
  const tools = found.tools;
  let kube: KubeApiServer;
  let rendered: Manifest[];

  const kubectl = (args: string[], input?: string) => kube.kubectl(args, input);
  const dryRun = (args: string[], input?: string) => kubectl(['apply', '--dry-run=server', '--warnings-as-errors', ...args], input);
  const gatewayDeployment = (): Deployment => structuredClone(rendered.find((m) => m.kind === 'Deployment' && m.metadata.name === 'gateway') as Deployment);

  beforeAll(async () => {
    kube = await startKubeApiServer({ tools });
    // For real: PodSecurity reads the level from the live Namespace's labels.
    const ns = await kubectl(['apply', '-f', path.join(K8S, 'namespace.yaml')]);
    expect({ ns: explain(ns), status: ns.status }).toMatchObject({ status: 0 });
    // What the controller-manager (not running here) would create; admission looks it up for bare Pods.
    const sa = await kubectl(['create', 'serviceaccount', 'default', '-n', NAMESPACE]);
    expect({ sa: explain(sa), status: sa.status }).toMatchObject({ status: 0 });
    // The manifests as kustomize renders them (names, namespace, image rewritten), as JSON to edit.
    const r = await kubectl(['apply', '--dry-run=client', '-k', K8S, '-o', 'json']);
    expect({ render: explain(r), status: r.status }).toMatchObject({ status: 0 });
    rendered = (JSON.parse(r.stdout) as { items: Manifest[] }).items;
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
  });

  it('the namespace enforces the restricted pod-security level', async () => {
    const r = await kubectl(['get', 'namespace', NAMESPACE, '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']);
    expect(r.stdout).toBe('restricted');
  });

  it('accepts deploy/k8s (server dry run, warnings are errors)', async () => {
    const r = await dryRun(['-k', K8S]);
    expect({ status: r.status, out: explain(r) }).toMatchObject({ status: 0 });
    for (const name of ['gateway', 'billing', 'trading', 'notifications']) {
      expect(r.stdout).toContain(`deployment.apps/${name} created (server dry run)`);
    }
    // Every rendered object was judged by the server, not only the Deployments.
    expect(r.stdout.trim().split('\n')).toHaveLength(rendered.length);
  });

  it('refuses a Deployment whose pods would break the restricted level (warnings are errors)', async () => {
    const d = gatewayDeployment();
    delete d.spec.template.spec.securityContext!.runAsNonRoot;
    const r = await dryRun(['-f', '-'], JSON.stringify(d));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/would violate PodSecurity "restricted:latest": runAsNonRoot/);
  });

  it('admits the gateway pod as it is, and refuses it privileged', async () => {
    const d = gatewayDeployment();
    const pod = (spec: PodSpec) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gateway-probe', namespace: NAMESPACE, labels: d.spec.template.metadata.labels }, spec });
    const ok = await dryRun(['-f', '-'], pod(d.spec.template.spec));
    expect({ status: ok.status, out: explain(ok) }).toMatchObject({ status: 0 });

    const privileged = structuredClone(d.spec.template.spec);
    // (Privileged needs privilege escalation allowed too, or the pod is invalid before admission.)
    privileged.containers[0]!.securityContext = { ...privileged.containers[0]!.securityContext, privileged: true, allowPrivilegeEscalation: true };
    const refused = await dryRun(['-f', '-'], pod(privileged));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/is forbidden: violates PodSecurity "restricted:latest": .*privileged \(container "gateway" must not set securityContext\.privileged=true\)/);
  });

  it('refuses a manifest with an unknown field', async () => {
    const d = gatewayDeployment();
    d.spec.template.spec.containers[0]!.imagePullPolcy = 'Always';
    const r = await dryRun(['-f', '-'], JSON.stringify(d));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolcy"/);
  });

  it('accepts deploy/k8s/monitoring once the Prometheus Operator CRDs exist', async () => {
    const monitoring = path.join(K8S, 'monitoring');
    // Without the CRDs the kinds are unknown: the check below is not vacuous.
    const before = await dryRun(['-k', monitoring]);
    expect(before.status).not.toBe(0);
    expect(before.stderr).toMatch(/no matches for kind "ServiceMonitor"/);

    if (!existsSync(OPERATOR_CRDS_DIR)) throw new Error(`no CRDs in ${OPERATOR_CRDS_DIR}: bash scripts/install-tools.sh prometheus-operator-crds`);
    const crds = readdirSync(OPERATOR_CRDS_DIR).map((f) => path.join(OPERATOR_CRDS_DIR, f));
    expect(crds.map((f) => path.basename(f)).sort()).toEqual(['monitoring.coreos.com_prometheusrules.yaml', 'monitoring.coreos.com_servicemonitors.yaml']);
    // Server-side: the ServiceMonitor CRD is too large for client-side apply's annotation.
    const applied = await kubectl(['apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
    expect({ status: applied.status, out: explain(applied) }).toMatchObject({ status: 0 });
    const established = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com']);
    expect({ status: established.status, out: explain(established) }).toMatchObject({ status: 0 });

    const r = await dryRun(['-k', monitoring]);
    expect({ status: r.status, out: explain(r) }).toMatchObject({ status: 0 });
    expect(r.stdout).toContain('prometheusrule.monitoring.coreos.com/tradingbot-alerts created (server dry run)');
    expect(r.stdout).toMatch(/servicemonitor\.monitoring\.coreos\.com\/gateway created \(server dry run\)/);
  });
});
