// Asynchronous worker tasks: UPID allocation, the task log, and the final status line
// (`TASK OK`, `TASK WARNINGS: N`, `TASK ERROR: ...`). Owns TaskRecords in the state; runs the work
// function it is given and never decides what a task does.
import { uptime } from 'node:os';
import type { StateStore, TaskRecord } from './state';
import { formatUpid } from './upid';

export interface TaskContext {
	upid: string;
	log(line: string): void;
	/** A `WARN: ...` line; the task then ends `TASK WARNINGS: N` (which counts as success). */
	warn(line: string): void;
}

export type TaskWork = (ctx: TaskContext) => Promise<void>;

export class Tasks {
	private readonly listeners = new Map<string, (() => void)[]>();

	constructor(
		private readonly store: StateStore,
		private readonly user: string
	) {
		// Workers do not survive a restart of the daemon; real PVE shows them as `unexpected status`.
		for (const t of store.state.tasks) {
			if (t.status === 'running') {
				t.status = 'stopped';
				t.exitstatus = 'unexpected status';
				t.endtime = Math.floor(Date.now() / 1000);
			}
		}
		store.save();
	}

	/** Create the task record and start `work` on the next tick; returns the UPID at once. */
	start(node: string, type: string, id: string, work: TaskWork): string {
		const st = this.store.state;
		st.nextPid = (st.nextPid + 1 + Math.floor(Math.random() * 40)) % 0x3fffff;
		const pid = st.nextPid;
		const rec: TaskRecord = {
			upid: '',
			node,
			type,
			id,
			user: this.user,
			pid,
			pstart: Math.floor(uptime() * 100) + (pid % 97),
			starttime: Math.floor(Date.now() / 1000),
			status: 'running',
			log: []
		};
		rec.upid = formatUpid(rec);
		this.store.addTask(rec);
		this.store.save();
		let warnings = 0;
		const ctx: TaskContext = {
			upid: rec.upid,
			log: (line) => {
				rec.log.push(...line.split('\n'));
			},
			warn: (line) => {
				warnings++;
				rec.log.push(`WARN: ${line}`);
			}
		};
		setImmediate(() => {
			work(ctx).then(
				() => this.finish(rec, warnings > 0 ? `WARNINGS: ${warnings}` : 'OK'),
				(err: unknown) => this.finish(rec, errorText(err))
			);
		});
		return rec.upid;
	}

	private finish(rec: TaskRecord, exitstatus: string): void {
		rec.log.push(`TASK ${exitstatus === 'OK' || exitstatus.startsWith('WARNINGS') ? exitstatus : `ERROR: ${exitstatus}`}`);
		rec.status = 'stopped';
		rec.exitstatus = exitstatus;
		rec.endtime = Math.floor(Date.now() / 1000);
		this.store.save();
		for (const fn of this.listeners.get(rec.upid) ?? []) fn();
		this.listeners.delete(rec.upid);
	}

	get(upid: string): TaskRecord | undefined {
		return this.store.state.tasks.find((t) => t.upid === upid);
	}

	list(): TaskRecord[] {
		return this.store.state.tasks;
	}

	/** Resolves when the task has ended (immediately when it already has). */
	wait(upid: string): Promise<TaskRecord | undefined> {
		const t = this.get(upid);
		if (!t || t.status === 'stopped') return Promise.resolve(t);
		return new Promise((resolve) => {
			const arr = this.listeners.get(upid) ?? [];
			arr.push(() => resolve(this.get(upid)));
			this.listeners.set(upid, arr);
		});
	}
}

export function errorText(err: unknown): string {
	const msg = err instanceof Error ? err.message : String(err);
	return msg.replace(/\n+$/, '') || 'unknown error';
}
