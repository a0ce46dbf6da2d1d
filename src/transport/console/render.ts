/**
 * Block Kit (as the Slack stand-in recorded it) → terminal lines: header, section text and fields (two per row, as
 * Slack lays them out), accessories, context, dividers, actions with buttons in their styles, modal inputs. Every
 * interactive element gets a number through `onChoice`, which the console turns into a real, signed click.
 */
import type { Json, JsonObject } from "../../devkit/slack/types.js";
import { isJsonObject } from "../../devkit/slack/types.js";
import { mrkdwnToTerminal, type MrkdwnOptions } from "./mrkdwn.js";
import { stripAnsi, type Style } from "./style.js";

export interface ButtonConfirm {
  title: string;
  text: string;
  confirm: string;
  deny: string;
}

/** An interactive element as the console offers it. */
export interface ChoiceSpec {
  label: string;
  actionId: string;
  blockId: string | undefined;
  value: string | undefined;
  style: "primary" | "danger" | undefined;
  confirm: ButtonConfirm | undefined;
  /** `button`, `static_select`, `overflow`, …: the console clicks buttons and picks one option of a select. */
  elementType: string;
  /** Options of a select or overflow menu (label, value). */
  options: Array<{ label: string; value: string }>;
}

export interface RenderContext extends MrkdwnOptions {
  /** Registers an interactive element and returns the number the user types to use it. */
  onChoice?: (choice: ChoiceSpec) => number;
}

function textOf(t: Json | undefined): { text: string; mrkdwn: boolean } {
  if (isJsonObject(t) && typeof t["text"] === "string") return { text: t["text"], mrkdwn: t["type"] === "mrkdwn" };
  if (typeof t === "string") return { text: t, mrkdwn: true };
  return { text: "", mrkdwn: false };
}

function renderText(t: Json | undefined, ctx: RenderContext): string[] {
  const { text, mrkdwn } = textOf(t);
  if (text === "") return [];
  return mrkdwn ? mrkdwnToTerminal(text, ctx) : text.split("\n");
}

function optionsOf(el: JsonObject): Array<{ label: string; value: string }> {
  const out: Array<{ label: string; value: string }> = [];
  const add = (list: Json | undefined) => {
    if (!Array.isArray(list)) return;
    for (const o of list) if (isJsonObject(o)) out.push({ label: textOf(o["text"]).text, value: typeof o["value"] === "string" ? o["value"] : "" });
  };
  add(el["options"]);
  if (Array.isArray(el["option_groups"])) for (const g of el["option_groups"]) if (isJsonObject(g)) add(g["options"]);
  return out;
}

function confirmOf(el: JsonObject): ButtonConfirm | undefined {
  const c = el["confirm"];
  if (!isJsonObject(c)) return undefined;
  return { title: textOf(c["title"]).text, text: textOf(c["text"]).text, confirm: textOf(c["confirm"]).text || "Confirm", deny: textOf(c["deny"]).text || "Cancel" };
}

/** An interactive element as `[n Label]`, painted in its style. */
function elementChip(el: JsonObject, blockId: string | undefined, ctx: RenderContext): string {
  const type = typeof el["type"] === "string" ? el["type"] : "button";
  const style = el["style"] === "primary" || el["style"] === "danger" ? el["style"] : undefined;
  const options = optionsOf(el);
  const label =
    type === "button"
      ? textOf(el["text"]).text
      : type === "overflow"
        ? "⋯"
        : `${textOf(el["placeholder"]).text || "choose"} ▾`;
  const n = ctx.onChoice?.({
    label,
    actionId: typeof el["action_id"] === "string" ? el["action_id"] : "",
    blockId,
    value: typeof el["value"] === "string" ? el["value"] : undefined,
    style,
    confirm: confirmOf(el),
    elementType: type,
    options,
  });
  const chip = `[${n !== undefined ? `${n} ` : ""}${label}]`;
  const painted = style === "primary" ? ctx.style.primary(chip) : style === "danger" ? ctx.style.danger(chip) : ctx.style.bold(chip);
  const optionText = type !== "button" && options.length > 0 ? ctx.style.dim(` (${options.map((o) => o.label).join(" | ")})`) : "";
  return painted + optionText;
}

