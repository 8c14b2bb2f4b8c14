import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';

/**
 * A small Kubernetes API server for tests, speaking the documented REST shapes of what the Job dispatcher
 * and the controller use: batch/v1 Jobs (create, get, list, merge and strategic merge patch, delete with a propagation policy),
 * list + `?watch=true` as newline-delimited JSON events carrying resourceVersions (a version older than the
 * last compaction gets an ERROR event with a 410 Gone Status, as kube-apiserver sends it), core/v1 pods of a
 * Job (list, log), bearer tokens (401) and forbidden verbs (403), errors as Status objects. A Job that runs
 * gets a Running pod; the test ends it with `finish`, which sets the pod's exit code and log and the Job's
 * Complete or Failed condition. Suspending a running Job deletes its pod, as the Job controller does. For the controller:
 * core/v1 nodes (list by label selector, get, merge patch; a patch carrying a stale
 * `metadata.resourceVersion` gets 409 Conflict, as optimistic concurrency does), core/v1 events (create),
 * keda.sh/v1alpha1 ScaledObjects and autoscaling/v2 HorizontalPodAutoscalers (list, get, merge patch; an
 * HPA's maxReplicas below 1 or below its minReplicas is 422 Invalid). It serves HTTPS with a self-signed certificate, which the kubeconfig it writes trusts (as a cluster's CA).
 */

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as JSON, read and written field by field
export type KubeObject = Record<string, any>;
type Obj = KubeObject;

export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body?: Obj;
}

export interface Finish {
  exitCode: number;
  log?: string;
  /** the Failed condition's reason (default BackoffLimitExceeded) */
  reason?: string;
  message?: string;
}

export interface KubeApiDouble {
  url: string;
  token: string;
  requests: KubeRequest[];
  /** a Job as stored, or undefined */
  job(namespace: string, name: string): Obj | undefined;
  jobs(namespace: string): Obj[];
  pods(namespace: string): Obj[];
  /** ends the Job's pod with `exitCode` (Complete when 0, else Failed) and its log */
  finish(namespace: string, name: string, how: Finish): void;
  /** a change to the Job that a controller would make (a status update): a new resourceVersion and event */
  touch(namespace: string, name: string): void;
  /** adds (or replaces) a node, a ScaledObject or an HPA, as `kubectl apply` would */
  put(object: Obj): Obj;
  /** a node, ScaledObject or HPA as stored (`namespace` undefined for nodes) */
  object(resource: ObjectResource, namespace: string | undefined, name: string): Obj | undefined;
  /** someone else's write to the object just before the next patch of it arrives (that patch then carries a stale resourceVersion) */
  changeBeforeNextPatch(
    resource: ObjectResource,
    namespace: string | undefined,
    name: string,
    change: (o: Obj) => void,
  ): void;
  /** the core/v1 Events created in a namespace */
  events(namespace: string): Obj[];
  /** answers `verb` on `resource` (jobs, pods, pods/log, nodes, events, scaledobjects, horizontalpodautoscalers) with 403 Forbidden */
  forbid(verb: string, resource: string): void;
  /** breaks every open watch connection, as a network failure or a restarted server would */
  dropWatches(): void;
  /** forgets the events until now: a watch from an older resourceVersion gets 410 Gone */
  compact(): void;
  /** the watch requests received, with the resourceVersion each asked from */
  watches(): string[];
  /** a kubeconfig pointing at this server (trusting its certificate), with its token unless told another */
  writeKubeconfigText(options?: { token?: string; context?: string }): string;
  /** writes that kubeconfig to a new file in `dir`; returns its path */
  writeKubeconfig(dir: string, options?: { token?: string; context?: string }): string;
  close(): Promise<void>;
}

export type ObjectResource = 'nodes' | 'scaledobjects' | 'horizontalpodautoscalers';

