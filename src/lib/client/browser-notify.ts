// Browser notifications for notices: the owner's opt-in (kept in this browser, since permission is per
// browser too), asking for permission, and the rule for when one is shown: only when allowed, and only
// when the page is hidden or on another route than the notice's (on that page the owner already sees it).

import type { NoticeView } from '$lib/shared/types/notify';

const KEY = 'spyre.notify.browser';

export function shouldShow(s: { enabled: boolean; permission: string; hidden: boolean; currentPath: string; noticePath: string }): boolean {
	return s.enabled && s.permission === 'granted' && (s.hidden || s.currentPath !== s.noticePath);
}

export function supported(): boolean {
	return typeof window !== 'undefined' && 'Notification' in window;
}

export function enabled(): boolean {
	return supported() && localStorage.getItem(KEY) === 'on';
}

/** Turn on (asks permission; false when refused) or off. */
export async function setEnabled(on: boolean): Promise<boolean> {
	if (!supported()) return false;
	if (!on) return (localStorage.removeItem(KEY), false);
	const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
	if (permission !== 'granted') return (localStorage.removeItem(KEY), false);
	localStorage.setItem(KEY, 'on');
	return true;
}

export function permission(): string {
	return supported() ? Notification.permission : 'unsupported';
}

/** Show the notice as a browser notification if the rule says so; a click opens its page. */
export function maybeShow(notice: NoticeView, currentPath: string, open: (path: string) => void): void {
	if (!shouldShow({ enabled: enabled(), permission: permission(), hidden: document.hidden, currentPath, noticePath: notice.path })) return;
	const n = new Notification(notice.title, { body: notice.message, tag: notice.taskId ?? notice.kind });
	n.onclick = () => {
		window.focus();
		open(notice.path);
		n.close();
	};
}
