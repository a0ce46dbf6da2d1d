/**
 * Test helpers for the simulator's integration tests: a tiny HTTPS caller (undici fetch, trusting the
 * simulator's certificate) that returns status, reason phrase, headers and the parsed body.
 */
import { Agent, fetch } from "undici";
import { startSimulator, type PveSimulator, type SimulatorOptions } from "../../src/sim/index.js";

export interface ApiAnswer {
  status: number;
  reason: string;
  headers: Headers;
  text: string;
  /** The parsed JSON body (tests read Proxmox's loosely typed answers directly). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface SimHarness {
  sim: PveSimulator;
  api(method: string, path: string, params?: Record<string, string | number>, opts?: CallOptions): Promise<ApiAnswer>;
  /** GET/POST… and return `data`, failing the test on a non-200 answer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data(method: string, path: string, params?: Record<string, string | number>, opts?: CallOptions): Promise<any>;
  waitTask(upid: string): Promise<{ exitstatus: string; log: string[] }>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** Authorization header; null = none. Default: the simulator's token. */
  auth?: string | null;
  /** Send params as a JSON body instead of form data. */
  json?: boolean;
  /** A raw body (form encoded) instead of params. */
  rawBody?: string;
}

export async function startHarness(opts: SimulatorOptions = {}): Promise<SimHarness> {
  const sim = await startSimulator({ speed: 100, authFailureDelayMs: 10, guestSshPort: null, ...opts });
  const dispatcher = new Agent({ connect: { ca: sim.certPem || undefined } });
  const api = async (method: string, path: string, params: Record<string, string | number> = {}, o: CallOptions = {}): Promise<ApiAnswer> => {
    const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const inQuery = method === "GET" || method === "DELETE";
    const url = `${sim.url}/api2/json${path}${inQuery && qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = {};
    const auth = o.auth === undefined ? sim.authorization : o.auth;
    if (auth !== null) headers.authorization = auth;
    let body: string | undefined;
    if (o.rawBody !== undefined) {
      body = o.rawBody;
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (!inQuery && Object.keys(params).length > 0) {
      if (o.json) {
        body = JSON.stringify(params);
        headers["content-type"] = "application/json";
      } else {
        body = qs;
        headers["content-type"] = "application/x-www-form-urlencoded";
      }
    }
    const res = await fetch(url, { method, headers, body, dispatcher });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, reason: res.statusText, headers: res.headers as unknown as Headers, text, body: parsed };
  };
  const data = async (method: string, path: string, params?: Record<string, string | number>, o?: CallOptions) => {
    const r = await api(method, path, params, o);
    if (r.status !== 200) throw new Error(`${method} ${path} → ${r.status} ${r.reason} ${r.text}`);
    return r.body.data;
  };
  const waitTask = async (upid: string) => {
    const node = upid.split(":")[1]!;
    for (;;) {
      const st = await data("GET", `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
      if (st.status === "stopped") {
        const log = await data("GET", `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log`, { limit: 1000 });
        return { exitstatus: st.exitstatus as string, log: (log as { t: string }[]).map((l) => l.t) };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    sim,
    api,
    data,
    waitTask,
    close: async () => {
      await sim.close();
      await dispatcher.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined (the simulator is fast at high speed). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, tries = 2000): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("condition never became true");
}
