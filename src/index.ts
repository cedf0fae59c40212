/**
 * importcost's public API: the same functions the CLI calls.
 */
export { profile, type ProfileOptions, type ProfileResult, type Until } from './profile/run-profile.js';
export { buildReport, type FileFacts, type BuildOptions } from './analysis/build-report.js';
export { summarizePackages, chainOf, deferralSavings, deferCandidates, type PackageRow, type DeferCandidate } from './analysis/rollup.js';
export { exportSpeedscope, type SpeedscopeFile } from './exporters/speedscope.js';
export { ImportcostError } from './errors.js';
export type * from './report/format.js';
export { parseReport, readReport } from './report/read-report.js';
export { exportCollapsed } from './exporters/collapsed.js';
export { check, type CheckOptions, type CheckRunResult } from './budgets/run-check.js';
export { evaluateBudgets, type BudgetRow, type BudgetKind, type BudgetUnit, type CheckResult, type EvaluateInput } from './budgets/evaluate-budgets.js';
export { loadConfig, validateConfig, type Budgets, type ImportcostConfig, type IncreaseLimit, type MaxIncrease } from './budgets/config.js';
export { diff } from './budgets/run-diff.js';
export { diffReports, type ReportDiff, type PackageChange, type ChangeStatus, type DiffOptions } from './analysis/diff-reports.js';
export { offenderOf, startupMetrics, type Offender, type StartupMetrics } from './analysis/offender.js';
export { fit, FIT_DEFAULTS, type FitOptions, type FitResult, type FitEvent } from './fit/run-fit.js';
export type { FitReport, FitStep, FitTry, FitFailure, FitProfile, FitHolder, FitDeferCandidate } from './fit/format.js';
export { runDefer, type DeferOptions, type DeferRunResult } from './defer/run-defer.js';
export { parseDeferFile, readDeferFile } from './defer/read-defer.js';
export type { DeferFile, DeferPackage, DeferSite, FirstUsePhase, RunOutcome, Spread, Suggestion } from './defer/format.js';
