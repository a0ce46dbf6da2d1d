/**
 * The console's Block Kit and mrkdwn rendering: what a person at a terminal sees of a message, with and
 * without colours, and how interactive elements become numbered choices.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/devkit/slack/index.js";
import { makeStyle, mrkdwnToTerminal, renderBlockKit, stripAnsi, type ChoiceSpec } from "../../src/transport/console/index.js";

const card = JSON.parse(readFileSync(new URL("../fixtures/console/approval-card.json", import.meta.url), "utf8")) as JsonObject[];
const names: Record<string, string> = { U0ALICE: "alice", U0BOB: "bob" };

function render(color: boolean) {
  const choices: ChoiceSpec[] = [];
  const lines = renderBlockKit(card, "fallback", {
    style: makeStyle(color),
    userName: (id) => names[id],
    onChoice: (c) => choices.push(c),
  });
  return { lines, choices };
}

describe("console Block Kit rendering", () => {
  it("shows every block kind as plain text when colours are off", () => {
    const { lines } = render(false);
    const text = lines.join("\n");
    expect(text).not.toMatch(/\x1b\[/);
    expect(lines[0]).toBe("Teardown: approval needed");
    expect(lines[1]).toBe("@alice asks to destroy 1 guest (docker1) — see the guest (https://pve.example.test/#v1):");
    expect(lines).toContain("│ VMID  NAME");
    expect(lines).toContain("│ 500   docker1");
    // Fields two per row, label then value, as Slack lays them out.
    const nodeRow = lines.findIndex((l) => l.startsWith("Node"));
    expect(lines[nodeRow]).toMatch(/^Node\s+IP$/);
    expect(lines[nodeRow + 1]).toMatch(/^pve1\s+127\.20\.1\.244$/);
    expect(text).toContain("─".repeat(40));
    expect(text).toContain("Approvers: @S0LEADS, @bob · expires 2026-11-22T11:55:11Z · old <none>");
    expect(lines[lines.length - 1]).toBe("[1 Approve] [2 Reject] [3 Snapshot first]");
  });

  it("paints styles with colours on: bold, italics, code, danger and primary buttons", () => {
    const { lines } = render(true);
    const text = lines.join("\n");
    expect(text).toContain("\x1b[1m1 guest\x1b[22m");
    expect(text).toContain("\x1b[3mdocker1\x1b[23m");
    expect(text).toContain("\x1b[36m127.20.1.244\x1b[39m");
    expect(text).toContain("\x1b[9mold\x1b[29m");
    expect(text).toContain("\x1b[1;41;97m[1 Approve]\x1b[0m");
    expect(text).toContain("\x1b[1;42;30m[3 Snapshot first]\x1b[0m");
    expect(stripAnsi(text)).toBe(render(false).lines.join("\n"));
  });

  it("offers each button with its action, value, style and confirm dialog", () => {
    const { choices } = render(false);
    expect(choices.map((c) => [c.label, c.actionId, c.value, c.style, c.blockId])).toEqual([
      ["Approve", "approval:approve", "ap-1", "danger", "approval"],
      ["Reject", "approval:reject", "ap-1", undefined, "approval"],
      ["Snapshot first", "approval:snapshot", "ap-1", "primary", "approval"],
    ]);
    expect(choices[0]!.confirm).toEqual({ title: "Destroy 1 guest?", text: "This destroys *docker1*.", confirm: "Destroy", deny: "Cancel" });
  });

  it("leaves snake_case names, lone markers and unknown emoji alone", () => {
    const style = makeStyle(false);
    expect(mrkdwnToTerminal("vm_name_1 costs 2*3*4 and :no_such_emoji:", { style })).toEqual(["vm_name_1 costs 2*3*4 and :no_such_emoji:"]);
    expect(mrkdwnToTerminal(":white_check_mark: *done*", { style: makeStyle(true) })[0]).toBe("✅ \x1b[1mdone\x1b[22m");
  });

  it("falls back to the message text when there are no blocks", () => {
    expect(renderBlockKit(undefined, "*hello* `x`", { style: makeStyle(false) })).toEqual(["hello x"]);
  });
});
