// Where an attempt set's clones go. Proxmox clones a CT to another node only when its disk is on shared
// storage (`target` needs it: "can't clone CT to node 'X' (CT uses local storage)"); otherwise every clone
// stays on the source's node. Over shared storage each clone goes to the online node with the most free
// memory left after the clones already placed there. Pure: the caller asks Proxmox for the facts.

export interface NodeRoom {
	node: string;
	online: boolean;
	/** Free memory now, in MiB. */
	freeMb: number;
}

export interface Placement {
	/** One node per clone, in attempt order. */
	nodes: string[];
	/** In Spyre's words, for the comparison page. */
	why: string;
}

export function placeClones(input: { count: number; memoryMb: number; sourceNode: string; storage: string; shared: boolean; nodes: readonly NodeRoom[] }): Placement {
	const { count, sourceNode, storage } = input;
	const online = input.nodes.filter((n) => n.online);
	if (!input.shared || online.length <= 1) {
		const why = !input.shared ? `All on ${sourceNode}: storage ${storage} is local to it (a clone moves to another node only from shared storage).` : `All on ${sourceNode}: no other node is online.`;
		return { nodes: Array.from({ length: count }, () => sourceNode), why };
	}
	const room = new Map(online.map((n) => [n.node, n.freeMb]));
	const nodes: string[] = [];
	for (let i = 0; i < count; i++) {
		// Most free memory first; ties go to the source's node, then by name, so a placement is repeatable.
		const [best] = [...room.entries()].sort(([a, fa], [b, fb]) => fb - fa || (a === sourceNode ? -1 : b === sourceNode ? 1 : a < b ? -1 : 1));
		nodes.push(best[0]);
		room.set(best[0], best[1] - Math.max(0, input.memoryMb));
	}
	const counts = [...new Set(nodes)].map((n) => `${n} ×${nodes.filter((x) => x === n).length}`);
	return { nodes, why: `Spread by free memory over shared storage ${storage}: ${counts.join(', ')}.` };
}
