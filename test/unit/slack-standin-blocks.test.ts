import { describe, expect, it } from "vitest";
import { formatProblem, validateMessageBlocks, validateView } from "../../src/devkit/slack/blocks.js";

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
const button = (over: Record<string, unknown> = {}) => ({
  type: "button",
  text: { type: "plain_text", text: "Approve" },
  action_id: "approve",
  value: "job-1",
  ...over,
});
const pointers = (problems: { pointer: string }[]) => problems.map((p) => p.pointer);

describe("Block Kit validation for messages", () => {
  it("accepts the block types Slack knows, at their limits", () => {
    const blocks = [
      { type: "header", text: { type: "plain_text", text: "h".repeat(150) } },
      section("s".repeat(3000)),
      {
        type: "section",
        fields: Array.from({ length: 10 }, () => ({ type: "mrkdwn", text: "f".repeat(2000) })),
      },
      { type: "divider" },
      { type: "context", elements: [{ type: "mrkdwn", text: "ctx" }] },
      { type: "actions", block_id: "b".repeat(255), elements: Array.from({ length: 25 }, (_, i) => button({ action_id: `a${i}` })) },
      { type: "image", image_url: "http://127.0.0.1/x.png", alt_text: "x" },
      { type: "rich_text", elements: [] },
    ];
    expect(validateMessageBlocks(blocks)).toEqual([]);
    expect(validateMessageBlocks(Array.from({ length: 50 }, () => ({ type: "divider" })))).toEqual([]);
  });

  it("reports each limit one past the edge, with Slack's json-pointer", () => {
    const problems = validateMessageBlocks([
      section("s".repeat(3001)),
      { type: "header", text: { type: "plain_text", text: "h".repeat(151) } },
      { type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) },
      { type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] },
      { type: "actions", elements: [button({ text: { type: "plain_text", text: "b".repeat(76) } })] },
      { type: "actions", elements: [button({ action_id: "a".repeat(256) })] },
      { type: "actions", elements: [button({ value: "v".repeat(2001) })] },
      { type: "actions", elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) },
      { type: "divider", block_id: "x".repeat(256) },
    ]);
    expect(pointers(problems)).toEqual([
      "/blocks/0/text/text",
      "/blocks/1/text/text",
      "/blocks/2/fields",
      "/blocks/3/fields/0/text",
      "/blocks/4/elements/0/text/text",
      "/blocks/5/elements/0/action_id",
      "/blocks/6/elements/0/value",
      "/blocks/7/elements",
      "/blocks/8/block_id",
    ]);
    expect(formatProblem(problems[0]!)).toBe("must be less than 3001 characters [json-pointer:/blocks/0/text/text]");
  });

  it("limits a message to 50 blocks", () => {
    const problems = validateMessageBlocks(Array.from({ length: 51 }, () => ({ type: "divider" })));
    expect(problems).toEqual([{ pointer: "/blocks", message: "no more than 50 items allowed" }]);
  });

  it("rejects unknown block and element types, and a section without text or fields", () => {
    const problems = validateMessageBlocks([
      { type: "markdown_table" },
      { type: "actions", elements: [{ type: "rocket", action_id: "x" }] },
      { type: "section" },
      { type: "header", text: { type: "mrkdwn", text: "not plain" } },
    ]);
    expect(problems.map(formatProblem)).toEqual([
      "unsupported type: markdown_table [json-pointer:/blocks/0/type]",
      "unsupported type: rocket [json-pointer:/blocks/1/elements/0/type]",
      "must define either `text` or `fields` [json-pointer:/blocks/2/type]",
      "must be a valid enum value [json-pointer:/blocks/3/text/type]",
    ]);
  });

  it("rejects duplicate block ids and a non-array", () => {
    expect(pointers(validateMessageBlocks([{ type: "divider", block_id: "a" }, { type: "divider", block_id: "a" }]))).toEqual([
      "/blocks/1/block_id",
    ]);
    expect(pointers(validateMessageBlocks({ type: "divider" }))).toEqual(["/blocks"]);
  });
});

describe("Block Kit validation for views", () => {
  const modal = (over: Record<string, unknown> = {}) => ({
    type: "modal",
    title: { type: "plain_text", text: "Create VM" },
    submit: { type: "plain_text", text: "Create" },
    blocks: [
      {
        type: "input",
        block_id: "name",
        label: { type: "plain_text", text: "Name" },
        element: { type: "plain_text_input", action_id: "value" },
      },
    ],
    ...over,
  });

  it("accepts a modal with 100 blocks and a 24-character title", () => {
    expect(validateView(modal({ title: { type: "plain_text", text: "t".repeat(24) } }), "modal")).toEqual([]);
    expect(validateView(modal({ blocks: Array.from({ length: 100 }, () => ({ type: "divider" })) }), "modal")).toEqual([]);
  });

  it("rejects a 25-character title, long submit/close, 101 blocks and long private_metadata", () => {
    const problems = validateView(
      modal({
        title: { type: "plain_text", text: "t".repeat(25) },
        submit: { type: "plain_text", text: "s".repeat(25) },
        close: { type: "plain_text", text: "c".repeat(25) },
        private_metadata: "m".repeat(3001),
        blocks: Array.from({ length: 101 }, () => ({ type: "divider" })),
      }),
      "modal",
    );
    expect(pointers(problems).sort()).toEqual(
      ["/view/blocks", "/view/close/text", "/view/private_metadata", "/view/submit/text", "/view/title/text"].sort(),
    );
  });

  it("requires submit when there are input blocks, and the right view type per method", () => {
    expect(pointers(validateView(modal({ submit: undefined }), "modal"))).toEqual(["/view/submit"]);
    expect(pointers(validateView(modal(), "home"))).toEqual(["/view/type"]);
    expect(validateView({ type: "home", blocks: [section("hi")] }, "home")).toEqual([]);
  });
});
