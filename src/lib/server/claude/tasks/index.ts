// Claude Code tasks in environments: the entry other modules and the routes use. `bridge` starts, follows,
// resumes, cancels and rolls back tasks; `review` pushes a task's branch and opens a terminal in its repo;
// the socket streams a task live. The rest of the folder (launcher, stream-json, changes, …) is internal.
export * as bridge from './bridge';
export * as review from './review';
export { recoverTasks, stopFollowing } from './bridge';
export { changesView } from './changes';
export { readDispatchBody, readTaskBody } from './request';
export { parseTaskQuery, TASK_PAGE_SIZE, type TaskQuery } from './query';
export { listTasks } from './repo';
export { handleTaskSocket } from './socket';
