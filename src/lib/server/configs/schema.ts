// The zod schema of one config file as written (a "layer"): strict objects, so an unknown key is an error,
// and every field of a mergeable mapping optional, because a config may take it from its base or from
// environment.yaml. List items are complete on their own (lists are replaced, not merged). Cross-field
// rules that need the merged result live in checks.ts. Also the source of the editor's JSON Schema.

import { z } from 'zod';
import { SERVICE_PROTOCOLS } from '$lib/shared/types/configs';
import { DEFAULT_PERMISSION_MODE, TASK_PERMISSION_MODES } from '$lib/shared/types/claude';
import * as r from './rules';
import { TIME_RE, WEEKDAYS } from '../lifecycle/schedule';

/** Longest inline file content or script, in characters (the whole file is capped at 256 KiB anyway). */
const MAX_TEXT = 200_000;

const network = z
	.object({
		bridge: r.bridge.optional(),
		ip: z
			.union([z.literal('dhcp'), z.string().regex(r.RE.ipv4Cidr)], {
				error: "must be 'dhcp' or an IPv4 address with prefix, e.g. 10.0.0.50/24"
			})
			.optional(),
		gw: r.ipv4.optional()
	})
	.strict();

const platform = z
	.object({
		node: r.nodeName.optional().describe('Proxmox node; default proxmox.node from environment.yaml'),
		template: r.templateId.optional().describe('CT template volume id, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'),
		cores: z.number().int().min(1).max(128).optional().describe('CPU cores'),
		memory: z
			.number()
			.int()
			.min(64)
			.max(1024 * 1024)
			.optional()
			.describe('MiB'),
		swap: z
			.number()
			.int()
			.min(0)
			.max(1024 * 1024)
			.optional()
			.describe('MiB'),
		disk: z
			.number()
			.int()
			.min(1)
			.max(16 * 1024)
			.optional()
			.describe('GB'),
		storage: r.storageId.optional().describe('Storage for the root disk; default proxmox.storage'),
		network: network.optional(),
		features: z.object({ nesting: z.boolean().optional() }).strict().optional(),
		onboot: z.boolean().optional().describe('Start the container when the node boots'),
		tags: z.array(r.tag).max(32).optional().describe('Proxmox tags')
	})
	.strict();

const helperScript = z
	.object({
		url: r.httpsUrl.optional().describe('https URL of the script; requires sha256'),
		file: r.relPath.optional().describe('Script path relative to the configs directory'),
		sha256: r.sha256.optional().describe('SHA-256 of the script (sha256sum); required for url'),
		vars: z.record(z.string().regex(r.RE.helperVar, 'must be a var_* name: var_ then lowercase letters, digits and _'), r.lineText(1024)).optional(),
		timeout: r.timeoutSeconds.optional().describe('seconds')
	})
	.strict();

const file = z
	.object({
		path: r.absPath,
		content: r.blockText(MAX_TEXT).optional(),
		source: r.relPath.optional(),
		mode: r.fileMode.optional().describe("Octal mode, e.g. '0644' (always read as octal)"),
		owner: r.owner.optional().describe('user or user:group')
	})
	.strict();

const user = z
	.object({
		name: r.posixName,
		groups: z.array(r.posixName).max(64).optional(),
		shell: r.absPath.optional(),
		ssh_keys: z.array(r.sshKey).max(64).optional()
	})
	.strict();

const script = z
	.object({
		name: r.slug,
		run: r.blockText(MAX_TEXT).min(1, 'must not be empty').describe('Shell script body'),
		user: r.posixName.optional(),
		workdir: r.absPath.optional(),
		env: z.record(r.envName, r.lineText(4096)).optional(),
		timeout: r.timeoutSeconds.optional().describe('seconds')
	})
	.strict();

const provision = z
	.object({
		packages: z.array(r.packageName).max(1000).optional().describe('Installed with apt, dnf or apk; concatenated with the base'),
		files: z.array(file).max(500).optional().describe('Files written into the container'),
		users: z.array(user).max(100).optional().describe('Users created (or updated) in the container'),
		scripts: z.array(script).max(100).optional().describe('Shell scripts run in order, each with its own timeout'),
		apt_proxy: z
			.string()
			.superRefine((s, ctx) => {
				const problem = s === 'none' ? null : r.aptProxyProblem(s);
				if (problem) ctx.addIssue({ code: 'custom', message: `${problem}, or none` });
			})
			.optional()
			.describe('Proxy for the packages step (http://host:port), or none; default: provision.apt_proxy of environment.yaml'),
		npm_registry: z
			.string()
			.superRefine((s, ctx) => {
				const problem = s === 'none' ? null : r.npmRegistryProblem(s);
				if (problem) ctx.addIssue({ code: 'custom', message: `${problem}, or none` });
			})
			.optional()
			.describe("npm registry (a mirror, http(s)://host:port/path/) npm in the container uses, or none for npm's default; default: provision.npm_registry of environment.yaml")
	})
	.strict();

const service = z
	.object({
		name: r.serviceName,
		port: z.number().int().min(1).max(65535),
		protocol: z.enum(SERVICE_PROTOCOLS).optional(),
		tls_verify: z.boolean().optional().describe('https only: check the certificate the service presents (default true); false for a self-signed one')
	})
	.strict()
	.refine((s) => s.tls_verify === undefined || s.protocol === 'https', { path: ['tls_verify'], message: 'only applies to protocol: https' });

