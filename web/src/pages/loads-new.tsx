import { useEffect, useRef, useState } from 'preact/hooks';
import {
  type Dashboard,
  GridshiftApiError,
  type GridshiftClient,
  type NewLoad,
  type Plan,
} from '../../../src/client/index.ts';
import { PlanChart } from '../components/plan-chart.tsx';
import { PlanExplanation } from '../components/plan-explanation.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { ZonePicker } from '../components/zone-picker.tsx';
import { zoneTimeName } from '../format.ts';
import { LOCAL_TIME_ZONE } from '../local-time.ts';
import { navigate } from '../router.ts';
import { type Trouble, troubleOf, useSession } from '../session.ts';
import { mass, percent } from './loads-format.ts';
import { useZoneSignals } from './loads-signals.ts';

/**
 * Submit a load. While the fields change, the plan a submit would make is previewed (POST
 * /v1/loads/preview, debounced, an older preview aborted) and drawn on the zone's chart with its savings
 * and explanation. Submitting (POST /v1/loads) opens the new load; the API's field errors (problem+json
 * `errors[].path`) are shown next to their fields.
 */

const PREVIEW_DELAY_MS = 400;
const HOUR_MS = 3_600_000;

type Field = 'name' | 'zone' | 'duration' | 'power' | 'deadline' | 'objective' | 'dispatch' | 'form';
type Errors = Partial<Record<Field, string>>;

interface FormState {
  name: string;
  zone: string | undefined;
  durationMin: string;
  powerKw: string;
  deadline: string;
  objective: string;
  interruptible: boolean;
  dispatch: 'none' | 'shell' | 'webhook';
  command: string;
  url: string;
}

/** `2026-12-04T14:00` in the browser's time zone, as a datetime-local field holds it. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function initialForm(): FormState {
  const nextHour = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return {
    name: '',
    zone: undefined,
    durationMin: '60',
    powerKw: '1',
    deadline: localInput(nextHour + 12 * HOUR_MS),
    objective: 'carbon',
    interruptible: false,
    dispatch: 'none',
    command: '',
    url: '',
  };
}

const numberOrUndefined = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The request body of the form; `forPreview` leaves out what does not change the plan. */
function bodyOf(f: FormState, zone: string, forPreview: boolean): NewLoad {
  const deadlineMs = Date.parse(f.deadline);
  const body: NewLoad = {
    name: f.name.trim() || (forPreview ? 'new load' : ''),
    zones: [zone],
    objective: f.objective,
    interruptible: f.interruptible,
    ...(Number.isFinite(deadlineMs) ? { deadline: new Date(deadlineMs).toISOString() } : {}),
  };
  const durationMin = numberOrUndefined(f.durationMin);
  const powerKw = numberOrUndefined(f.powerKw);
  if (durationMin !== undefined) body.durationMin = durationMin;
  if (powerKw !== undefined) body.powerKw = powerKw;
  if (!forPreview) {
    if (f.dispatch === 'shell') body.dispatch = { kind: 'shell', command: f.command };
    else if (f.dispatch === 'webhook') body.dispatch = { kind: 'webhook', url: f.url };
    else body.dispatch = { kind: 'none' };
  }
  return body;
}

/** `body.durationMin` -> the duration field; what names no field goes to the form as a whole. */
function fieldOf(path: string): Field {
  const key = path.replace(/^body\.?/, '').split(/[.[]/)[0];
  const fields: Record<string, Field> = {
    name: 'name',
    zones: 'zone',
    region: 'zone',
    durationMin: 'duration',
    powerKw: 'power',
    energyKwh: 'power',
    deadline: 'deadline',
    earliest: 'deadline',
    objective: 'objective',
    dispatch: 'dispatch',
  };
  return fields[key] ?? 'form';
}

/** The field errors of a 400, or null when the failure is not about the fields. */
function fieldErrors(err: unknown): Errors | null {
  if (!(err instanceof GridshiftApiError) || err.status !== 400) return null;
  const errors: Errors = {};
  for (const e of err.problem.errors ?? [{ path: 'body', message: err.problem.detail ?? err.message }]) {
    const field = fieldOf(e.path);
    errors[field] = errors[field] ? `${errors[field]}; ${e.message}` : e.message;
  }
  return errors;
}

/**
 * The plan a submit of `body` would make, asked for a moment after `body` stops changing; a request under
 * way when it changes again is aborted. `onOutcome` gets the field errors and the trouble of each answer.
 */
function usePlanPreview(
  client: GridshiftClient,
  body: NewLoad | null,
  onOutcome: (fields: Errors, trouble: Trouble | null) => void,
): { plan: Plan | null; previewing: boolean } {
  const [plan, setPlan] = useState<Plan | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const outcome = useRef(onOutcome);
  outcome.current = onOutcome;
  const key = body ? JSON.stringify(body) : '';
  useEffect(() => {
    if (!key) return;
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      setPreviewing(true);
      try {
        const { plan: next } = await client.loads.preview(JSON.parse(key) as NewLoad, {
          signal: abort.signal,
        });
        if (abort.signal.aborted) return;
        setPlan(next);
        outcome.current({}, null);
      } catch (err) {
        if (abort.signal.aborted) return;
        const fields = fieldErrors(err);
        outcome.current(fields ?? {}, fields ? null : troubleOf(err));
        setPlan(null);
      } finally {
        if (!abort.signal.aborted) setPreviewing(false);
      }
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      // the fields changed: what is under way no longer matches them
      abort.abort();
    };
  }, [client, key]);
  return { plan, previewing };
}

