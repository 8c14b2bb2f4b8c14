/** Exact home energy plans (battery, EV, PV, deferrable appliances) solved with HiGHS. */
export { type Baseline, baseline } from './baseline.ts';
export { InfeasibleError } from './errors.ts';
export type { Formulation } from './exclusivity.ts';
export { type HomePlan, type HomeSlot, type OptimizeOptions, optimizeHome } from './home.ts';
export { buildHomeModel } from './home-model.ts';
export { toLpText } from './lp.ts';
export { type HomeScenario, parseScenario } from './scenario.ts';
export { loadSolver, type Solver } from './solve.ts';
