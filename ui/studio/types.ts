// The studio's HTTP API in types: what `kioskctl studio` (crates/studio)
// sends and takes. Kept by hand beside the Rust DTOs in crates/studio/src/docs.rs.

/** Text per language code; a missing or empty entry is "not translated". */
export type Localized = Record<string, string>;

export type SettingsDoc = {
	default_language: string;
	languages: string[];
	timezone: string;
	idle_timeout_secs: number;
	attract_slide_secs: number;
	theme: { primary: string; accent: string; background: string; text: string };
	music: { continuous: boolean; attract: boolean; attract_volume: number };
	consent: { version: number; text: Localized };
};

export type SectionDoc = {
	/** The file's stem under sections/ (`overview` for overview.md); null for a new section. */
	file: string | null;
	id: string;
	title: Localized;
	/** Markdown per language. */
	body: Localized;
};

export type EventDoc = {
	id: string;
	/** Local wall time in the event's zone, `YYYY-MM-DDTHH:MM` (what `<input type=datetime-local>` gives). */
	start: string;
	end: string;
	/** IANA zone; null: the embassy's (settings.timezone). */
	timezone: string | null;
	title: Localized;
	location: Localized;
	description: Localized;
};

export type TrackDoc = {
	id: string;
	/** The audio file's name in music/ (or an upload waiting for Save). */
	file: string;
	title: Localized;
	credit: Localized;
};

/** Everything the studio edits; the order of sections and tracks is the kiosk's order. */
export type Drafts = {
	settings: SettingsDoc;
	sections: SectionDoc[];
	events: EventDoc[];
	tracks: TrackDoc[];
};

export type Page = "sections" | "events" | "music" | "settings" | "publish";

/** One thing the bundle build would refuse (or, in `notes`, fall back on). */
export type Problem = {
	page: Page;
	/** The field's test id without the key, e.g. `event-end`, `section-body-kk`, `theme-text`, `track-file`; `content` when none fits. */
	field: string;
	/** Which event/section/track (its id), or null. */
	key: string | null;
	/** In words a non-developer understands. */
	message: string;
	/** Where in the files, for whoever also edits them by hand: `events.toml:37`. */
	at: string | null;
};

export type ContentDoc = {
	/** sha256 of each file as read, `absent` if it did not exist; sent back on save. */
	revs: Record<string, string>;
	/** The embassy's name in the default language ("" if the content names none). */
	embassy: string;
	drafts: Drafts;
	/** Languages the studio can offer, with their own names (`Қазақша`). */
	language_names: Record<string, string>;
	/** Now, as wall time in the embassy's zone (`YYYY-MM-DDTHH:MM`): events ending before it are past. */
	now_local: string;
	/** A calendar file the content also reads (events.ics), if any. */
	calendar: { file: string; events: number } | null;
	problems: Problem[];
	notes: Problem[];
};

/** An error answer: `{code, message}` (+ what the code carries). */
export type ApiError = {
	code: string;
	message: string;
	files?: string[];
	problems?: Problem[];
};

export type SaveRequest = {
	base_revs: Record<string, string>;
	drafts: Drafts;
	consent?: "new_version" | "same_meaning";
};

export type ImportResult = {
	events: EventDoc[];
	added: number;
	updated: number;
	removed: number;
	skipped: string[];
};

export type Upload = { file: string; mime: string; duration_ms: number };

export type Change = { added: string[]; changed: string[]; removed: string[] };

export type Published = {
	version: number;
	folder: string;
	files: string[];
	/** Against the newest bundle already in the folder; null when there was none. */
	changes: { sections: Change; events: Change; tracks: Change } | null;
};

export type PublishRequest = {
	key_path: string;
	/** Omitted once the key was unlocked in this session. */
	password: string | null;
	folder: string;
	/** Also write the web folder's signed manifest (for HTTPS updates). */
	web: boolean;
};