export function NewLoadPage() {
  const session = useSession();
  const { client } = session;
  const [form, setForm] = useState(initialForm);
  const [errors, setErrors] = useState<Errors>({});
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const deadlineMs = Date.parse(form.deadline);
  const { dashboard, trouble: signalTrouble } = useZoneSignals(
    form.zone,
    Date.now(),
    Number.isFinite(deadlineMs) ? deadlineMs : Date.now() + 24 * HOUR_MS,
  );
  const zone = form.zone ?? dashboard?.zone.code;
  const set: Setter = (key, value) => setForm((f) => ({ ...f, [key]: value }));

  const { plan, previewing } = usePlanPreview(
    client,
    zone ? bodyOf(form, zone, true) : null,
    (fields, failure) => {
      setErrors(fields);
      setTrouble(failure);
    },
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!zone) return;
    setSubmitting(true);
    setTrouble(null);
    try {
      const { load } = await client.loads.create(bodyOf(form, zone, false));
      navigate(`/loads/${encodeURIComponent(load.id)}`);
    } catch (err) {
      const fields = fieldErrors(err);
      if (fields) setErrors(fields);
      else setTrouble(troubleOf(err));
      setSubmitting(false);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="/loads">All loads</a>
      </p>
      <h1 id="page-title">Submit a load</h1>
      <div class="new-load">
        <form class="load-form" onSubmit={submit} noValidate data-testid="load-form">
          <LoadFields form={form} set={set} errors={errors} dashboard={dashboard} zone={zone} />
          <DispatchFields form={form} set={set} error={errors.dispatch} />
          {errors.form && <FieldError id="form-error" text={errors.form} />}
          {trouble && (
            <TroubleNotice
              trouble={trouble}
              {...(trouble.kind === 'unauthorized' || trouble.kind === 'forbidden'
                ? { hint: 'Submitting needs an API token with the write scope.' }
                : {})}
            />
          )}
          {trouble?.kind === 'unauthorized' && (
            <button type="button" onClick={() => session.needToken('')}>
              Sign in
            </button>
          )}
          <button type="submit" disabled={submitting || !zone}>
            {submitting ? 'Submitting…' : 'Submit'}
          </button>
        </form>
        <PreviewPanel plan={plan} previewing={previewing} dashboard={dashboard} trouble={signalTrouble} />
      </div>
    </section>
  );
}

type Setter = <K extends keyof FormState>(key: K, value: FormState[K]) => void;

/** What the load is, where and when it runs: the fields the preview follows. */
function LoadFields(props: {
  form: FormState;
  set: Setter;
  errors: Errors;
  dashboard: Dashboard | null;
  zone: string | undefined;
}) {
  const { form, set, errors, dashboard, zone } = props;
  return (
    <>
      <TextField id="load-name" label="Name" error={errors.name} required>
        <input
          id="load-name"
          type="text"
          value={form.name}
          autocomplete="off"
          onInput={(e) => set('name', e.currentTarget.value)}
          {...invalid('load-name', errors.name)}
        />
      </TextField>
      <div class="field">
        {dashboard && zone ? (
          <ZonePicker
            zones={dashboard.zones}
            regions={dashboard.cloudRegions}
            current={zone}
            onPick={(z) => set('zone', z)}
          />
        ) : (
          <p class="skeleton">Reading the zones…</p>
        )}
        <p class="hint" data-testid="form-zone">
          Runs in {zone ?? '…'}
          {dashboard && zone === dashboard.zone.code ? ` · ${dashboard.zone.name}` : ''}
        </p>
        {errors.zone && <FieldError id="zone-error" text={errors.zone} />}
      </div>
      <div class="field-row">
        <TextField id="load-duration" label="Duration, minutes" error={errors.duration}>
          <input
            id="load-duration"
            type="number"
            min="1"
            step="1"
            inputMode="numeric"
            value={form.durationMin}
            onInput={(e) => set('durationMin', e.currentTarget.value)}
            {...invalid('load-duration', errors.duration)}
          />
        </TextField>
        <TextField id="load-power" label="Power, kW" error={errors.power}>
          <input
            id="load-power"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={form.powerKw}
            onInput={(e) => set('powerKw', e.currentTarget.value)}
            {...invalid('load-power', errors.power)}
          />
        </TextField>
      </div>
      <TextField
        id="load-deadline"
        label={`Finish by (${zoneTimeName(LOCAL_TIME_ZONE)})`}
        error={errors.deadline}
      >
        <input
          id="load-deadline"
          type="datetime-local"
          value={form.deadline}
          onInput={(e) => set('deadline', e.currentTarget.value)}
          {...invalid('load-deadline', errors.deadline)}
        />
      </TextField>
      <TextField id="load-objective" label="Objective" error={errors.objective}>
        <select
          id="load-objective"
          value={form.objective}
          onChange={(e) => set('objective', e.currentTarget.value)}
          {...invalid('load-objective', errors.objective)}
        >
          <option value="carbon">lowest carbon</option>
          <option value="cost">lowest cost</option>
          <option value="balanced">balanced carbon and cost</option>
        </select>
      </TextField>
      <div class="field check">
        <input
          id="load-interruptible"
          type="checkbox"
          checked={form.interruptible}
          onChange={(e) => set('interruptible', e.currentTarget.checked)}
        />
        <label for="load-interruptible">Interruptible (may run in pieces)</label>
      </div>
    </>
  );
}

