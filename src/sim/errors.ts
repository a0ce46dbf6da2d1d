/**
 * Errors the simulated API answers with. `message` is Proxmox's text; the HTTP layer puts its first line in the
 * reason phrase and the whole text (plus a trailing newline) in the body's `message` (libpve-http-server-perl
 * ≥ 5.2.0, PVE 8.3+/9.x).
 */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
    /** 401/595-style answers carry no body at all. */
    readonly emptyBody = false,
  ) {
    super(message);
    this.name = "SimHttpError";
  }
}

/** A plain `die "…\n"` in a Proxmox handler: HTTP 500. */
export const fail = (message: string): SimHttpError => new SimHttpError(500, message);

/** `raise_param_exc`: 400 `Parameter verification failed.` with per-parameter errors. */
export const paramError = (errors: Record<string, string>): SimHttpError =>
  new SimHttpError(400, "Parameter verification failed.", errors);

/** `raise_perm_exc`: 403 `Permission check failed (…)`. */
export const permError = (detail: string): SimHttpError => new SimHttpError(403, `Permission check failed (${detail})`);

/** An error raised inside a task worker: the task ends `TASK ERROR: <message>`. */
export class TaskFailure extends Error {
  constructor(
    message: string,
    /** Injected by `failNextTask`: reported verbatim, never wrapped (e.g. in `clone failed: …`). */
    readonly injected = false,
  ) {
    super(message);
    this.name = "TaskFailure";
  }
}

/** Thrown into a task's sleeps when the simulator closes or the task is stopped. */
export class TaskInterrupted extends Error {
  constructor(message = "interrupted by signal") {
    super(message);
    this.name = "TaskInterrupted";
  }
}
