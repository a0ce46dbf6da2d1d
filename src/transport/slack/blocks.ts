/**
 * The ONE Block Kit renderer: neutral messages (src/commands/message.ts) → Slack blocks, with every Block Kit limit
 * enforced here and nowhere else (docs.slack.dev/reference/block-kit/blocks):
 *   50 blocks per message · section text 3000 chars · at most 10 fields of 2000 chars · header 150 chars ·
 *   context ≤ 10 elements · actions ≤ 25 elements · button text 75, action_id 255, value 2000 ·
 *   confirm dialog title 100, text 300, buttons 30.
 * Long texts split at line boundaries, long field lists and tables continue in further blocks, and a message
 * with more than 50 blocks is paginated into several messages.
 */
import { InternalError } from "../../errors.js";
import { escapeMrkdwn, type ButtonSpec, type MessageBlock, type Reply } from "../../commands/message.js";

export const SLACK_LIMITS = {
  messageBlocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Top-level `text` may be 40 000 characters; a notification shows far less, so we keep fallbacks short. */
  fallbackText: 3000,
  /** Widest table cell before it is cut (keeps rows on one line in a code block). */
  tableCell: 40,
} as const;

/** A Block Kit block as JSON (assignable to @slack/types' `Block`). */
export interface SlackBlock {
  type: string;
  [key: string]: unknown;
}

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Cuts to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Splits text into chunks of at most `max` characters, preferring line boundaries. */
export function splitText(text: string, max: number): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    const pieces: string[] = [];
    for (let i = 0; i < line.length || i === 0; i += max) pieces.push(line.slice(i, i + max));
    for (const piece of pieces) {
      const candidate = current === "" ? piece : `${current}\n${piece}`;
      if (candidate.length <= max) current = candidate;
      else {
        chunks.push(current);
        current = piece;
      }
    }
  }
  if (current !== "" || chunks.length === 0) chunks.push(current);
  return chunks.filter((c, i) => c.trim() !== "" || (chunks.length === 1 && i === 0));
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: text === "" ? " " : text } };
}

function plain(text: string, max: number): { type: "plain_text"; text: string; emoji: true } {
  return { type: "plain_text", text: truncate(text, max) || " ", emoji: true };
}

function button(b: ButtonSpec): SlackBlock {
  if (b.actionId.length === 0 || b.actionId.length > SLACK_LIMITS.actionId) {
    throw new InternalError(`button action_id must be 1-${SLACK_LIMITS.actionId} characters, got ${b.actionId.length}`);
  }
  if (b.value !== undefined && b.value.length > SLACK_LIMITS.buttonValue) {
    throw new InternalError(`button value must be at most ${SLACK_LIMITS.buttonValue} characters, got ${b.value.length}`);
  }
  return {
    type: "button",
    action_id: b.actionId,
    text: plain(b.text, SLACK_LIMITS.buttonText),
    ...(b.value !== undefined ? { value: b.value } : {}),
    ...(b.style ? { style: b.style } : {}),
    ...(b.confirm
      ? {
          confirm: {
            title: plain(b.confirm.title, SLACK_LIMITS.confirmTitle),
            text: { type: "mrkdwn", text: truncate(b.confirm.text, SLACK_LIMITS.confirmText) },
            confirm: plain(b.confirm.confirm, SLACK_LIMITS.confirmButton),
            deny: plain(b.confirm.deny, SLACK_LIMITS.confirmButton),
            ...(b.style === "danger" ? { style: "danger" } : {}),
          },
        }
      : {}),
  };
}

/** A table as monospace text, one code block per chunk, the header row repeated on each. */
function tableSections(columns: string[], rows: string[][]): SlackBlock[] {
  const cell = (s: string) => truncate(s.replace(/\s+/g, " "), SLACK_LIMITS.tableCell);
  const cells = [columns, ...rows].map((r) => columns.map((_, i) => cell(r[i] ?? "")));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => escapeMrkdwn(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
  const header = line(cells[0]!);
  const fence = (body: string[]) => section("```\n" + [header, ...body].join("\n") + "\n```");
  const budget = SLACK_LIMITS.sectionText - 8 - header.length - 1;
  const out: SlackBlock[] = [];
  let body: string[] = [];
  let size = 0;
  for (const r of cells.slice(1)) {
    const l = truncate(line(r), budget);
    if (body.length && size + l.length + 1 > budget) {
      out.push(fence(body));
      body = [];
      size = 0;
    }
    body.push(l);
    size += l.length + 1;
  }
  out.push(fence(body));
  return out;
}

/** Every neutral block as one or more Slack blocks, each within its limits (the count is not limited here). */
export function renderBlocks(blocks: readonly MessageBlock[]): SlackBlock[] {
  const out: SlackBlock[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case "header":
        out.push({ type: "header", text: plain(b.text, SLACK_LIMITS.headerText) });
        break;
      case "text":
        for (const chunk of splitText(b.text, SLACK_LIMITS.sectionText)) out.push(section(chunk));
        break;
      case "fields":
        for (let i = 0; i < b.fields.length; i += SLACK_LIMITS.sectionFields) {
          out.push({
            type: "section",
            fields: b.fields
              .slice(i, i + SLACK_LIMITS.sectionFields)
              .map((f) => ({ type: "mrkdwn", text: truncate(`*${f.label}*\n${f.value || " "}`, SLACK_LIMITS.fieldText) })),
          });
        }
        break;
      case "context":
        out.push({ type: "context", elements: [{ type: "mrkdwn", text: truncate(b.text, SLACK_LIMITS.contextText) || " " }] });
        break;
      case "divider":
        out.push({ type: "divider" });
        break;
      case "buttons":
        for (let i = 0; i < b.buttons.length; i += SLACK_LIMITS.actionsElements) {
          out.push({ type: "actions", elements: b.buttons.slice(i, i + SLACK_LIMITS.actionsElements).map(button) });
        }
        break;
      case "table":
        out.push(...tableSections(b.columns, b.rows));
        break;
    }
  }
  return out;
}

/**
 * A reply as one or more Slack messages of at most 50 blocks each. `maxMessages` caps how many (a response_url
 * takes five posts); what does not fit is summarised in a last context line.
 */
export function renderMessages(reply: Pick<Reply, "text" | "blocks">, maxMessages = 4): SlackMessage[] {
  const blocks = renderBlocks(reply.blocks);
  const pages: SlackBlock[][] = [];
  for (let i = 0; i < blocks.length; i += SLACK_LIMITS.messageBlocks) pages.push(blocks.slice(i, i + SLACK_LIMITS.messageBlocks));
  if (pages.length === 0) pages.push([]);
  if (pages.length > maxMessages) {
    const dropped = pages.slice(maxMessages).reduce((n, p) => n + p.length, 0);
    pages.length = maxMessages;
    const last = pages[maxMessages - 1]!;
    last.splice(SLACK_LIMITS.messageBlocks - 1, last.length, {
      type: "context",
      elements: [{ type: "mrkdwn", text: `… ${dropped + 1} more blocks not shown: narrow the request (e.g. a filter).` }],
    });
  }
  const fallback = truncate(reply.text, SLACK_LIMITS.fallbackText - 12);
  return pages.map((blocks, i) => ({ text: pages.length > 1 ? `${fallback} (${i + 1}/${pages.length})` : fallback, blocks }));
}

/** One message, for parents and thread replies: at most 50 blocks (the rest summarised). */
export function renderMessage(reply: Pick<Reply, "text" | "blocks">): SlackMessage {
  return renderMessages(reply, 1)[0]!;
}
