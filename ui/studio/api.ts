// Typed fetch for the studio's own server (see /api in studio-api). Every
// failure becomes one ApiFailure carrying the server's `{code, message}`, so
// pages branch on `code`, never on message text; a request that never got an
// answer (server stopped, laptop asleep) is code "offline".
import { keyHeader } from "./session";
import type { ApiError } from "./types";

export class ApiFailure extends Error {
  readonly status: number;
  readonly body: ApiError;

  constructor(status: number, body: ApiError) {
    super(body.message);
    this.name = "ApiFailure";
    this.status = status;
    this.body = body;
  }
}

async function request<T>(path: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...keyHeader() } });
  } catch {
    throw new ApiFailure(0, {
      code: "offline",
      message: "The studio's server does not answer. Is the studio still running on this computer?",
    });
  }
  const text = await res.text();
  if (!res.ok) throw new ApiFailure(res.status, errorBody(res.status, text));
  return (text === "" ? null : JSON.parse(text)) as T;
}

/** The server's `{code, message}`, or a generic one when the answer is not that. */
export function errorBody(status: number, text: string): ApiError {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && typeof (body as ApiError).code === "string") {
      const e = body as ApiError;
      return { ...e, message: typeof e.message === "string" ? e.message : `The server refused (${e.code}).` };
    }
  } catch {
    // not JSON: fall through to the generic answer
  }
  return { code: "http_" + status, message: `The studio's server answered with an error (${status}). Try again.` };
}

export function getJson<T>(path: string): Promise<T> {
  return request<T>(path, { method: "GET", headers: { accept: "application/json" } });
}

export function sendJson<T>(method: "POST" | "PUT" | "DELETE", path: string, body: unknown): Promise<T> {
  return request<T>(path, {
    method,
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
}

export function upload<T>(path: string, blob: Blob): Promise<T> {
  return request<T>(path, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", accept: "application/json" },
    body: blob,
  });
}
