// The event plugin's side of the preview: what @tauri-apps/api's `listen`,
// `transformCallback` and `unlisten` expect, and `emit` for the preview's own events.

export type Handler = (event: { event: string; id: number; payload: unknown }) => void;

/** The event plugin's side: listeners per event name, called by `emit`. */
export function createEvents() {
  const callbacks = new Map<number, { fn: Handler; once: boolean }>();
  const listeners = new Map<string, Map<number, number>>();
  let nextId = 1;

  return {
    transformCallback(fn: Handler, once = false): number {
      const id = nextId++;
      callbacks.set(id, { fn, once });
      return id;
    },
    unregisterCallback(id: number): void {
      callbacks.delete(id);
    },
    listen(event: string, handler: number): number {
      const id = nextId++;
      if (!listeners.has(event)) listeners.set(event, new Map());
      listeners.get(event)?.set(id, handler);
      return id;
    },
    unlisten(event: string, id: number): void {
      const handler = listeners.get(event)?.get(id);
      listeners.get(event)?.delete(id);
      if (handler !== undefined) callbacks.delete(handler);
    },
    emit(event: string, payload: unknown): void {
      for (const [id, handler] of [...(listeners.get(event) ?? [])]) {
        const cb = callbacks.get(handler);
        if (!cb) continue;
        if (cb.once) this.unlisten(event, id);
        cb.fn({ event, id, payload });
      }
    },
  };
}
