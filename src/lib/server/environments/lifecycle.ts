// The environment lifecycle, by verb: create.ts, power.ts (start/stop), destroy.ts, adopt.ts,
// reconcile.ts, with shared steps in steps.ts and the job machinery in ../jobs. This barrel keeps the
// names older importers use (status-poller, runtime, tests); new code imports from './index'.
export { createEnvironment, prepareCreate, createContainer } from './create';
export { startEnvironment, stopEnvironment } from './power';
export { destroyEnvironment } from './destroy';
export { adoptContainer } from './adopt';
export { reconcileAfterRestart } from './reconcile';
export { timings } from './steps';
export { rowView, toView } from './view';
export { isBusy, settled, settleAll } from '../jobs';