function columns(cells: string[][], ctx: RenderContext): string[] {
  const width = 38;
  const out: string[] = [];
  for (let i = 0; i < cells.length; i += 2) {
    const left = cells[i] ?? [];
    const right = cells[i + 1] ?? [];
    const rows = Math.max(left.length, right.length);
    // A wide left cell would push its neighbour off the row: show the pair one under the other instead.
    if (left.some((l) => stripAnsi(l).length >= width - 1)) {
      out.push(...left, ...right);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      const l = left[r] ?? "";
      const pad = Math.max(1, width - stripAnsi(l).length);
      out.push(right[r] !== undefined ? `${l}${" ".repeat(pad)}${right[r]}` : l);
    }
  }
  void ctx;
  return out;
}

function inputLines(block: JsonObject, ctx: RenderContext): string[] {
  const el = isJsonObject(block["element"]) ? block["element"] : {};
  const type = typeof el["type"] === "string" ? el["type"] : "plain_text_input";
  const label = textOf(block["label"]).text;
  const optional = block["optional"] === true ? ctx.style.dim(" (optional)") : "";
  const lines = [`${ctx.style.bold(label)}${optional} ${ctx.style.dim(`‹${type}›`)}`];
  const options = optionsOf(el);
  if (options.length) lines.push(`  ${ctx.style.dim(options.map((o) => o.label).join(" | "))}`);
  const hint = textOf(block["hint"]).text;
  if (hint) lines.push(`  ${ctx.style.dim(hint)}`);
  return lines;
}

/** Blocks → lines. Without blocks, the message's fallback text (mrkdwn) is shown. */
export function renderBlockKit(blocks: readonly JsonObject[] | undefined, fallback: string, ctx: RenderContext): string[] {
  if (!blocks || blocks.length === 0) return mrkdwnToTerminal(fallback, ctx);
  const out: string[] = [];
  for (const block of blocks) {
    const blockId = typeof block["block_id"] === "string" ? block["block_id"] : undefined;
    switch (block["type"]) {
      case "header":
        out.push(ctx.style.header(textOf(block["text"]).text));
        break;
      case "section": {
        const text = renderText(block["text"], ctx);
        const accessory = isJsonObject(block["accessory"]) && block["accessory"]["type"] !== "image" ? elementChip(block["accessory"], blockId, ctx) : undefined;
        if (accessory && text.length) text[text.length - 1] = `${text[text.length - 1]}  ${accessory}`;
        else if (accessory) text.push(accessory);
        out.push(...text);
        if (Array.isArray(block["fields"])) out.push(...columns(block["fields"].map((f) => renderText(f, ctx)), ctx));
        break;
      }
      case "context": {
        const parts: string[] = [];
        for (const el of Array.isArray(block["elements"]) ? block["elements"] : []) {
          if (!isJsonObject(el)) continue;
          if (el["type"] === "image") parts.push(`[${typeof el["alt_text"] === "string" ? el["alt_text"] : "image"}]`);
          else parts.push(renderText(el, ctx).join(" "));
        }
        out.push(ctx.style.dim(parts.join("  ")));
        break;
      }
      case "divider":
        out.push(ctx.style.dim("─".repeat(40)));
        break;
      case "actions": {
        const chips = (Array.isArray(block["elements"]) ? block["elements"] : []).filter(isJsonObject).map((el) => elementChip(el, blockId, ctx));
        out.push(chips.join(" "));
        break;
      }
      case "input":
        out.push(...inputLines(block, ctx));
        break;
      case "image":
        out.push(ctx.style.dim(`[image: ${typeof block["alt_text"] === "string" ? block["alt_text"] : ""}]`));
        break;
      default: {
        // rich_text and anything newer: show the fallback text once rather than nothing.
        const t = renderText(block["text"], ctx);
        out.push(...(t.length ? t : [ctx.style.dim(`[${String(block["type"])} block]`)]));
      }
    }
  }
  return out;
}
