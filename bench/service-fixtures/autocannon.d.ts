// The part of autocannon's programmatic API the service benchmark uses (the package ships no declarations).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    total: number;
    totalCount?: number;
  }

  export interface Result {
    url: string;
    connections: number;
    /** seconds */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** ms, whole milliseconds */
    latency: Histogram;
    /** per-second samples */
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  export interface Options {
    url: string;
    connections?: number;
    /** seconds */
    duration?: number;
    /** total requests; overrides duration */
    amount?: number;
    pipelining?: number;
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
    headers?: Record<string, string>;
    body?: string;
    /** seconds */
    timeout?: number;
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  /** Without a callback the instance is also a promise of the result. */
  function autocannon(options: Options): Instance;
  export default autocannon;
}
