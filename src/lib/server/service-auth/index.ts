// Signing in to an environment's service URL: the short-lived codes and service credentials
// (`credentials.ts`) and the rules for when a request may get one (`rules.ts`).
export * from './credentials';
export * from './rules';
