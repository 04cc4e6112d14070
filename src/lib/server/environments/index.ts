// The environments feature as one namespace for routes: `import * as environments from '$lib/server/environments'`.
// Lifecycle by verb (create, power, destroy, adopt, reconcile), shared steps, inventory and the one view.
export { createEnvironment, prepareCreate, createContainer, createParamsFor, createProgress, CREATE_STEPS } from './create';
export type { CreateParams, CreateOptions, PreparedCreate } from './create';
export type { CreatePlatform } from './validate';
export { startEnvironment, stopEnvironment } from './power';
export { destroyEnvironment } from './destroy';
export { adoptContainer } from './adopt';
export { reconcileAfterRestart } from './reconcile';
export { timings, followTask, confirmRunning, bringUp, startAndBringUp, stopCt } from './steps';
export { settleAddress, staticAddressOf, addressRefusal } from './address';
export type { ProgressOf } from './steps';
export { markFailed, liveStatusOr, afterFailedCreate } from './failure';
export type { FailureChanges, FailurePolicy } from './failure';
export { set as changeEnvironment, requireRow } from './state';
export { toView, rowView } from './view';
export { loadInventory, loadEnvironmentView, getNodes } from './inventory';
export { getEnvironment, listEnvironments, setBuiltFrom, builtFromOf } from './repo';
export type { EnvironmentRow } from './repo';
export { isBusy, busyKind, cancel, settled, settleAll, latestRun, listRuns, getRun, LISTED_RUNS } from '../jobs';
