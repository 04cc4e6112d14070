// The one place the bridge and the broker reach the auth module: the credential the broker adds to a
// task's calls (or, with the owner's opt-in, injects), the report of upstream's real rejection, and the
// state the pages show. Nothing a task writes reaches the auth state through here.

export { getTaskCredential, reportUpstreamRejection, authStatus, credentialProblem } from './auth';

export type TaskCredential = { kind: 'oauth_token' | 'api_key'; value: string };
