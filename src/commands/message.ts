/**
 * The neutral message model: what commands and the progress reporter return, before any platform sees it.
 * One renderer per surface turns it into output — src/transport/slack/blocks.ts into Block Kit (enforcing Slack's
 * limits in one place), the terminal console into text. Texts use Slack's mrkdwn subset (`*bold*`, `_italic_`,
 * `` `code` ``, `<url|label>`), which a console can show as is or strip.
 */

/** A button. `actionId` routes the click; `value` travels with it (Slack: at most 2000 characters). */
export interface ButtonSpec {
  actionId: string;
  text: string;
  value?: string;
  style?: "primary" | "danger";
  /** A confirm dialog shown before the click counts. */
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export type MessageBlock =
  /** A title line (plain text). */
  | { type: "header"; text: string }
  /** A paragraph of mrkdwn; long texts are split at line boundaries by the renderer. */
  | { type: "text"; text: string }
  /** Label/value pairs shown two per row; more than a surface allows are split over several blocks. */
  | { type: "fields"; fields: Array<{ label: string; value: string }> }
  /** Small grey print under a message: who, when, hints. */
  | { type: "context"; text: string }
  | { type: "divider" }
  | { type: "buttons"; buttons: ButtonSpec[] }
  /** A compact table in monospace; paginated by the renderer when it is longer than a block may be. */
  | { type: "table"; columns: string[]; rows: string[][] };

export interface Reply {
  /** Who sees it: only the person who asked (ephemeral) or the whole channel. */
  visibility: "ephemeral" | "in_channel";
  /** Plain fallback text: notifications, screen readers, and surfaces without blocks. */
  text: string;
  blocks: MessageBlock[];
}

export function ephemeral(text: string, blocks?: MessageBlock[]): Reply {
  return { visibility: "ephemeral", text, blocks: blocks ?? [{ type: "text", text }] };
}

export function inChannel(text: string, blocks?: MessageBlock[]): Reply {
  return { visibility: "in_channel", text, blocks: blocks ?? [{ type: "text", text }] };
}

/** Escapes the three characters Slack's mrkdwn treats as control characters (docs: "Escaping text"). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<@U123>`: a user mention. */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : escapeMrkdwn(user);
}

/** `<!subteam^S123>`: a user-group mention (rendered by Slack as @group-handle). */
export function principalText(principal: string): string {
  if (principal === "*") return "everyone in this channel";
  if (/^S[A-Z0-9]+$/.test(principal)) return `<!subteam^${principal}>`;
  return mention(principal);
}

/** Plain text of a mrkdwn string (for fallbacks and consoles): mentions and links become readable text. */
export function mrkdwnToPlain(text: string): string {
  return text
    .replace(/<!subteam\^([A-Z0-9]+)(\|[^>]*)?>/g, (_m, id: string, label?: string) => (label ? `@${label.slice(1)}` : `@${id}`))
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, (_m, id: string, label?: string) => (label ? `@${label.slice(1)}` : `@${id}`))
    .replace(/<([^|>]+)\|([^>]+)>/g, "$2")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
