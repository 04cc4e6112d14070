// The task endpoints: /nodes/{node}/tasks (filters, newest first, `total`), a task's status and its log.
import type { ApiDeps } from './api';
import { bool, int, node, optVmid, P, str } from './api-schemas';
import { ApiError, paramError, type Route } from './http';
import type { TaskRecord } from './state';
import { parseUpid, splitTokenUser } from './upid';

export function taskRoutes(d: ApiDeps): Route[] {
	const taskStatus = (t: TaskRecord) => {
		const { user, tokenid } = splitTokenUser(t.user);
		return {
			upid: t.upid,
			node: t.node,
			pid: t.pid,
			pstart: t.pstart,
			starttime: t.starttime,
			type: t.type,
			id: t.id,
			user,
			...(tokenid ? { tokenid } : {}),
			status: t.status,
			...(t.status === 'stopped' ? { exitstatus: t.exitstatus } : {})
		};
	};

	const findTask = (upid: string): TaskRecord => {
		if (!parseUpid(upid)) throw new ApiError(500, `unable to parse worker upid '${upid}'`);
		const t = d.tasks.get(upid);
		if (!t) throw paramError({ upid: 'no such task' });
		return t;
	};

	const n = (v: unknown) => String(v);

	return [
		{
			method: 'GET',
			path: '/nodes/{node}/tasks',
			schema: P({
				node,
				start: int(0),
				limit: int(0),
				vmid: optVmid,
				typefilter: str,
				userfilter: str,
				statusfilter: str,
				source: { type: 'string', optional: true, enum: ['archive', 'active', 'all'] },
				errors: bool,
				since: int(0),
				until: int(0)
			}),
			handler: ({ params }) => {
				const start = Number(params.start ?? 0);
				const limit = Number(params.limit ?? 50);
				const list = d.tasks
					.list()
					.filter((t) => t.node === params.node)
					.filter((t) => params.source !== 'active' || t.status === 'running')
					.filter((t) => params.vmid === undefined || t.id === String(params.vmid))
					.filter((t) => !params.typefilter || t.type === params.typefilter)
					.filter((t) => !params.userfilter || t.user.includes(n(params.userfilter)))
					.filter((t) => Number(params.errors ?? 0) !== 1 || (t.status === 'stopped' && t.exitstatus !== 'OK'))
					.filter((t) => params.since === undefined || t.starttime >= Number(params.since))
					.filter((t) => params.until === undefined || t.starttime <= Number(params.until))
					.slice()
					.reverse();
				const page = list.slice(start, start + limit).map((t) => {
					const { exitstatus, ...rest } = taskStatus(t);
					return { ...rest, ...(t.endtime ? { endtime: t.endtime } : {}), ...(exitstatus ? { status: exitstatus } : { status: undefined }) };
				});
				return { data: page, extra: { total: list.length } };
			}
		},
		{
			method: 'GET',
			path: '/nodes/{node}/tasks/{upid}/status',
			schema: P({ node, upid: { type: 'string', maxLength: 256 } }),
			handler: ({ params }) => ({ data: taskStatus(findTask(n(params.upid))) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/tasks/{upid}/log',
			schema: P({ node, upid: { type: 'string', maxLength: 256 }, start: int(0), limit: int(0), download: bool }),
			handler: ({ params }) => {
				const t = findTask(n(params.upid));
				const start = Number(params.start ?? 0);
				const limit = params.limit === undefined ? 50 : Number(params.limit) || t.log.length;
				const lines = t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
				return { data: lines, extra: { total: t.log.length } };
			}
		}
	];
}
