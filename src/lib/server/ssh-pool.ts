// Moved to ./ssh (one job per file); this shim keeps older imports working until they are updated.
export * from './ssh';
export { targetForEnvironment } from './environments/repo';
