// The page's key. The one-use login link hands it over in the redirect's
// fragment (`/#key=…`), which the browser never sends to a server, and the
// page keeps it in this tab's sessionStorage, which only pages of this very
// origin (host and port) can read. Every API request carries it as a header:
// the session cookie alone is not enough, because browsers share cookies
// between ports of one host, so a server another user runs on 127.0.0.1
// could otherwise receive it.

const STORE = "kiosk-studio-key";
export const KEY_HEADER = "x-studio-key";

/** Takes the key from the address (and removes it from there and from history). */
export function adoptKey(loc: Pick<Location, "hash" | "pathname" | "search">, storage: Pick<Storage, "setItem">, history: Pick<History, "replaceState">): void {
  const m = /^#key=([0-9a-f]{16,128})$/.exec(loc.hash);
  if (!m?.[1]) return;
  storage.setItem(STORE, m[1]);
  history.replaceState(null, "", loc.pathname + loc.search);
}

/** The header to send, if this tab holds the key. */
export function keyHeader(storage: Pick<Storage, "getItem"> | undefined = globalThis.sessionStorage): Record<string, string> {
  const key = storage?.getItem(STORE);
  return key ? { [KEY_HEADER]: key } : {};
}
