import type { TaintEffect, TaintRuleConfig } from '../../core/kubernetes-config.ts';
import { type ReplicaBand, replicaCap } from '../../planner/replicas.ts';

/**
 * What the Kubernetes controller wants, decided from a zone's signal now, what the cluster has and when
 * gridshift last changed it: a node taint on or off, a replica cap. Pure (no clock, no I/O), so hysteresis
 * and hold times can be checked as properties. A signal that is not known keeps things as they are: the
 * controller neither taints nor untaints on a missing value.
 */

export type { TaintEffect };

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect | (string & {});
  /** set by the API server on NoExecute taints */
  timeAdded?: string;
}

/**
 * A rule: the taint goes on when any `when` condition holds, and comes off only when every condition is
 * clear (price and carbon at or below `clearWhen`, which defaults to the `when` thresholds: the band between
 * them is the hysteresis; clean again for `notClean`).
 */
export type TaintRule = TaintRuleConfig;

/** The zone's signal now; null where no source gave a value. */
export interface SignalNow {
  /** g/kWh */
  carbon: number | null;
  /** in the zone's price unit */
  price: number | null;
  /** "clean now?" (the carbon below the coming hours' mean) */
  clean: boolean | null;
}

/** What the cluster has: the taint (or cap) and when gridshift last changed it (null: not by gridshift, or unknown). */
export interface Observed<T> {
  value: T;
  sinceMs: number | null;
}

export interface Decision<T> {
  /** what should be there after this round */
  value: T;
  /** whether that differs from what is there: gridshift changes it */
  change: boolean;
  /** a change was wanted but the minimum hold time has not passed */
  held: boolean;
  reason: string;
}

const fmt = (x: number) => String(Math.round(x * 1000) / 1000);

/** The conditions of a rule that hold now (for the taint to go on), in words. */
function triggers(rule: TaintRule, s: SignalNow): string[] {
  const out: string[] = [];
  const { priceAbove, carbonAbove, notClean } = rule.when;
  if (priceAbove !== undefined && s.price !== null && s.price > priceAbove)
    out.push(`price ${fmt(s.price)} is above ${fmt(priceAbove)}`);
  if (carbonAbove !== undefined && s.carbon !== null && s.carbon > carbonAbove)
    out.push(`carbon ${fmt(s.carbon)} g/kWh is above ${fmt(carbonAbove)}`);
  if (notClean && s.clean === false) out.push('the grid is not clean');
  return out;
}

/** The conditions that are not clear yet (for the taint to come off), in words; unknown values are not clear. */
function unclear(rule: TaintRule, s: SignalNow): string[] {
  const out: string[] = [];
  const price = rule.clearWhen.priceAtOrBelow ?? rule.when.priceAbove;
  const carbon = rule.clearWhen.carbonAtOrBelow ?? rule.when.carbonAbove;
  if (price !== undefined && !(s.price !== null && s.price <= price))
    out.push(s.price === null ? 'no price now' : `price ${fmt(s.price)} is above ${fmt(price)}`);
  if (carbon !== undefined && !(s.carbon !== null && s.carbon <= carbon))
    out.push(
      s.carbon === null ? 'no carbon intensity now' : `carbon ${fmt(s.carbon)} g/kWh is above ${fmt(carbon)}`,
    );
  if (rule.when.notClean && s.clean !== true)
    out.push(s.clean === null ? 'no carbon intensity to judge "clean" by' : 'the grid is not clean yet');
  return out;
}

/** A change is held while less than `minHoldMs` has passed since gridshift's last change. */
function holdUntil(sinceMs: number | null, minHoldMs: number, nowMs: number): number | null {
  if (sinceMs === null || nowMs - sinceMs >= minHoldMs) return null;
  return sinceMs + minHoldMs;
}

/**
 * Whether the rule's taint should be on a node now. Off -> on when any `when` condition holds; on -> off
 * only when every condition is clear (`clearWhen`, defaulting to the `when` thresholds); neither while the
 * hold time since the last change runs. The taint is always the rule's own: its effect is NoExecute only
 * when the rule says so.
 */
export function decideTaint(
  rule: TaintRule,
  signal: SignalNow,
  observed: Observed<boolean>,
  nowMs: number,
): Decision<boolean> {
  const on = observed.value;
  const why = on ? unclear(rule, signal) : triggers(rule, signal);
  // on: it stays while anything is unclear; off: it goes on when anything triggers
  const wanted = why.length > 0;
  const { key, value, effect } = rule.taint;
  const taint = `${key}=${value}:${effect}`;
  if (wanted === on) {
    const reason = on
      ? `${taint} stays: ${why.join(', ')}`
      : `${taint} stays off: ${describeClear(rule, signal)}`;
    return { value: on, change: false, held: false, reason };
  }
  const next = !on;
  const because = next ? why.join(', ') : describeClear(rule, signal);
  const until = holdUntil(observed.sinceMs, rule.minHoldMs, nowMs);
  if (until !== null)
    return {
      value: on,
      change: false,
      held: true,
      reason: `${taint} would ${next ? 'go on' : 'come off'} (${because}) but is held until ${new Date(until).toISOString()} (minimum hold ${fmt(rule.minHoldMs / 60_000)} min)`,
    };
  return {
    value: next,
    change: true,
    held: false,
    reason: `${taint} ${next ? 'on' : 'off'}: ${because}`,
  };
}