/** How the load is started: nothing, a shell command or a webhook, with the command or URL. */
function DispatchFields(props: { form: FormState; set: Setter; error: string | undefined }) {
  return (
    <fieldset class="field" aria-describedby={props.error ? 'dispatch-error' : undefined}>
      <legend>Start it with</legend>
      {(['none', 'shell', 'webhook'] as const).map((kind) => (
        <label key={kind} class="choice">
          <input
            type="radio"
            name="dispatch"
            value={kind}
            checked={props.form.dispatch === kind}
            onChange={() => props.set('dispatch', kind)}
          />{' '}
          {kind === 'none'
            ? 'nothing (my program watches the events)'
            : kind === 'shell'
              ? 'a shell command'
              : 'a webhook'}
        </label>
      ))}
      {props.form.dispatch === 'shell' && (
        <>
          <label for="load-command">Command</label>
          <input
            id="load-command"
            type="text"
            value={props.form.command}
            spellcheck={false}
            onInput={(e) => props.set('command', e.currentTarget.value)}
            {...invalid('load-command', props.error, 'dispatch-error')}
          />
        </>
      )}
      {props.form.dispatch === 'webhook' && (
        <>
          <label for="load-url">URL</label>
          <input
            id="load-url"
            type="url"
            value={props.form.url}
            spellcheck={false}
            onInput={(e) => props.set('url', e.currentTarget.value)}
            {...invalid('load-url', props.error, 'dispatch-error')}
          />
        </>
      )}
      {props.error && <FieldError id="dispatch-error" text={props.error} />}
    </fieldset>
  );
}

/** The previewed plan: its savings, drawn on the zone's chart, and its explanation. */
function PreviewPanel(props: {
  plan: Plan | null;
  previewing: boolean;
  dashboard: Dashboard | null;
  trouble: Trouble | null;
}) {
  const { plan, previewing, dashboard } = props;
  const tz = dashboard?.zone.timeZone;
  return (
    <section class="preview" aria-labelledby="preview-title" aria-busy={previewing} data-testid="preview">
      <h2 id="preview-title">Plan preview</h2>
      {props.trouble && <TroubleNotice trouble={props.trouble} />}
      {!plan && <p class="skeleton">{previewing ? 'Planning…' : 'The plan shows here.'}</p>}
      {plan && (
        <>
          <p class="big-line" data-testid="preview-summary" aria-live="polite">
            Saves {mass(plan.savings.emissionsG)} CO2eq ({percent(plan.savings.emissionsPct)}) against running
            now
          </p>
          {dashboard && dashboard.zone.code === plan.zone && (
            <PlanChart dashboard={dashboard} plan={plan} what="the previewed plan" />
          )}
          <PlanExplanation plan={plan} timeZone={tz ?? 'UTC'} heading="Why the preview runs then" />
          {tz && <p class="hint">Times in {zoneTimeName(tz)}.</p>}
        </>
      )}
    </section>
  );
}

/** aria-invalid and aria-describedby for a field with an error. */
function invalid(id: string, error: string | undefined, errorId = `${id}-error`) {
  return error ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
}

function TextField(props: {
  id: string;
  label: string;
  error: string | undefined;
  required?: boolean;
  children: preact.ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id}>
        {props.label}
        {props.required ? ' (required)' : ''}
      </label>
      {props.children}
      {props.error && <FieldError id={`${props.id}-error`} text={props.error} />}
    </div>
  );
}

function FieldError(props: { id: string; text: string }) {
  return (
    <p class="field-error" id={props.id} data-testid={props.id}>
      {props.text}
    </p>
  );
}
