import { useMemo, useState } from 'preact/hooks';
import type { ApiToken, GridshiftClient, ReplicaCap, Zone } from '../../../src/client/index.ts';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { localTime } from '../local-time.ts';
import { type Trouble, troubleOf } from '../session.ts';
import { useApiRead } from '../use-read.ts';
import './pages.css';

/**
 * Settings, read-only: the server's version, each zone's source chains, metric and failure policy, the API
 * tokens (names, scopes, last use; the API never gives a secret back), and the replica-cap targets. Tokens
 * need an admin token to list: without one the page says so and shows the rest.
 */

interface SettingsData {
  version: string | null;
  zones: Zone[];
  scaling: ReplicaCap[];
  tokens: ApiToken[] | Trouble;
}

/** The server's version: the `info.version` of its OpenAPI document (public, no token needed). */
async function serverVersion(client: GridshiftClient, signal: AbortSignal): Promise<string | null> {
  try {
    const response = await fetch(`${client.baseUrl}/openapi.json`, { signal });
    if (!response.ok) return null;
    const doc = (await response.json()) as { info?: { version?: string } };
    return doc.info?.version ?? null;
  } catch (err) {
    if (signal.aborted) throw err;
    return null;
  }
}

async function readSettings(client: GridshiftClient, signal: AbortSignal): Promise<SettingsData> {
  const [version, zones, scaling, tokens] = await Promise.all([
    serverVersion(client, signal),
    client.zones.list({}, { signal }),
    client.scaling.list({ signal }),
    client.tokens.list({ signal }).then(
      (t) => t.tokens,
      (err: unknown) => troubleOf(err),
    ),
  ]);
  return { version, zones: zones.zones, scaling: scaling.targets, tokens };
}

export function SettingsPage() {
  const { data, trouble, read } = useApiRead(readSettings, []);
  if (!data)
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <h1 id="page-title">Settings</h1>
        {trouble ? (
          <TroubleNotice trouble={trouble} onRetry={read} />
        ) : (
          <p class="skeleton">Reading the settings…</p>
        )}
      </section>
    );
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Settings</h1>
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <p data-testid="version">
        gridshift {data.version ?? '(version unknown)'} · read-only here: change settings in the configuration
        file and with <code>gridshift token</code>.
      </p>
      <SourceChains zones={data.zones} />
      <ZoneTable zones={data.zones} />
      <Tokens tokens={data.tokens} />
      <Scaling targets={data.scaling} />
    </section>
  );
}

const chain = (sources: string[]) => (sources.length ? sources.join(' → ') : 'none');

