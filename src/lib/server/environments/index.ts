// The environments feature as one namespace for routes: `import * as environments from '$lib/server/environments'`.
export { createEnvironment, startEnvironment, stopEnvironment, destroyEnvironment, adoptContainer, rowView, isBusy, settled, settleAll } from './lifecycle';
export { loadInventory, loadEnvironmentView, getNodes } from './inventory';
export { getEnvironment, listEnvironments } from './repo';
export { latestRun } from './runs';