/** The resources the controller uses, by the path prefix the API serves them under. */
const OBJECT_ROUTES: { re: RegExp; resource: ObjectResource | 'events'; group: string; kind: string }[] = [
  { re: /^\/api\/v1\/nodes(?:\/([^/]+))?$/, resource: 'nodes', group: '', kind: 'Node' },
  {
    re: /^\/api\/v1\/namespaces\/([^/]+)\/events(?:\/([^/]+))?$/,
    resource: 'events',
    group: '',
    kind: 'Event',
  },
  {
    re: /^\/apis\/keda\.sh\/v1alpha1\/namespaces\/([^/]+)\/scaledobjects(?:\/([^/]+))?$/,
    resource: 'scaledobjects',
    group: 'keda.sh',
    kind: 'ScaledObject',
  },
  {
    re: /^\/apis\/autoscaling\/v2\/namespaces\/([^/]+)\/horizontalpodautoscalers(?:\/([^/]+))?$/,
    resource: 'horizontalpodautoscalers',
    group: 'autoscaling',
    kind: 'HorizontalPodAutoscaler',
  },
];
const KINDS: Record<string, ObjectResource> = {
  Node: 'nodes',
  ScaledObject: 'scaledobjects',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
};

const status = (code: number, reason: string, message: string, details: Obj = {}): Obj => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  details,
  code,
});

/** RFC 7386 JSON merge patch (also what a strategic merge patch does to maps and scalars) */
function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v)) out[k] = mergePatch((target[k] as Obj) ?? {}, v);
    else out[k] = v;
  }
  return out;
}

/** equality-based selectors: `k=v`, `k==v`, `k!=v`, `k` (exists), `!k` (does not exist) */
function matchesLabels(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    if (!term.includes('=')) return term in labels;
    const [k, v] = term.includes('!=') ? term.split('!=') : term.split(/==?/);
    return term.includes('!=') ? labels[k] !== v : labels[k] === v;
  });
}

function matchesFields(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/==?/);
    if (k === 'metadata.name') return obj.metadata?.name === v;
    if (k === 'metadata.namespace') return obj.metadata?.namespace === v;
    return false;
  });
}