/** The zones grouped by what they are configured with: usually a few chains cover them all. */
function SourceChains({ zones }: { zones: Zone[] }) {
  const groups = useMemo(() => {
    const byChain = new Map<string, { zone: Zone; codes: string[] }>();
    for (const z of zones) {
      const key = [z.sources.carbon, z.sources.price, z.metric, z.failurePolicy].join('|');
      const group = byChain.get(key);
      if (group) group.codes.push(z.code);
      else byChain.set(key, { zone: z, codes: [z.code] });
    }
    return [...byChain.values()].sort((a, b) => a.codes.length - b.codes.length);
  }, [zones]);
  return (
    <section class="page-part" aria-labelledby="chains-title">
      <h2 id="chains-title">Source chains</h2>
      <p>
        Each zone asks its sources in order until one answers. Failure policy when none does: open, loads run
        at the baseline; closed, loads are held.
      </p>
      <ScrollRegion label="Source chains">
        <table data-testid="source-chains">
          <thead>
            <tr>
              <th scope="col" class="left">
                Carbon
              </th>
              <th scope="col" class="left">
                Price
              </th>
              <th scope="col" class="left">
                Metric
              </th>
              <th scope="col" class="left">
                Failure policy
              </th>
              <th scope="col" class="left">
                Zones
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map(({ zone, codes }) => (
              <tr key={codes[0]}>
                <td class="left">{chain(zone.sources.carbon)}</td>
                <td class="left">{chain(zone.sources.price)}</td>
                <td class="left">{zone.metric}</td>
                <td class="left">{zone.failurePolicy}</td>
                <td class="wrap">{codes.length > 12 ? `${codes.length} zones` : codes.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}

function ZoneTable({ zones }: { zones: Zone[] }) {
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? zones.filter((z) =>
        [z.code, z.name, z.country, ...z.aliases].some((s) => s.toLowerCase().includes(needle)),
      )
    : zones;
  return (
    <section class="page-part" aria-labelledby="zones-title">
      <h2 id="zones-title">Zones</h2>
      <div class="inline-form">
        <label for="zone-filter">Filter zones</label>
        <input
          id="zone-filter"
          type="search"
          value={filter}
          placeholder="code, name or country"
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
      </div>
      <p class="hint" aria-live="polite">
        {shown.length} of {zones.length} zones
      </p>
      <ScrollRegion label="Zones">
        <table data-testid="zones">
          <thead>
            <tr>
              <th scope="col" class="left">
                Zone
              </th>
              <th scope="col" class="left">
                Name
              </th>
              <th scope="col" class="left">
                Carbon sources
              </th>
              <th scope="col" class="left">
                Price sources
              </th>
              <th scope="col" class="left">
                Failure policy
              </th>
              <th scope="col" class="left">
                Time zone
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((z) => (
              <tr key={z.code} data-zone={z.code}>
                <th scope="row">{z.code}</th>
                <td class="left">{z.name}</td>
                <td class="left">{chain(z.sources.carbon)}</td>
                <td class="left">{chain(z.sources.price)}</td>
                <td class="left">{z.failurePolicy}</td>
                <td class="left">{z.timeZone}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}

function Tokens({ tokens }: { tokens: ApiToken[] | Trouble }) {
  return (
    <section class="page-part" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      {!Array.isArray(tokens) ? (
        <div class="problem" role="note" data-testid="tokens-refused">
          <p>{tokens.message}</p>
          <p>Listing tokens needs a token with the admin scope.</p>
        </div>
      ) : tokens.length === 0 ? (
        <p>No token yet (`gridshift token create`).</p>
      ) : (
        <ScrollRegion label="API tokens">
          <table data-testid="tokens">
            <thead>
              <tr>
                <th scope="col" class="left">
                  Name
                </th>
                <th scope="col" class="left">
                  Scopes
                </th>
                <th scope="col" class="left">
                  Created
                </th>
                <th scope="col" class="left">
                  Last used
                </th>
                <th scope="col" class="left">
                  State
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.name}</th>
                  <td class="left">{t.scopes.join(', ')}</td>
                  <td class="left">{localTime(t.createdAt)}</td>
                  <td class="left">{localTime(t.lastUsedAt, 'never')}</td>
                  <td class="left">{t.revokedAt ? `revoked ${localTime(t.revokedAt)}` : 'live'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <p class="hint">The API keeps only a hash of each secret: no page can show one.</p>
    </section>
  );
}

function Scaling({ targets }: { targets: ReplicaCap[] }) {
  if (targets.length === 0) return null;
  return (
    <section class="page-part" aria-labelledby="scaling-title">
      <h2 id="scaling-title">Replica caps</h2>
      <ScrollRegion label="Replica caps">
        <table data-testid="scaling">
          <thead>
            <tr>
              <th scope="col" class="left">
                Target
              </th>
              <th scope="col" class="left">
                Zone
              </th>
              <th scope="col">Carbon, g/kWh</th>
              <th scope="col">Max replicas</th>
              <th scope="col" class="left">
                Why
              </th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.target}>
                <th scope="row">{t.target}</th>
                <td class="left">{t.zone}</td>
                <td>{t.carbonIntensity === null ? '–' : Math.round(t.carbonIntensity)}</td>
                <td>{t.maxReplicas}</td>
                <td class="wrap">{t.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
