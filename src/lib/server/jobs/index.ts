// Keyed, cancellable, recorded background jobs: `import * as jobs from '$lib/server/jobs'`.
// registry.ts runs them (one per key, AbortSignal, audit); record.ts writes and reads their runs.
export type { RunKind, RunStatus, RunPhase, RunView, RunEventView, RunSummary } from '$lib/shared/types/environments';
export type { Run, StepProgress, EventKind, FinalStatus } from './record';
export { latestRun, listRuns, getRun, latestConfigSnapshot, recentProvisionRuns, LISTED_RUNS, VIEW_EVENTS } from './record';
export type { JobSpec } from './registry';
export { startJob, isBusy, busyKind, cancel, settled, settleAll, interruptAll, interruptStaleRuns, JobCancelledError, isCancelled } from './registry';
