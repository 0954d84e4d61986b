import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnChild, type Child, type LineSink } from '../child';
import { TOOLS_BIN, findTool, freePort, waitFor } from '../tools';

/** The binaries a real API server needs (scripts/install-tools.sh installs them). */
export interface KubeTools {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

/**
 * etcd (Debian's etcd-server) and the kube-apiserver and kubectl built into the tools
 * cache; `missing` names those not found. The cache's kubectl comes before PATH's, so the
 * test runs the version built to match the server, not whatever the machine has.
 */
export function findKubeTools(): { tools: KubeTools; missing: [] } | { tools: undefined; missing: string[] } {
  const etcd = findTool('etcd', process.env.ETCD_BIN);
  const kubeApiserver = findTool('kube-apiserver', process.env.KUBE_APISERVER_BIN);
  const kubectl = findTool('kubectl', process.env.KUBECTL_BIN);
  if (etcd && kubeApiserver && kubectl) return { tools: { etcd, kubeApiserver, kubectl }, missing: [] };
  const missing = Object.entries({ etcd, 'kube-apiserver': kubeApiserver, kubectl })
    .filter(([, bin]) => bin === undefined)
    .map(([name]) => name);
  return { tools: undefined, missing };
}

/** Where install-tools.sh puts the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs. */
export const OPERATOR_CRDS_DIR = path.join(TOOLS_BIN, 'prometheus-operator-crds');

export interface KubectlResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig for an admin user (group system:masters) of this server. */
  kubeconfig: string;
  /** Runs kubectl against this server; `input` is sent on stdin (for `-f -`). */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** The server's and etcd's last log lines (for a failure's message). */
  logTail(): string;
  stop(): Promise<void>;
}

/** Keeps the last `max` lines of every child's output, printed only when a start fails. */
function tailSink(max = 200): { sink: LineSink; tail: () => string } {
  const lines: string[] = [];
  return {
    sink: (name, line) => {
      lines.push(`${name}| ${line}`);
      if (lines.length > max) lines.shift();
    },
    tail: () => lines.join('\n'),
  };
}

function run(command: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('error', reject);
    proc.once('close', (status) => resolve({ status, stdout, stderr }));
    proc.stdin.end(input ?? '');
  });
}

/** GET `url` with the server's own CA; true on 200. */
function getOk(url: string, ca: Buffer, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * A real Kubernetes control plane's API half, for checking manifests: etcd and kube-apiserver
 * in a temp dir on free ports, with the default admission plugins (PodSecurity among them),
 * RBAC, and an admin token. No controller-manager or scheduler runs, so nothing is ever
 * scheduled and namespaces get no `default` ServiceAccount unless a test creates it.
 */
export async function startKubeApiServer(opts: { tools: KubeTools; sink?: LineSink }): Promise<KubeApiServer> {
  const { tools } = opts;
  const dir = mkdtempSync(path.join(tmpdir(), 'tbot-kube-'));
  const logs = tailSink();
  const sink: LineSink = (name, line, stream) => {
    logs.sink(name, line, stream);
    opts.sink?.(name, line, stream);
  };
  const children: Child[] = [];
  const stop = async () => {
    // The API server first: it would only log etcd's disappearance.
    for (const child of [...children].reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = spawnChild(
      'etcd',
      tools.etcd,
      [
        '--name=test',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      { sink },
    );
    children.push(etcd);
    await waitFor('etcd to be healthy', async () => (await fetch(`${etcdUrl}/health`).catch(() => undefined))?.ok === true, 30_000, 200);

    // The admin's bearer token, in the static token file's format: token,user,uid,"groups".
    const token = randomBytes(24).toString('hex');
    writeFileSync(path.join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    // Service account tokens must be signable even though no test asks for one: the server refuses to start without a key.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const certDir = path.join(dir, 'certs');
    const apiserver = spawnChild(
      'kube-apiserver',
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        // No --tls-cert-file: the server writes a self-signed CA and serving cert here.
        `--cert-dir=${certDir}`,
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // As kubeadm sets it: without it the server refuses every privileged container before
        // admission, and a test could not show that PodSecurity is what refuses them.
        '--allow-privileged=true',
        // On by default since 1.25; named so a change of defaults cannot silently drop the check.
        '--enable-admission-plugins=PodSecurity',
        '--v=0',
      ],
      { sink },
    );
    children.push(apiserver);
    const url = `https://127.0.0.1:${securePort}`;
    // apiserver.crt holds the serving cert followed by the CA that signed it.
    const caFile = path.join(certDir, 'apiserver.crt');
    await waitFor(
      'kube-apiserver to be ready',
      async () => {
        if (apiserver.proc.exitCode !== null) throw new Error(`kube-apiserver exited with ${apiserver.proc.exitCode}`);
        return existsSync(caFile) && (await getOk(`${url}/readyz`, readFileSync(caFile), token));
      },
      60_000,
      250,
    );

    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: test',
        '    cluster:',
        `      server: ${url}`,
        `      certificate-authority: ${caFile}`,
        'users:',
        '  - name: admin',
        '    user:',
        `      token: ${token}`,
        'contexts:',
        '  - name: test',
        '    context:',
        '      cluster: test',
        '      user: admin',
        'current-context: test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // kubectl caches discovery under $HOME unless told otherwise; keep it in the temp dir.
    const kubectlEnv = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
    return {
      url,
      kubeconfig,
      kubectl: (args, input) => run(tools.kubectl, [`--cache-dir=${path.join(dir, 'kubectl-cache')}`, ...args], input, kubectlEnv),
      logTail: logs.tail,
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- last log lines ---\n${logs.tail()}`);
  }
}
