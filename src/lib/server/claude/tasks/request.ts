// Reading a task request's JSON body, the same way for every route that starts Claude (a task, a resume,
// a set of attempts): one size cap (two prompts' worth, room for the options) and one options parse.
// It only shapes the body; the options are validated where they are resolved (options.ts).

import { SpyreError } from '../../errors';
import { readJsonBody } from '../../http';
import { MAX_PROMPT_BYTES, type TaskOptionsInput } from '$lib/shared/types/claude';
import { optionsFromBody } from './options';

/** The largest body a task request may send: a prompt (JSON-escaped, so up to twice its bytes) and options. */
export const MAX_TASK_BODY_BYTES = MAX_PROMPT_BYTES * 2 + 16 * 1024;

export interface TaskBody {
	body: Record<string, unknown>;
	/** `body.options` as the caller asked, empty when none was sent. */
	options: TaskOptionsInput;
}

export async function readTaskBody(request: Request): Promise<TaskBody> {
	const body = await readJsonBody(request, MAX_TASK_BODY_BYTES);
	const options = typeof body.options === 'object' && body.options !== null ? optionsFromBody(body.options as Record<string, unknown>) : {};
	return { body, options };
}

/** A request that starts work in an environment: the body must name it. */
export async function readDispatchBody(request: Request): Promise<TaskBody & { environmentId: string }> {
	const read = await readTaskBody(request);
	const { environmentId } = read.body;
	if (typeof environmentId !== 'string') throw new SpyreError('bad_request', 'environmentId is required.');
	return { ...read, environmentId };
}
