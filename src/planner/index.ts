export type { Objective, Strategy } from '../core/objective.ts';
export { needsPrice, objectiveName, parseObjective, STRATEGIES } from '../core/objective.ts';
export type {
  DecideOptions,
  Decision,
  ForecastValue,
  ModelTier,
  TierChoice,
  TierOptions,
  TierSignal,
} from './decide.ts';
export { chooseModelTier, decideNow } from './decide.ts';
export type { ExplainOptions, PlanJson, RunJson } from './explain.ts';
export { explainPlan, planToJson } from './explain.ts';
export { normaliseByDailyMax, slotScores } from './objectives.ts';
export type { Plan, PlanAlternative, PlanBaseline, PlanOptions, PlanReason, Run } from './plan.ts';
export { planLoad, planMany, preparePlanner } from './plan.ts';
export type { ReplicaBand, ReplicaCap } from './replicas.ts';
export { replicaCap, sortedBands } from './replicas.ts';
export type { PlanningRequest, RequestOverrides, RequestPlanOptions } from './request.ts';
export { fitRuns, planningRange, planRequest, requestFromInput, splitLongRuns } from './request.ts';
export type { DelayAdvice, HomeSignals, PenaltyTimeline, RunWindow } from './strategies.ts';
export {
  bestRunWindow,
  DEFAULT_DELAY_THRESHOLD,
  delayNow,
  penaltyTimeline,
  strategyWeights,
} from './strategies.ts';
export type {
  CappedContiguousChoice,
  CappedSlotChoice,
  ContiguousChoice,
  PieceOptions,
  Prefix,
  SlotChoice,
} from './windows.ts';
export {
  bestContiguous,
  bestContiguousUnderCap,
  bestInterruptible,
  bestInterruptibleUnderCap,
  cheapestSlots,
  fitsPieces,
  lowestSlots,
  prefixSums,
  rangeSum,
  sumAt,
  windowSum,
} from './windows.ts';
