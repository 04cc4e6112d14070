// The one place the bridge reaches the auth module (built alongside it): the credential a task gets, the
// report of an auth failure seen in a task, and the state the pages show. Keeping it to this file means
// only one import changes if the auth module's names move.

export { getTaskCredential, reportTaskAuthFailure, authStatus } from './auth';

export type TaskCredential = { kind: 'oauth_token' | 'api_key'; value: string };
