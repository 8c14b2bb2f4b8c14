import { randomUUID } from 'node:crypto';
import type { Store } from '../store/db.ts';
import type { SchedulerEvent } from './service.ts';

/**
 * Scheduler events (state changes, plans, signal updates, window transitions) for every process sharing
 * the store. An event is delivered to this process's listeners at once and sent on the store's
 * notification channel (PostgreSQL NOTIFY) for the others; a process skips the echo of its own. The
 * embedded store serves one process, so there nothing is sent. Delivery is at most once: a listener that
 * must not miss anything (a dashboard after a reconnect) re-reads the state it shows.
 */

/** Messages between scheduler processes that are not events for clients. */
export type ControlMessage = { type: 'paused' } | { type: 'resumed' };

type Envelope = { o: string; e: SchedulerEvent } | { o: string; c: ControlMessage };

export interface EventBus {
  /** identifies this process on the channel */
  readonly origin: string;
  /** delivers locally and sends to the other processes (in order, in the background) */
  publish(event: SchedulerEvent): void;
  onEvent(listener: (event: SchedulerEvent) => void): () => void;
  /** sends a control message to every process, this one included */
  broadcast(message: ControlMessage): void;
  onControl(listener: (message: ControlMessage) => void): () => void;
  /** starts listening to the other processes (PostgreSQL); idempotent */
  start(): Promise<void>;
  /** resolves when everything published so far has been sent */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** told about events that could not be sent or read */
  onError?: (err: Error) => void;
  /** called after the listening connection came back: events of other processes may have been missed */
  onReconnect?: () => void;
}

/** The channel of a store's events: one per schema, so stores sharing a database do not mix. */
export function eventChannel(schema: string): string {
  return `${schema.slice(0, 56)}_events`;
}

/** Longest text field kept in an event, so that a notification stays within PostgreSQL's 8000 bytes. */
const MAX_TEXT = 1000;

export function createEventBus(store: Store, options: EventBusOptions = {}): EventBus {
  const origin = randomUUID();
  const channel = eventChannel(store.schema);
  const listeners = new Set<(event: SchedulerEvent) => void>();
  const controls = new Set<(message: ControlMessage) => void>();
  const onError = options.onError ?? (() => {});
  const remote = store.kind === 'postgres';
  let sending: Promise<void> = Promise.resolve();
  let unlisten: (() => Promise<void>) | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;

  const deliver = <T>(set: Set<(x: T) => void>, value: T) => {
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (err) {
        onError(err instanceof Error ? err : new Error(String(err)));
      }
    }
  };

  const send = (envelope: Envelope) => {
    if (!remote || closed) return;
    const payload = JSON.stringify(envelope);
    sending = sending
      .then(() => store.notify(channel, payload))
      .catch((err) => onError(err instanceof Error ? err : new Error(String(err))));
  };

  const receive = (payload: string) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return; // not ours
    }
    if (!envelope || envelope.o === origin) return;
    if ('e' in envelope) deliver(listeners, envelope.e);
    else if ('c' in envelope) deliver(controls, envelope.c);
  };

  return {
    origin,
    publish(event) {
      const e = trimEvent(event);
      queueMicrotask(() => deliver(listeners, e));
      send({ o: origin, e });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    broadcast(message) {
      queueMicrotask(() => deliver(controls, message));
      send({ o: origin, c: message });
    },
    onControl(listener) {
      controls.add(listener);
      return () => controls.delete(listener);
    },
    start() {
      if (!remote || closed) return Promise.resolve();
      starting ??= store
        .listen(channel, receive, { onReconnect: options.onReconnect })
        .then((stop) => {
          unlisten = stop;
        })
        .catch((err) => {
          starting = undefined;
          throw err;
        });
      return starting;
    },
    flush() {
      return sending;
    },
    async close() {
      await sending;
      closed = true;
      listeners.clear();
      controls.clear();
      await unlisten?.().catch(() => {});
    },
  };
}

function trimEvent(event: SchedulerEvent): SchedulerEvent {
  if (event.type === 'load.planned' && event.reason.length > MAX_TEXT) {
    return { ...event, reason: `${event.reason.slice(0, MAX_TEXT - 1)}…` };
  }
  if (event.type === 'load.state' && event.name.length > MAX_TEXT) {
    return { ...event, name: event.name.slice(0, MAX_TEXT) };
  }
  return event;
}
