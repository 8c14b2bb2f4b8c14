import { type Cluster, GridshiftApiError, type GridshiftClient } from '../../../src/client/index.ts';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { localTime } from '../local-time.ts';
import { useApiRead } from '../use-read.ts';
import './pages.css';

/**
 * The Kubernetes cluster as gridshift's controller sees it: the nodes its rules select with their taints
 * (gridshift's marked with the rule that set it), the scaling targets with their cap now and the cap
 * written to the workload, gridshift's Jobs by state, and the controller's newest decisions. One request
 * (GET /v1/cluster), read again every 30 seconds.
 */

const REFRESH_MS = 30_000;
const JOB_STATES = ['waiting', 'running', 'succeeded', 'failed', 'cancelled'] as const;

type ClusterRead = { state: 'none'; detail: string } | { state: 'read'; cluster: Cluster };

async function readCluster(client: GridshiftClient, signal: AbortSignal): Promise<ClusterRead> {
  try {
    return { state: 'read', cluster: await client.cluster.get({ signal }) };
  } catch (err) {
    if (err instanceof GridshiftApiError && err.status === 404)
      return { state: 'none', detail: err.problem.detail ?? err.problem.title };
    throw err;
  }
}

export function ClusterPage() {
  const { data, trouble, read } = useApiRead(readCluster, [], { refreshMs: REFRESH_MS });
  if (!data || data.state === 'none')
    return (
      <section aria-labelledby="page-title" aria-busy={!data && !trouble}>
        <h1 id="page-title">Cluster</h1>
        {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
        {data?.state === 'none' ? (
          <div data-testid="cluster-none">
            <p>{data.detail}</p>
            <p>
              Configure <code>kubernetes.controller</code> in <code>gridshift.config.yaml</code> and run{' '}
              <code>gridshift serve --k8s-controller</code> (docs/kubernetes.md).
            </p>
          </div>
        ) : (
          !trouble && <p class="skeleton">Reading the cluster…</p>
        )}
      </section>
    );
  const c = data.cluster;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Cluster</h1>
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <p data-testid="cluster-mode">
        Controller: {c.controller.dryRun ? 'dry run (changes are logged, not made)' : 'acting'}, every{' '}
        {c.controller.intervalSeconds} s; {c.controller.rules.length} rule
        {c.controller.rules.length === 1 ? '' : 's'}, {c.controller.caps.targets.length} capped target
        {c.controller.caps.targets.length === 1 ? '' : 's'}.{' '}
        {c.reachable ? '' : 'The Kubernetes API server did not answer.'}
      </p>
      {c.degraded.length > 0 && (
        <ul class="problem" data-testid="cluster-degraded">
          {c.degraded.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
      <Nodes cluster={c} />
      <Targets cluster={c} />
      <Jobs cluster={c} />
      <Decisions cluster={c} />
    </section>
  );
}

function Nodes({ cluster }: { cluster: Cluster }) {
  return (
    <section class="page-part" aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      {cluster.nodes.length === 0 ? (
        <p>No node matches a rule's selector.</p>
      ) : (
        <ScrollRegion label="Nodes and their taints">
          <table data-testid="cluster-nodes">
            <thead>
              <tr>
                <th scope="col" class="left">
                  Node
                </th>
                <th scope="col" class="left">
                  Taints
                </th>
              </tr>
            </thead>
            <tbody>
              {cluster.nodes.map((n) => (
                <tr key={n.name}>
                  <th scope="row">{n.name}</th>
                  <td class="left wrap">
                    {n.taints.length === 0
                      ? 'none'
                      : n.taints
                          .map(
                            (t) =>
                              `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}${t.rule ? ` (gridshift: ${t.rule})` : ''}`,
                          )
                          .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

function Targets({ cluster }: { cluster: Cluster }) {
  return (
    <section class="page-part" aria-labelledby="targets-title">
      <h2 id="targets-title">Replica caps</h2>
      {cluster.targets.length === 0 ? (
        <p>No scaling target is configured.</p>
      ) : (
        <ScrollRegion label="Scaling targets and their caps">
          <table data-testid="cluster-targets">
            <thead>
              <tr>
                <th scope="col" class="left">
                  Target
                </th>
                <th scope="col">Carbon now</th>
                <th scope="col">Cap now</th>
                <th scope="col">Cap written</th>
                <th scope="col" class="left">
                  Workload
                </th>
              </tr>
            </thead>
            <tbody>
              {cluster.targets.map((t) => (
                <tr key={t.cap.target}>
                  <th scope="row">{t.cap.target}</th>
                  <td>
                    {t.cap.carbonIntensity === null ? '–' : `${Math.round(t.cap.carbonIntensity)} g/kWh`}
                  </td>
                  <td>{t.cap.maxReplicas}</td>
                  <td>{t.workload?.maxReplicas ?? '–'}</td>
                  <td class="left wrap">
                    {t.workload
                      ? `${t.workload.kind} ${t.workload.namespace}/${t.workload.name}`
                      : (t.note ?? '–')}
                    {t.applied ? '' : ' (not written by the controller)'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

function Jobs({ cluster }: { cluster: Cluster }) {
  const { counts, list } = cluster.jobs;
  return (
    <section class="page-part" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      <div class="figures" data-testid="cluster-job-counts">
        {JOB_STATES.map((s) => (
          <div class="figure" key={s}>
            <h3>{s[0]?.toUpperCase() + s.slice(1)}</h3>
            <p class="big" data-testid={`jobs-${s}`}>
              {counts[s] ?? 0}
            </p>
          </div>
        ))}
      </div>
      {list.length > 0 && (
        <ScrollRegion label="gridshift's Kubernetes Jobs">
          <table data-testid="cluster-jobs">
            <thead>
              <tr>
                <th scope="col" class="left">
                  Load
                </th>
                <th scope="col" class="left">
                  Job
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {list.map((j) => (
                <tr key={`${j.loadId ?? ''}/${j.job ?? ''}`}>
                  <th scope="row">{j.loadName ?? '–'}</th>
                  <td class="left">{j.job ? `${j.namespace ?? ''}/${j.job}` : '–'}</td>
                  <td>{j.state}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

function Decisions({ cluster }: { cluster: Cluster }) {
  return (
    <section class="page-part" aria-labelledby="decisions-title">
      <h2 id="decisions-title">Controller decisions</h2>
      {cluster.decisions.length === 0 ? (
        <p>No decision yet.</p>
      ) : (
        <ScrollRegion label="The controller's newest decisions">
          <table data-testid="cluster-decisions">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col" class="left">
                  Object
                </th>
                <th scope="col" class="left">
                  Why
                </th>
              </tr>
            </thead>
            <tbody>
              {cluster.decisions.map((d) => (
                <tr key={d.seq}>
                  <td>{localTime(d.at)}</td>
                  <th scope="row" class="left">
                    {d.object}
                    {d.dryRun ? ' (dry run)' : ''}
                  </th>
                  <td class="left wrap">{d.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
