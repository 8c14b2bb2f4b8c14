import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type {
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  ObservableMiddleware,
  Watch,
} from '@kubernetes/client-node';
import type { KubernetesTarget } from './types.ts';

/**
 * The official client (@kubernetes/client-node) as the Kubernetes dispatcher uses it: the configuration a
 * target names, and API errors turned into sentences that name what went wrong (a missing permission, a
 * refused credential, an unreachable server). The client is loaded on first use: importing it takes about a
 * second, which no process that runs no Kubernetes load should pay.
 */

type Client = typeof import('@kubernetes/client-node');
let client: Promise<Client> | undefined;
export const loadClient = (): Promise<Client> => {
  client ??= import('@kubernetes/client-node');
  return client;
};

export interface KubeClients {
  batch: BatchV1Api;
  core: CoreV1Api;
  watch: Watch;
  /** the API server's URL, for messages */
  server: string;
  /** request options that send a patch as a JSON merge patch */
  mergePatch: ConfigurationOptions<ObservableMiddleware>;
}

/** where a pod's service account token is mounted */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The target's configuration: its `kubeconfig` file, else (as the client's loadFromDefault and kubectl) the
 * files in KUBECONFIG, else ~/.kube/config, else the service account of the pod gridshift runs in; then the
 * target's `context`, if it names one.
 */
export function kubeConfig(
  k8s: Client,
  target: Pick<KubernetesTarget, 'kubeconfig' | 'context'>,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new k8s.KubeConfig();
  const files = target.kubeconfig
    ? [target.kubeconfig]
    : (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
  const home = env.HOME ? join(env.HOME, '.kube', 'config') : undefined;
  if (files.length === 0 && home && existsSync(home)) files.push(home);
  if (files.length > 0) {
    loadFile(kc, files[0]);
    for (const file of files.slice(1)) {
      const more = new k8s.KubeConfig();
      loadFile(more, file);
      kc.mergeConfig(more, true);
    }
  } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    throw new Error(
      'no Kubernetes configuration: set kubeconfig in the target, KUBECONFIG or ~/.kube/config, or run gridshift in a pod with a service account',
    );
  }
  if (target.context) {
    if (!kc.getContextObject(target.context))
      throw new Error(`the kubeconfig has no context named ${JSON.stringify(target.context)}`);
    kc.setCurrentContext(target.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current context with a cluster');
  return kc;
}

/** Reads a kubeconfig file; a failure says which file and why in one line (the parser's next lines quote it). */
function loadFile(kc: KubeConfig, file: string): void {
  try {
    kc.loadFromFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
    throw new Error(`cannot read the kubeconfig ${file}: ${why}`);
  }
}

export async function kubeClients(target: KubernetesTarget, env?: NodeJS.ProcessEnv): Promise<KubeClients> {
  const k8s = await loadClient();
  const kc = kubeConfig(k8s, target, env);
  return {
    batch: kc.makeApiClient(k8s.BatchV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    watch: new k8s.Watch(kc),
    server: kc.getCurrentCluster()?.server ?? '(unknown server)',
    mergePatch: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  };
}

/** What an API call needs RBAC for: the verb on the resource (with its API group) in the namespace. */
export interface Permission {
  verb: 'create' | 'get' | 'list' | 'watch' | 'patch' | 'delete';
  /** `jobs`, `pods`, `pods/log`, `nodes`, `events`, `scaledobjects`, `horizontalpodautoscalers` */
  resource: string;
  /** absent for cluster-scoped resources (nodes) */
  namespace?: string;
  /** whose permission it is, for the hint (default: the dispatcher's) */
  who?: string;
}

const GROUPS: Record<string, string> = {
  jobs: 'batch',
  scaledobjects: 'keda.sh',
  horizontalpodautoscalers: 'autoscaling',
};
const groupOf = (resource: string) => GROUPS[resource] ?? 'core';

/** The HTTP status of a failed API call, if the server answered. */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof KubeError) return err.status;
  if (isApiException(err)) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The client's ApiException (an HTTP status as `code`, the response as `body`), told without loading the client. */
function isApiException(err: unknown): err is { code: number; body: unknown } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err;
}

/** The `message` of the Status body the API server sent with an error, if any. */
function statusMessage(err: unknown): string | undefined {
  if (!isApiException(err)) return undefined;
  let body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return (body as string).slice(0, 500) || undefined;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** A failed API call in words: a missing permission names its verb, resource and namespace. */
export function describeApiError(err: unknown, what: Permission, server: string): string {
  const status = apiStatus(err);
  const message = statusMessage(err);
  const said = message ? `: ${message}` : '';
  const scope = what.namespace === undefined ? 'at the cluster scope' : `in namespace ${what.namespace}`;
  const on = `${what.resource} (API group ${groupOf(what.resource)}) ${scope}`;
  if (status === 401)
    return `the Kubernetes API server at ${server} refused the credentials (HTTP 401 Unauthorized)${said}; check the kubeconfig's user or the service account's token`;
  if (status === 403)
    return `not allowed to ${what.verb} ${on} (HTTP 403 Forbidden)${said}; grant ${what.who ?? "the dispatcher's"} user or service account the verb ${what.verb} on ${what.resource}`;
  if (status !== undefined) return `could not ${what.verb} ${on}: HTTP ${status}${said}`;
  return `could not reach the Kubernetes API server at ${server} to ${what.verb} ${what.resource}: ${networkCause(err)}`;
}

/** fetch wraps network errors in "fetch failed"; the cause says what happened (ECONNREFUSED, ENOTFOUND ...). */
export function networkCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as (Error & { code?: string }) | undefined;
  if (cause?.code) return cause.code;
  return cause?.message ?? err.message;
}

/** An API call that failed, with the sentence for the load's outcome. */
export class KubeError extends Error {
  readonly status: number | undefined;
  constructor(err: unknown, what: Permission, server: string) {
    super(describeApiError(err, what, server));
    this.status = apiStatus(err);
  }
}

/** Runs an API call; a failure becomes a KubeError that says what was asked and why it failed. */
export async function kubeCall<T>(
  clients: KubeClients,
  what: Permission,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new KubeError(err, what, clients.server);
  }
}