/** Why nothing asks for the taint (or everything is clear), in words. */
function describeClear(rule: TaintRule, s: SignalNow): string {
  const parts: string[] = [];
  const price = rule.clearWhen.priceAtOrBelow ?? rule.when.priceAbove;
  const carbon = rule.clearWhen.carbonAtOrBelow ?? rule.when.carbonAbove;
  if (price !== undefined)
    parts.push(s.price === null ? 'no price now' : `price ${fmt(s.price)} (clear at or below ${fmt(price)})`);
  if (carbon !== undefined)
    parts.push(
      s.carbon === null
        ? 'no carbon intensity now'
        : `carbon ${fmt(s.carbon)} g/kWh (clear at or below ${fmt(carbon)})`,
    );
  if (rule.when.notClean)
    parts.push(
      s.clean === null ? 'cleanness unknown' : s.clean ? 'the grid is clean' : 'the grid is not clean',
    );
  return parts.join(', ');
}

/** The taints a node should have: its others as they are, the rule's own taint (same key and effect) set or removed. */
export function withTaint(taints: readonly Taint[], taint: TaintRule['taint'], on: boolean): Taint[] {
  const others = taints.filter((t) => !(t.key === taint.key && t.effect === taint.effect));
  return on ? [...others, { key: taint.key, value: taint.value, effect: taint.effect }] : others;
}

/** Whether a node has the rule's taint (its key and effect; the value is the rule's to set). */
export function hasTaint(taints: readonly Taint[], taint: TaintRule['taint']): boolean {
  return taints.some((t) => t.key === taint.key && t.effect === taint.effect && t.value === taint.value);
}

export interface CapPolicy {
  bands: readonly ReplicaBand[];
  fallbackMaxReplicas: number;
  /** g/kWh: the cap in force stays while the intensity is within this of its band */
  hysteresisG: number;
  minHoldMs: number;
}

/**
 * The replica cap a workload should have: replicaCap's, unless the cap in force still fits. It fits while
 * the intensity is inside a band with that cap widened by `hysteresisG` on both sides (so an intensity
 * wavering about a threshold does not move the cap back and forth), and while the hold time since
 * gridshift's last change runs. A cap that matches no band (set by hand, or before) is replaced at once.
 */
export function decideCap(
  policy: CapPolicy,
  carbon: number | null,
  observed: Observed<number | null>,
  nowMs: number,
): Decision<number> {
  const cap = replicaCap(carbon, policy.bands, policy.fallbackMaxReplicas);
  const current = observed.value;
  if (current === cap.maxReplicas)
    return { value: current, change: false, held: false, reason: `cap stays ${current}: ${cap.reason}` };
  if (current !== null && carbon !== null && withinBandOf(policy, current, carbon))
    return {
      value: current,
      change: false,
      held: false,
      reason: `cap stays ${current}: ${fmt(carbon)} g/kWh is within ${fmt(policy.hysteresisG)} g/kWh of the band that gives ${current}`,
    };
  const until = current === null ? null : holdUntil(observed.sinceMs, policy.minHoldMs, nowMs);
  if (until !== null && current !== null)
    return {
      value: current,
      change: false,
      held: true,
      reason: `cap would move from ${current} to ${cap.maxReplicas} (${cap.reason}) but is held until ${new Date(until).toISOString()}`,
    };
  return {
    value: cap.maxReplicas,
    change: true,
    held: false,
    reason: `cap ${current ?? 'unset'} -> ${cap.maxReplicas}: ${cap.reason}`,
  };
}

/** Whether `carbon` is inside a band (sorted) whose cap is `maxReplicas`, widened by the hysteresis. */
function withinBandOf(policy: CapPolicy, maxReplicas: number, carbon: number): boolean {
  if (!(policy.hysteresisG > 0)) return false;
  const { bands } = policy;
  const h = policy.hysteresisG;
  return bands.some((b, i) => {
    if (b.maxReplicas !== maxReplicas) return false;
    const lower = i > 0 ? bands[i - 1].threshold : Number.NEGATIVE_INFINITY;
    const upper = i < bands.length - 1 ? b.threshold : Number.POSITIVE_INFINITY;
    return carbon > lower - h && carbon <= upper + h;
  });
}
