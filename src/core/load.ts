import type { Objective } from './objective.ts';
import type { Grid } from './series.ts';

/** A flexible load to place in time (and place): what the planner needs to know about it. */
export interface LoadSpec {
  id?: string;
  name?: string;
  durationMin: number;
  powerKw: number;
  /** earliest allowed start (epoch ms) */
  earliestMs: number;
  /** latest allowed finish (epoch ms) */
  deadlineMs: number;
  /** when it would start without gridshift (the run-now counterfactual); default `earliestMs` */
  baselineStartMs?: number;
  /** may run in separate pieces */
  interruptible?: boolean;
  /** interruptible loads: shortest piece in minutes (default one slot) */
  minPieceMin?: number;
  /** interruptible loads: most pieces (default unlimited) */
  maxPieces?: number;
  /** candidate zones; the first is the home zone of the baseline */
  zones: string[];
  /** default carbon */
  objective?: Objective;
  /** upper bound on the load's emissions in grams; with a cost objective: cheapest plan under this cap */
  carbonCapG?: number;
}

/** Signals of one zone on one planning grid: carbon and (optionally) price share startMs and stepMin. */
export interface ZoneSignals {
  zone: string;
  carbon: Grid;
  price?: Grid;
  /** currency of `price`, e.g. EUR */
  currency?: string;
  carbonSource: string;
  priceSource?: string;
  /** reasons the signals are degraded (fallback source, no forecast ...), empty when not */
  degraded?: string[];
}
