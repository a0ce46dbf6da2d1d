/**
 * Slack mrkdwn → terminal text (docs.slack.dev "Formatting text for app surfaces"): `*bold*`, `_italic_`,
 * `~strike~`, `` `code` ``, ```` ```preformatted``` ````, `<url|label>`, `<@U…>`, `<#C…|name>`, `<!subteam^S…>`,
 * `<!here>`, the three escaped entities and the emoji short codes our messages use. Styling comes from `Style`,
 * so with colours off the result is readable plain text.
 */
import type { Style } from "./style.js";

/** Short codes the bot's messages use (src/transport, src/commands), as the glyphs Slack shows. */
const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: "✅",
  x: "❌",
  no_entry_sign: "🚫",
  no_entry: "⛔",
  clipboard: "📋",
  lock: "🔒",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  white_circle: "⚪",
  warning: "⚠️",
  rocket: "🚀",
  repeat: "🔁",
  red_circle: "🔴",
  large_green_circle: "🟢",
  octagonal_sign: "🛑",
  leftwards_arrow_with_hook: "↩️",
  information_source: "ℹ️",
  grey_question: "❔",
  arrows_counterclockwise: "🔄",
  heavy_check_mark: "✔️",
  bell: "🔔",
  wastebasket: "🗑️",
  camera: "📷",
  thumbsup: "👍",
  "+1": "👍",
  thumbsdown: "👎",
  "-1": "👎",
  computer: "💻",
  gear: "⚙️",
};

export interface MrkdwnOptions {
  style: Style;
  /** Display names for user ids (`<@U0ALICE>` → `@alice`). */
  userName?: (id: string) => string | undefined;
  /** Emoji as glyphs (terminal) or kept as `:short_code:` (plain output keeps ASCII). Default: glyphs with colour. */
  emoji?: boolean;
}

function unescapeEntities(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const PLACEHOLDER = /\u0000(\d+)\u0000/g;

/** Inline mrkdwn (no fences) → styled text. */
function renderInline(text: string, opts: MrkdwnOptions): string {
  const { style } = opts;
  const kept: string[] = [];
  const keep = (s: string) => `\u0000${kept.push(s) - 1}\u0000`;
  let s = text;
  // Inline code first: nothing inside it is formatting.
  s = s.replace(/`([^`\n]+)`/g, (_m, code: string) => keep(style.code(unescapeEntities(code))));
  // Angle-bracket entities: mentions, channels, groups, special mentions, links.
  s = s.replace(/<([^<>\n]+)>/g, (_m, inner: string) => {
    const [target = "", label] = inner.split("|", 2);
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return keep(style.accent(`@${label ?? opts.userName?.(id) ?? id}`));
    }
    if (target.startsWith("#")) return keep(style.accent(`#${label ?? target.slice(1)}`));
    // <!date^1700000000^{date_short}|fallback>: Slack formats the time in the reader's zone; show the fallback.
    if (target.startsWith("!date^")) return keep(unescapeEntities(label ?? target.split("^")[1] ?? ""));
    if (target.startsWith("!subteam^")) return keep(style.accent(`@${label?.replace(/^@/, "") ?? target.slice("!subteam^".length)}`));
    if (target.startsWith("!")) return keep(style.accent(`@${label ?? target.slice(1)}`));
    const url = unescapeEntities(target);
    return keep(label !== undefined ? `${style.link(unescapeEntities(label))} (${url})` : style.link(url));
  });
  if (opts.emoji ?? style.color) {
    s = s.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);
  }
  // Bold, italic, strike: Slack wants the markers at word boundaries.
  const wrap = (marker: string, fn: (x: string) => string) => {
    const m = marker === "*" ? "\\*" : marker;
    const re = new RegExp(`(^|[\\s(\\[>*_~"'\\u0000])${m}([^${m}\\n]*?[^\\s${m}])${m}(?=$|[\\s).,!?:;\\]*_~"'\\u0000])`, "g");
    s = s.replace(re, (_all, before: string, inner: string) => `${before}${fn(inner)}`);
  };
  wrap("*", style.bold);
  wrap("_", style.italic);
  wrap("~", style.strike);
  s = unescapeEntities(s);
  // Placeholders may nest (a kept link inside bold): restore until none remain.
  while (PLACEHOLDER.test(s)) s = s.replace(PLACEHOLDER, (_m, i: string) => kept[Number(i)] ?? "");
  return s;
}

/** mrkdwn text → terminal lines. Preformatted blocks keep their spacing, shown with a left rule. */
export function mrkdwnToTerminal(text: string, opts: MrkdwnOptions): string[] {
  const out: string[] = [];
  const parts = text.split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      const body = part.replace(/^\n/, "").replace(/\n$/, "");
      for (const line of body.split("\n")) out.push(`${opts.style.dim("│")} ${opts.style.code(unescapeEntities(line))}`);
      return;
    }
    if (part === "" && i > 0) return;
    const trimmed = i > 0 ? part.replace(/^\n/, "") : part;
    const lines = (i < parts.length - 1 ? trimmed.replace(/\n$/, "") : trimmed).split("\n");
    if (lines.length === 1 && lines[0] === "" && parts.length > 1) return;
    for (const line of lines) out.push(renderInline(line, opts));
  });
  return out;
}
