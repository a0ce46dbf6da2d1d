import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PveError } from "../../src/errors.js";
import {
  describeTransportError,
  FingerprintMismatchError,
  isLockTimeout,
  privilegeFromMessage,
  pveErrorFromResponse,
  taskFailedError,
} from "../../src/adapters/pve/errors.js";

interface ErrorCase {
  name: string;
  status: number;
  reason: string;
  body: string;
  kind: string;
  pveMessage?: string;
  privilege?: string;
  lock?: string;
  lockTimeout?: boolean;
  paramErrors?: Record<string, string>;
}

const cases = (
  JSON.parse(readFileSync(new URL("../fixtures/pve-client/error-cases.json", import.meta.url), "utf8")) as {
    cases: ErrorCase[];
  }
).cases;

describe("pveErrorFromResponse: real Proxmox error texts", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const err = pveErrorFromResponse({ status: c.status, statusText: c.reason, body: c.body, method: "POST", path: "/x" });
    expect(err).toBeInstanceOf(PveError);
    expect(err.code).toBe("PVE");
    expect(err.kind).toBe(c.kind);
    expect(err.status).toBe(c.status);
    expect(err.pveMessage).toBe(c.pveMessage ?? c.reason);
    if (c.privilege !== undefined) expect(err.privilege).toBe(c.privilege);
    else expect(err.privilege).toBeUndefined();
    if (c.lock !== undefined) expect(err.lock).toBe(c.lock);
    if (c.lockTimeout !== undefined) expect(isLockTimeout(err)).toBe(c.lockTimeout);
    if (c.paramErrors) expect(err.paramErrors).toEqual(c.paramErrors);
  });

  it("prefers the body's full message but keeps classification from the reason phrase", () => {
    const err = pveErrorFromResponse({
      status: 500,
      statusText: "VM is locked (clone)",
      body: JSON.stringify({ data: null, message: "VM is locked (clone)\n" }),
    });
    expect(err.pveMessage).toBe("VM is locked (clone)");
    expect(err.kind).toBe("locked");
    expect(err.lock).toBe("clone");
  });

  it("falls back to the HTTP status when nothing else is given", () => {
    const err = pveErrorFromResponse({ status: 502, statusText: undefined, body: "" });
    expect(err.pveMessage).toBe("HTTP 502");
    expect(err.kind).toBe("server");
  });

  it("shortens a huge HTML body", () => {
    const err = pveErrorFromResponse({ status: 502, statusText: "", body: `<html>${"x".repeat(5000)}</html>` });
    expect(err.pveMessage.length).toBeLessThan(600);
  });
});

describe("privilegeFromMessage", () => {
  it("parses path and privilege", () => {
    expect(privilegeFromMessage("Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)")).toBe(
      "Datastore.AllocateSpace on /storage/local-lvm",
    );
    expect(privilegeFromMessage("Permission check failed (pool 'x' does not exist)")).toBeUndefined();
  });
});

describe("taskFailedError", () => {
  it("carries the exit status, the UPID and a lock named in it", () => {
    const upid = "UPID:pve1:00000ACD:00006AE8:679A423B:qmclone:112:chatops@pve!bot:";
    const err = taskFailedError({ upid, exitstatus: "clone failed: can't lock file '/var/lock/qemu-server/lock-120.conf' - got timeout" });
    expect(err.kind).toBe("task-failed");
    expect(err.upid).toBe(upid);
    expect(err.lock).toBe("/var/lock/qemu-server/lock-120.conf");
    // A task's lock timeout is not a retryable *request*: the task ran.
    expect(isLockTimeout(err)).toBe(false);
  });
});

describe("describeTransportError", () => {
  it("connection refused: not sent, network", () => {
    const e = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(describeTransportError(e)).toMatchObject({ kind: "network", notSent: true });
  });
  it("reset after connect: may have been sent", () => {
    const e = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" });
    expect(describeTransportError(e)).toMatchObject({ kind: "network", notSent: false });
  });
  it("untrusted certificate: names the TLS problem", () => {
    const e = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    const d = describeTransportError(e);
    expect(d.notSent).toBe(true);
    expect(d.message).toMatch(/TLS certificate not trusted/);
  });
  it("fingerprint mismatch: names both fingerprints", () => {
    const d = describeTransportError(new FingerprintMismatchError("AA:BB", "CC:DD", "https://127.0.0.1:8006"));
    expect(d).toMatchObject({ kind: "network", notSent: true });
    expect(d.message).toContain("TLS certificate fingerprint mismatch");
    expect(d.message).toContain("expected AA:BB");
    expect(d.message).toContain("got CC:DD");
  });
  it("headers timeout is a timeout", () => {
    const e = Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" });
    expect(describeTransportError(e).kind).toBe("timeout");
  });
});