/** The server's self-signed certificate (test-only, for 127.0.0.1 and localhost), trusted through the kubeconfig. */
const FIXTURES = new URL('../fixtures/kube/', import.meta.url);
const CERT = readFileSync(new URL('api-server.crt', FIXTURES));
const KEY = readFileSync(new URL('api-server.key', FIXTURES));

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export async function startKubeApi(): Promise<KubeApiDouble> {
  const token = randomBytes(16).toString('hex');
  const requests: KubeRequest[] = [];
  const jobs = new Map<string, Obj>();
  const pods = new Map<string, Obj>();
  const logs = new Map<string, string>();
  const forbidden = new Set<string>();
  const objects = new Map<string, Obj>();
  const eventList: Obj[] = [];
  const beforePatch = new Map<string, (o: Obj) => void>();
  const objectKey = (resource: string, ns: string | undefined, name: string) =>
    `${resource}/${ns ?? ''}/${name}`;
  const events: { rv: number; type: string; object: Obj }[] = [];
  const watchers = new Set<{ res: ServerResponse; ns: string; query: URLSearchParams }>();
  const watchFrom: string[] = [];
  let rv = 100;
  let compactedRv = 0;

  const key = (ns: string, name: string) => `${ns}/${name}`;
  const clone = (o: Obj): Obj => structuredClone(o);

  const emit = (type: string, job: Obj) => {
    const event = { rv: Number(job.metadata.resourceVersion), type, object: clone(job) };
    events.push(event);
    for (const w of watchers) send(w, event);
  };
  const send = (
    w: { res: ServerResponse; ns: string; query: URLSearchParams },
    e: (typeof events)[number],
  ) => {
    if (e.object.metadata.namespace !== w.ns) return;
    if (!matchesLabels(e.object, w.query.get('labelSelector'))) return;
    if (!matchesFields(e.object, w.query.get('fieldSelector'))) return;
    w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  };
  const touch = (job: Obj) => {
    job.metadata.resourceVersion = String(++rv);
  };

  const startPod = (job: Obj) => {
    const ns = job.metadata.namespace;
    const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const tpl = job.spec.template;
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: now(),
        labels: {
          ...(tpl.metadata?.labels ?? {}),
          'batch.kubernetes.io/job-name': job.metadata.name,
          'job-name': job.metadata.name,
          'batch.kubernetes.io/controller-uid': job.metadata.uid,
          'controller-uid': job.metadata.uid,
        },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: tpl.spec,
      status: {
        phase: 'Running',
        containerStatuses: (tpl.spec.containers as Obj[]).map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now() } },
        })),
      },
    };
    pods.set(key(ns, name), pod);
    job.status = { ...job.status, active: 1, startTime: job.status.startTime ?? now(), ready: 1 };
  };
  const podsOf = (job: Obj) =>
    [...pods.values()].filter((p) => p.metadata.labels['controller-uid'] === job.metadata.uid);
  const stopPods = (job: Obj) => {
    for (const p of podsOf(job))
      if (p.status.phase === 'Running') pods.delete(key(p.metadata.namespace, p.metadata.name));
  };
  const setSuspended = (job: Obj, suspended: boolean) => {
    const others = (job.status.conditions ?? []).filter((c: Obj) => c.type !== 'Suspended');
    const cond = {
      type: 'Suspended',
      status: suspended ? 'True' : 'False',
      reason: suspended ? 'JobSuspended' : 'JobResumed',
      message: suspended ? 'Job suspended' : 'Job resumed',
      lastProbeTime: now(),
      lastTransitionTime: now(),
    };
    job.status.conditions = [...others, cond];
    if (suspended) {
      stopPods(job);
      job.status.active = 0;
      delete job.status.startTime;
    } else startPod(job);
  };

  const verbOf = (method: string, query: URLSearchParams, named: boolean) =>
    method === 'POST'
      ? 'create'
      : method === 'PATCH'
        ? 'patch'
        : method === 'DELETE'
          ? 'delete'
          : query.get('watch') === 'true' || query.get('watch') === '1'
            ? 'watch'
            : named
              ? 'get'
              : 'list';

  const reply = (res: ServerResponse, code: number, body: Obj | string) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, bodyText: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const contentType = req.headers['content-type']?.split(';')[0];
    const body = bodyText ? (JSON.parse(bodyText) as Obj) : undefined;
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType,
      body,
    });
    if (req.headers.authorization !== `Bearer ${token}`)
      return reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    for (const route of OBJECT_ROUTES) {
      const m = route.re.exec(url.pathname);
      if (!m) continue;
      const [ns, name] = route.resource === 'nodes' ? [undefined, m[1]] : [m[1], m[2]];
      const verb = verbOf(req.method ?? 'GET', url.searchParams, name !== undefined);
      if (forbidden.has(`${verb} ${route.resource}`)) {
        const g = route.group ? `.${route.group}` : '';
        const what = name ? `${route.resource}${g} "${name}"` : `${route.resource}${g}`;
        const scope = ns ? ` in the namespace "${ns}"` : ' at the cluster scope';
        const message = `${what} is forbidden: User "system:serviceaccount:gridshift:controller" cannot ${verb} resource "${route.resource}" in API group "${route.group}"${scope}`;
        return reply(
          res,
          403,
          status(403, 'Forbidden', message, {
            ...(name ? { name } : {}),
            group: route.group,
            kind: route.resource,
          }),
        );
      }
      return objectRoute(res, route, verb, ns, name, url.searchParams, contentType, body);
    }
    const jobPath = url.pathname.match(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/);
    const podPath = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)(\/log)?)?$/);
    const [ns, name] = [jobPath?.[1] ?? podPath?.[1], jobPath?.[2] ?? podPath?.[2]];
    if (!ns)
      return reply(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const resource = jobPath ? 'jobs' : podPath?.[3] ? 'pods/log' : 'pods';
    const verb = verbOf(req.method ?? 'GET', url.searchParams, name !== undefined);
    if (forbidden.has(`${verb} ${resource}`)) {
      const group = resource === 'jobs' ? 'batch' : '';
      const what = name
        ? `${resource.split('/')[0]}${group ? `.${group}` : ''} "${name}"`
        : `${resource}${group ? `.${group}` : ''}`;
      const message = `${what} is forbidden: User "system:serviceaccount:gridshift:dispatcher" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`;
      return reply(res, 403, status(403, 'Forbidden', message, { group, kind: resource.split('/')[0] }));
    }
    if (jobPath) return jobRoute(res, verb, ns, name, url.searchParams, contentType, body);
    return podRoute(res, verb, ns, name, url.searchParams, podPath?.[3] !== undefined);
  };

  const objectRoute = (
    res: ServerResponse,
    route: (typeof OBJECT_ROUTES)[number],
    verb: string,
    ns: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
    contentType: string | undefined,
    body: Obj | undefined,
  ) => {
    const { resource, group, kind } = route;
    const apiVersion = group === '' ? 'v1' : group === 'keda.sh' ? 'keda.sh/v1alpha1' : 'autoscaling/v2';
    if (resource === 'events') {
      if (verb !== 'create')
        return reply(res, 405, status(405, 'MethodNotAllowed', 'the double only creates events'));
      if (!body?.involvedObject?.name || (!body?.metadata?.name && !body?.metadata?.generateName))
        return reply(
          res,
          422,
          status(422, 'Invalid', 'Event is invalid: involvedObject or metadata.name is missing'),
        );
      const event = clone(body);
      event.metadata = {
        ...event.metadata,
        name: event.metadata.name ?? `${event.metadata.generateName}${randomBytes(3).toString('hex')}`,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: now(),
        resourceVersion: String(++rv),
      };
      eventList.push(event);
      return reply(res, 201, event);
    }
    if (verb === 'list')
      return reply(res, 200, {
        apiVersion,
        kind: `${kind}List`,
        metadata: { resourceVersion: String(rv) },
        items: [...objects.entries()]
          .filter(([k]) => k.startsWith(`${resource}/${ns ?? ''}/`))
          .map(([, o]) => o)
          .filter((o) => matchesLabels(o, query.get('labelSelector'))),
      });
    const stored = name ? objects.get(objectKey(resource, ns, name)) : undefined;
    if (!name || !stored) {
      const what = `${resource}${group ? `.${group}` : ''} "${name ?? ''}"`;
      return reply(res, 404, status(404, 'NotFound', `${what} not found`, { name, group, kind: resource }));
    }
    if (verb === 'get') return reply(res, 200, stored);
    if (verb !== 'patch')
      return reply(res, 405, status(405, 'MethodNotAllowed', `the double does not ${verb} ${resource}`));
    if (contentType !== 'application/merge-patch+json')
      return reply(
        res,
        415,
        status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format'),
      );
    const meddle = beforePatch.get(objectKey(resource, ns, name));
    if (meddle) {
      beforePatch.delete(objectKey(resource, ns, name));
      meddle(stored);
      touch(stored);
    }
    const wantRv = body?.metadata?.resourceVersion;
    if (wantRv !== undefined && wantRv !== stored.metadata.resourceVersion)
      return reply(
        res,
        409,
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${resource}${group ? `.${group}` : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, group, kind: resource },
        ),
      );
    const patched = mergePatch(stored, body ?? {});
    if (resource === 'horizontalpodautoscalers') {
      const { minReplicas = 1, maxReplicas } = patched.spec ?? {};
      if (!(Number.isInteger(maxReplicas) && maxReplicas >= 1 && maxReplicas >= minReplicas))
        return reply(
          res,
          422,
          status(
            422,
            'Invalid',
            `HorizontalPodAutoscaler.autoscaling "${name}" is invalid: spec.maxReplicas: Invalid value: ${maxReplicas}: must be greater than or equal to \`minReplicas\` and at least 1`,
          ),
        );
    }
    Object.assign(stored, { metadata: patched.metadata, spec: patched.spec });
    touch(stored);
    return reply(res, 200, stored);
  };

  const notFound = (res: ServerResponse, name: string) =>
    reply(
      res,
      404,
      status(404, 'NotFound', `jobs.batch "${name}" not found`, { name, group: 'batch', kind: 'jobs' }),
    );

  const jobRoute = (
    res: ServerResponse,
    verb: string,
    ns: string,
    name: string | undefined,
    query: URLSearchParams,
    contentType: string | undefined,
    body: Obj | undefined,
  ) => {
    const stored = name ? jobs.get(key(ns, name)) : undefined;
    if (verb === 'create') {
      const jobName = body?.metadata?.name as string | undefined;
      if (!jobName || !body?.spec?.template)
        return reply(
          res,
          422,
          status(422, 'Invalid', 'Job is invalid: metadata.name or spec.template is missing'),
        );
      if (jobs.has(key(ns, jobName)))
        return reply(
          res,
          409,
          status(409, 'AlreadyExists', `jobs.batch "${jobName}" already exists`, {
            name: jobName,
            group: 'batch',
            kind: 'jobs',
          }),
        );
      const job: Obj = clone(body);
      job.metadata = {
        ...job.metadata,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: now(),
        generation: 1,
      };
      job.spec = { suspend: false, backoffLimit: 6, completions: 1, parallelism: 1, ...job.spec };
      job.status = {};
      touch(job);
      if (job.spec.suspend) setSuspended(job, true);
      else startPod(job);
      jobs.set(key(ns, jobName), job);
      emit('ADDED', job);
      return reply(res, 201, job);
    }
    if (verb === 'list' || verb === 'watch') return listOrWatch(res, verb, ns, query);
    if (!name || !stored) return notFound(res, name ?? '');
    if (verb === 'get') return reply(res, 200, stored);
    if (verb === 'patch') {
      if (
        contentType !== 'application/merge-patch+json' &&
        contentType !== 'application/strategic-merge-patch+json'
      )
        return reply(
          res,
          415,
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`),
        );
      const wasSuspended = stored.spec.suspend === true;
      const patched = mergePatch(stored, body ?? {});
      Object.assign(stored, { metadata: patched.metadata, spec: patched.spec });
      const finished = (stored.status.conditions ?? []).some((c: Obj) =>
        ['Complete', 'Failed'].includes(c.type),
      );
      if (!finished && wasSuspended !== (stored.spec.suspend === true))
        setSuspended(stored, stored.spec.suspend === true);
      touch(stored);
      emit('MODIFIED', stored);
      return reply(res, 200, stored);
    }
    // delete
    const policy = query.get('propagationPolicy') ?? 'Background';
    jobs.delete(key(ns, name));
    if (policy !== 'Orphan') for (const p of podsOf(stored)) pods.delete(key(ns, p.metadata.name));
    touch(stored);
    emit('DELETED', stored);
    return reply(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: 'batch', kind: 'jobs', uid: stored.metadata.uid },
    });
  };

  const listOrWatch = (res: ServerResponse, verb: string, ns: string, query: URLSearchParams) => {
    const items = [...jobs.values()].filter(
      (j) =>
        j.metadata.namespace === ns &&
        matchesLabels(j, query.get('labelSelector')) &&
        matchesFields(j, query.get('fieldSelector')),
    );
    if (verb === 'list')
      return reply(res, 200, {
        apiVersion: 'batch/v1',
        kind: 'JobList',
        metadata: { resourceVersion: String(rv) },
        items,
      });
    const from = query.get('resourceVersion');
    watchFrom.push(from ?? '');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watcher = { res, ns, query };
    if (from && from !== '0' && Number(from) < compactedRv) {
      const gone = status(410, 'Expired', `too old resource version: ${from} (${compactedRv})`);
      res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
      return;
    }
    if (!from || from === '0')
      for (const j of items) res.write(`${JSON.stringify({ type: 'ADDED', object: j })}\n`);
    else for (const e of events) if (e.rv > Number(from)) send(watcher, e);
    watchers.add(watcher);
    res.on('close', () => watchers.delete(watcher));
  };

  const podRoute = (
    res: ServerResponse,
    verb: string,
    ns: string,
    name: string | undefined,
    query: URLSearchParams,
    log: boolean,
  ) => {
    if (!name) {
      const items = [...pods.values()].filter(
        (p) => p.metadata.namespace === ns && matchesLabels(p, query.get('labelSelector')),
      );
      return reply(res, 200, {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: String(rv) },
        items,
      });
    }
    const pod = pods.get(key(ns, name));
    if (!pod || verb !== 'get')
      return reply(res, 404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
    if (!log) return reply(res, 200, pod);
    const lines = (logs.get(key(ns, name)) ?? '').split(/(?<=\n)/);
    const tail = Number(query.get('tailLines') ?? lines.length);
    return reply(res, 200, lines.slice(Math.max(0, lines.length - tail)).join(''));
  };

  const server: Server = createServer({ cert: CERT, key: KEY }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      await handle(req, res, Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      reply(res, 500, status(500, 'InternalError', String(err)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const kubeconfigText = (options: { token?: string; context?: string } = {}): string => {
    const context = options.context ?? 'double';
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'double', cluster: { server: url, 'certificate-authority-data': CERT.toString('base64') } },
      ],
      users: [{ name: 'gridshift', user: { token: options.token ?? token } }],
      contexts: [{ name: context, context: { cluster: 'double', user: 'gridshift' } }],
      'current-context': context,
    });
  };

  return {
    url,
    token,
    requests,
    job: (ns, name) => jobs.get(key(ns, name)),
    jobs: (ns) => [...jobs.values()].filter((j) => j.metadata.namespace === ns),
    pods: (ns) => [...pods.values()].filter((p) => p.metadata.namespace === ns),
    finish(ns, name, how) {
      const job = jobs.get(key(ns, name));
      if (!job) throw new Error(`no Job ${ns}/${name}`);
      let pod = podsOf(job).find((p) => p.status.phase === 'Running');
      if (!pod) {
        startPod(job);
        pod = podsOf(job).at(-1) as Obj;
      }
      const ok = how.exitCode === 0;
      pod.status.phase = ok ? 'Succeeded' : 'Failed';
      pod.status.containerStatuses[0].state = {
        terminated: {
          exitCode: how.exitCode,
          reason: ok ? 'Completed' : 'Error',
          startedAt: now(),
          finishedAt: now(),
        },
      };
      logs.set(key(ns, pod.metadata.name), how.log ?? '');
      const at = now();
      const [first, last] = ok
        ? [
            { type: 'SuccessCriteriaMet', reason: 'CompletionsReached' },
            { type: 'Complete', reason: 'CompletionsReached' },
          ]
        : [
            { type: 'FailureTarget', reason: how.reason ?? 'BackoffLimitExceeded' },
            { type: 'Failed', reason: how.reason ?? 'BackoffLimitExceeded' },
          ];
      const message =
        how.message ??
        (ok ? 'Reached expected number of succeeded pods' : 'Job has reached the specified backoff limit');
      job.status = {
        ...job.status,
        active: 0,
        ready: 0,
        ...(ok ? { succeeded: 1, completionTime: at } : { failed: 1 }),
        conditions: [...(job.status.conditions ?? []), first, last].map((c) => ({
          status: 'True',
          message,
          lastProbeTime: at,
          lastTransitionTime: at,
          ...c,
        })),
      };
      touch(job);
      emit('MODIFIED', job);
    },
    touch(ns, name) {
      const job = jobs.get(key(ns, name));
      if (!job) throw new Error(`no Job ${ns}/${name}`);
      job.status = { ...job.status, ready: job.status.ready ?? 0 };
      touch(job);
      emit('MODIFIED', job);
    },
    put(object) {
      const resource = KINDS[object.kind as string];
      if (!resource) throw new Error(`the double keeps no ${object.kind}`);
      const o = clone(object);
      o.metadata = {
        ...o.metadata,
        uid: o.metadata.uid ?? randomUUID(),
        creationTimestamp: o.metadata.creationTimestamp ?? now(),
        ...(resource === 'nodes' ? {} : { namespace: o.metadata.namespace ?? 'default' }),
      };
      o.spec ??= {};
      touch(o);
      objects.set(objectKey(resource, o.metadata.namespace, o.metadata.name), o);
      return clone(o);
    },
    object: (resource, ns, name) => {
      const o = objects.get(objectKey(resource, ns, name));
      return o ? clone(o) : undefined;
    },
    changeBeforeNextPatch: (resource, ns, name, change) =>
      void beforePatch.set(objectKey(resource, ns, name), change),
    events: (ns) => eventList.filter((e) => e.metadata.namespace === ns).map(clone),
    forbid: (verb, resource) => void forbidden.add(`${verb} ${resource}`),
    dropWatches() {
      for (const w of watchers) w.res.destroy();
      watchers.clear();
    },
    compact() {
      compactedRv = rv;
      events.length = 0;
    },
    watches: () => [...watchFrom],
    writeKubeconfigText: kubeconfigText,
    writeKubeconfig(dir, options = {}) {
      const path = join(dir, `kubeconfig-${randomBytes(4).toString('hex')}.yaml`);
      writeFileSync(path, kubeconfigText(options));
      return path;
    },
    async close() {
      for (const w of watchers) w.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
