/**
 * importcost's public API: the same functions the CLI calls.
 */
export { profile, type ProfileOptions, type ProfileResult, type Until } from './profile/run-profile.js';
export { buildReport, type FileFacts, type BuildOptions } from './analysis/build-report.js';
export { summarizePackages, chainOf, type PackageRow } from './analysis/rollup.js';
export { exportSpeedscope, type SpeedscopeFile } from './exporters/speedscope.js';
export { ImportcostError } from './errors.js';
export type * from './report/format.js';
export { parseReport, readReport } from './report/read-report.js';
export { exportCollapsed } from './exporters/collapsed.js';