const repo = z
	.object({
		url: r.gitUrl.describe('https://host/path, http://host/path (a LAN server), ssh://[user@]host[:port]/path or user@host:path'),
		ref: r.gitRef.describe('Branch, tag or full commit id to check out'),
		path: r.repoPath.describe("Where to clone: absolute, or relative to the home of Spyre's SSH user in the container"),
		depth: r.cloneDepth.optional().describe('Shallow clone of this many commits; default: the whole history'),
		credential: r.credentialName.optional().describe('Name of a credential stored in Spyre (Settings → Repositories): a deploy key or a token')
	})
	.strict();

const claude = z
	.object({
		workdir: r.absPath.optional(),
		model: r.model.optional(),
		permission_mode: z.enum(TASK_PERMISSION_MODES).optional().describe(`Claude Code permission mode; default ${DEFAULT_PERMISSION_MODE}`),
		allowed_tools: z.array(r.tool).max(200).optional(),
		check: z
			.object({
				run: r.blockText(MAX_TEXT).min(1, 'must not be empty').describe('Shell command run in each attempt clone after its task, e.g. npm test'),
				user: r.posixName.optional().describe('user it runs as; default root'),
				timeout: z.number().int().min(1).max(3600).optional().describe('seconds before it is stopped; default 600')
			})
			.strict()
			.optional()
			.describe("A check run after each attempt's task (N attempts): its exit code and last lines are compared")
	})
	.strict();

const time = z.string().regex(TIME_RE, "must be a 24-hour time HH:MM, e.g. '08:00'");

const scheduleWindow = z
	.object({
		days: z
			.array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
			.min(1, 'must name at least one day')
			.max(7)
			.refine((d) => new Set(d).size === d.length, 'must not name a day twice')
			.describe('Weekdays: sun, mon, tue, wed, thu, fri, sat'),
		start: time.optional().describe("Start the environment at this time (server's time zone), HH:MM"),
		stop: time.optional().describe("Stop it at this time (server's time zone), HH:MM, unless it is in use")
	})
	.strict()
	.refine((w) => w.start !== undefined || w.stop !== undefined, { message: 'needs start, stop or both' })
	.refine((w) => w.start === undefined || w.start !== w.stop, { path: ['stop'], message: 'must differ from start' });

const lifecycle = z
	.object({
		idle_stop_minutes: z
			.number()
			.int()
			.min(0)
			.max(525_600)
			.optional()
			.describe('Stop the environment after this many minutes without use (0 = never); default lifecycle.idle_stop_minutes of environment.yaml'),
		schedule: z.array(scheduleWindow).max(14).optional().describe("Start and stop times on chosen weekdays, in the server's time zone")
	})
	.strict();

export const specSchema = z
	.object({
		platform: platform.optional(),
		helper_script: helperScript.optional(),
		provision: provision.optional(),
		services: z.array(service).max(50).optional(),
		repos: z.array(repo).max(50).optional().describe('Git repositories cloned after the packages step, before the scripts'),
		claude: claude.optional(),
		lifecycle: lifecycle.optional()
	})
	.strict();

export const layerSchema = z
	.object({
		apiVersion: z.literal('spyre/v1', { error: "must be 'spyre/v1'" }),
		kind: z.literal('Environment', { error: "must be 'Environment'" }),
		metadata: z
			.object({ name: r.slug.optional(), description: r.lineText(500).optional() })
			.strict()
			.optional(),
		extends: r.slug.optional().describe('Name of a base config (configs/bases/ or <configs dir>/bases/)'),
		spec: specSchema.optional()
	})
	.strict();

/** One config file as written, after validation. */
export type ConfigLayer = z.infer<typeof layerSchema>;

let cachedJsonSchema: object | null = null;

/** JSON Schema (draft 2020-12) of one config file, for the editor's completion and hover. */
export function configJsonSchema(): object {
	cachedJsonSchema ??= {
		...z.toJSONSchema(layerSchema, { target: 'draft-2020-12', unrepresentable: 'any' }),
		title: 'Spyre environment config (spyre/v1)'
	};
	return cachedJsonSchema;
}

/** The parts of zod 4's internal `_zod.def` this walk reads (stable across zod 4 releases). */
type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The keys a mapping at `path` may have, for "did you mean" hints; [] when the path is not a mapping. */
export function knownKeysAt(path: ReadonlyArray<PropertyKey>, schema: z.ZodType = layerSchema): string[] {
	let node: z.ZodType | undefined = schema;
	for (const segment of [...path, null]) {
		// Unwrap optional/default/pipe wrappers until an object, array or record is reached.
		for (let guard = 0; node && guard < 10; guard++) {
			const inner: Def = defOf(node);
			if (inner.innerType) node = inner.innerType;
			else if (inner.type === 'pipe' && inner.in) node = inner.in;
			else break;
		}
		if (!node) return [];
		const def: Def = defOf(node);
		if (segment === null) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
		if (def.type === 'object' && def.shape) node = def.shape[String(segment)];
		else if (def.type === 'array') node = def.element;
		else if (def.type === 'record') node = def.valueType;
		else return [];
	}
	return [];
}
