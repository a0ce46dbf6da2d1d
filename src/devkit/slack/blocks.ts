/**
 * Block Kit validation as Slack applies it to chat.postMessage / chat.update / chat.postEphemeral / response_url
 * (`invalid_blocks`) and to views.open / views.update / views.publish (`invalid_arguments`).
 *
 * Each problem carries a JSON pointer, like Slack's own messages:
 *   {"ok":false,"error":"invalid_blocks",
 *    "errors":["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"],
 *    "response_metadata":{"messages":["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]}}
 *
 * Limits (Block Kit reference, docs.slack.dev/reference/block-kit): 50 blocks per message, 100 per modal or home
 * tab; section text 3000 and at most 10 fields of 2000 each; header text 150; button text 75, value 2000, url 3000;
 * action_id and block_id 255; at most 25 elements in an actions block, 10 in a context block; modal title, submit
 * and close 24; private_metadata 3000; callback_id 255. Only the block and element types listed here are known;
 * anything else is rejected as `unsupported type`, which is what Slack answers for a type it does not know.
 */
import { isJsonObject, type JsonObject } from "./types.js";

export interface BlockProblem {
  message: string;
  /** JSON pointer into the request, e.g. `/blocks/3/text/text` or `/view/title/text`. */
  pointer: string;
}

export function formatProblem(p: BlockProblem): string {
  return `${p.message} [json-pointer:${p.pointer}]`;
}

export const BLOCK_LIMITS = {
  messageBlocks: 50,
  surfaceBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  contextElements: 10,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
  inputLabel: 2000,
  placeholder: 150,
  options: 100,
  optionText: 75,
  optionValue: 150,
  altText: 2000,
  messageText: 40_000,
} as const;

type Surface = "message" | "modal" | "home";

class Collector {
  readonly problems: BlockProblem[] = [];
  add(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }
}

function maxLength(c: Collector, value: unknown, limit: number, pointer: string): void {
  if (typeof value === "string" && value.length > limit) c.add(pointer, `must be less than ${limit + 1} characters`);
}

function optionalString(c: Collector, obj: JsonObject, key: string, limit: number, pointer: string): void {
  const value = obj[key];
  if (value === undefined) return;
  if (typeof value !== "string") c.add(`${pointer}/${key}`, "must be a string");
  else maxLength(c, value, limit, `${pointer}/${key}`);
}

/** A composition text object; `plainOnly` for fields Slack types as plain_text (header, button, title …). */
function textObject(
  c: Collector,
  value: unknown,
  pointer: string,
  opts: { limit: number; plainOnly?: boolean; required?: boolean },
): void {
  if (value === undefined) {
    if (opts.required !== false) c.add(pointer, "must provide an object");
    return;
  }
  if (!isJsonObject(value)) {
    c.add(pointer, "must provide an object");
    return;
  }
  const type = value["type"];
  if (opts.plainOnly ? type !== "plain_text" : type !== "plain_text" && type !== "mrkdwn") {
    c.add(`${pointer}/type`, "must be a valid enum value");
  }
  const text = value["text"];
  if (typeof text !== "string") {
    c.add(`${pointer}/text`, "must provide a string");
    return;
  }
  if (text.length === 0) c.add(`${pointer}/text`, "must be more than 0 characters");
  maxLength(c, text, opts.limit, `${pointer}/text`);
}

function actionId(c: Collector, el: JsonObject, pointer: string): void {
  optionalString(c, el, "action_id", BLOCK_LIMITS.actionId, pointer);
}

function optionList(c: Collector, value: unknown, pointer: string): void {
  if (!Array.isArray(value)) {
    c.add(pointer, "must provide an array");
    return;
  }
  if (value.length > BLOCK_LIMITS.options) c.add(pointer, `no more than ${BLOCK_LIMITS.options} items allowed`);
  value.forEach((option, i) => {
    const p = `${pointer}/${i}`;
    if (!isJsonObject(option)) return c.add(p, "must provide an object");
    textObject(c, option["text"], `${p}/text`, { limit: BLOCK_LIMITS.optionText });
    if (typeof option["value"] !== "string") c.add(`${p}/value`, "must provide a string");
    else maxLength(c, option["value"], BLOCK_LIMITS.optionValue, `${p}/value`);
  });
}

const INPUT_ELEMENTS = new Set([
  "plain_text_input",
  "number_input",
  "email_text_input",
  "url_text_input",
  "static_select",
  "multi_static_select",
  "external_select",
  "users_select",
  "multi_users_select",
  "conversations_select",
  "multi_conversations_select",
  "channels_select",
  "multi_channels_select",
  "checkboxes",
  "radio_buttons",
  "datepicker",
  "timepicker",
  "datetimepicker",
]);
const INTERACTIVE_ELEMENTS = new Set([...INPUT_ELEMENTS, "button", "overflow"]);

function element(c: Collector, value: unknown, pointer: string, allowed: ReadonlySet<string>): void {
  if (!isJsonObject(value)) return c.add(pointer, "must provide an object");
  const type = value["type"];
  if (typeof type !== "string") return c.add(`${pointer}/type`, "must provide a string");
  if (!allowed.has(type)) return c.add(`${pointer}/type`, `unsupported type: ${type}`);
  switch (type) {
    case "button":
      textObject(c, value["text"], `${pointer}/text`, { limit: BLOCK_LIMITS.buttonText, plainOnly: true });
      actionId(c, value, pointer);
      optionalString(c, value, "value", BLOCK_LIMITS.buttonValue, pointer);
      optionalString(c, value, "url", BLOCK_LIMITS.url, pointer);
      if (value["style"] !== undefined && value["style"] !== "primary" && value["style"] !== "danger") {
        c.add(`${pointer}/style`, "must be a valid enum value");
      }
      return;
    case "image":
      if (typeof value["image_url"] !== "string" && !isJsonObject(value["slack_file"])) {
        c.add(pointer, "must provide either image_url or slack_file");
      }
      if (typeof value["alt_text"] !== "string") c.add(`${pointer}/alt_text`, "must provide a string");
      return;
    case "static_select":
    case "multi_static_select":
      actionId(c, value, pointer);
      if (value["options"] === undefined && value["option_groups"] === undefined) {
        c.add(pointer, "must provide either options or option_groups");
      }
      if (value["options"] !== undefined) optionList(c, value["options"], `${pointer}/options`);
      if (value["placeholder"] !== undefined) {
        textObject(c, value["placeholder"], `${pointer}/placeholder`, {
          limit: BLOCK_LIMITS.placeholder,
          plainOnly: true,
        });
      }
      return;
    case "overflow":
    case "checkboxes":
    case "radio_buttons":
      actionId(c, value, pointer);
      optionList(c, value["options"], `${pointer}/options`);
      return;
    case "plain_text_input": {
      actionId(c, value, pointer);
      const max = value["max_length"];
      if (max !== undefined && (typeof max !== "number" || max < 1 || max > 3000)) {
        c.add(`${pointer}/max_length`, "must be between 1 and 3000");
      }
      if (value["placeholder"] !== undefined) {
        textObject(c, value["placeholder"], `${pointer}/placeholder`, {
          limit: BLOCK_LIMITS.placeholder,
          plainOnly: true,
        });
      }
      return;
    }
    default:
      actionId(c, value, pointer);
  }
}

function block(c: Collector, value: unknown, pointer: string): void {
  if (!isJsonObject(value)) return c.add(pointer, "must provide an object");
  const type = value["type"];
  if (typeof type !== "string") return c.add(`${pointer}/type`, "must provide a string");
  optionalString(c, value, "block_id", BLOCK_LIMITS.blockId, pointer);
  switch (type) {
    case "section": {
      const text = value["text"];
      const fields = value["fields"];
      if (text === undefined && fields === undefined) {
        c.add(`${pointer}/type`, "must define either `text` or `fields`");
      }
      if (text !== undefined) textObject(c, text, `${pointer}/text`, { limit: BLOCK_LIMITS.sectionText });
      if (fields !== undefined) {
        if (!Array.isArray(fields)) c.add(`${pointer}/fields`, "must provide an array");
        else {
          if (fields.length > BLOCK_LIMITS.sectionFields) {
            c.add(`${pointer}/fields`, `no more than ${BLOCK_LIMITS.sectionFields} items allowed`);
          }
          fields.forEach((f, i) =>
            textObject(c, f, `${pointer}/fields/${i}`, { limit: BLOCK_LIMITS.sectionFieldText }),
          );
        }
      }
      if (value["accessory"] !== undefined) {
        element(c, value["accessory"], `${pointer}/accessory`, new Set([...INTERACTIVE_ELEMENTS, "image"]));
      }
      return;
    }
    case "header":
      textObject(c, value["text"], `${pointer}/text`, { limit: BLOCK_LIMITS.headerText, plainOnly: true });
      return;
    case "divider":
      return;
    case "context": {
      const elements = value["elements"];
      if (!Array.isArray(elements) || elements.length === 0) {
        c.add(`${pointer}/elements`, "must provide a non-empty array");
        return;
      }
      if (elements.length > BLOCK_LIMITS.contextElements) {
        c.add(`${pointer}/elements`, `no more than ${BLOCK_LIMITS.contextElements} items allowed`);
      }
      elements.forEach((el, i) => {
        const p = `${pointer}/elements/${i}`;
        if (isJsonObject(el) && el["type"] === "image") element(c, el, p, new Set(["image"]));
        else textObject(c, el, p, { limit: BLOCK_LIMITS.sectionText });
      });
      return;
    }
    case "actions": {
      const elements = value["elements"];
      if (!Array.isArray(elements) || elements.length === 0) {
        c.add(`${pointer}/elements`, "must provide a non-empty array");
        return;
      }
      if (elements.length > BLOCK_LIMITS.actionsElements) {
        c.add(`${pointer}/elements`, `no more than ${BLOCK_LIMITS.actionsElements} items allowed`);
      }
      elements.forEach((el, i) => element(c, el, `${pointer}/elements/${i}`, INTERACTIVE_ELEMENTS));
      return;
    }
    case "input":
      textObject(c, value["label"], `${pointer}/label`, { limit: BLOCK_LIMITS.inputLabel, plainOnly: true });
      if (value["hint"] !== undefined) {
        textObject(c, value["hint"], `${pointer}/hint`, { limit: BLOCK_LIMITS.inputLabel, plainOnly: true });
      }
      element(c, value["element"], `${pointer}/element`, INPUT_ELEMENTS);
      return;
    case "image":
      if (typeof value["image_url"] !== "string" && !isJsonObject(value["slack_file"])) {
        c.add(pointer, "must provide either image_url or slack_file");
      }
      if (typeof value["alt_text"] !== "string") c.add(`${pointer}/alt_text`, "must provide a string");
      else maxLength(c, value["alt_text"], BLOCK_LIMITS.altText, `${pointer}/alt_text`);
      if (value["title"] !== undefined) {
        textObject(c, value["title"], `${pointer}/title`, { limit: BLOCK_LIMITS.altText, plainOnly: true });
      }
      return;
    case "rich_text":
      if (!Array.isArray(value["elements"])) c.add(`${pointer}/elements`, "must provide an array");
      return;
    default:
      c.add(`${pointer}/type`, `unsupported type: ${type}`);
  }
}

function blockList(c: Collector, blocks: unknown, pointer: string, surface: Surface): void {
  if (!Array.isArray(blocks)) {
    c.add(pointer, "must provide an array");
    return;
  }
  const limit = surface === "message" ? BLOCK_LIMITS.messageBlocks : BLOCK_LIMITS.surfaceBlocks;
  if (blocks.length > limit) c.add(pointer, `no more than ${limit} items allowed`);
  const seenBlockIds = new Set<string>();
  blocks.forEach((b, i) => {
    block(c, b, `${pointer}/${i}`);
    const id = isJsonObject(b) ? b["block_id"] : undefined;
    if (typeof id === "string") {
      if (seenBlockIds.has(id)) c.add(`${pointer}/${i}/block_id`, `duplicate block_id: ${id}`);
      seenBlockIds.add(id);
    }
  });
}

/** Problems with a message's `blocks` (chat.postMessage, chat.update, chat.postEphemeral, response_url). */
export function validateMessageBlocks(blocks: unknown): BlockProblem[] {
  const c = new Collector();
  blockList(c, blocks, "/blocks", "message");
  return c.problems;
}

/** Problems with a `view` (views.open/update take `modal`, views.publish takes `home`). */
export function validateView(view: unknown, expected: "modal" | "home"): BlockProblem[] {
  const c = new Collector();
  if (!isJsonObject(view)) {
    c.add("/view", "must provide an object");
    return c.problems;
  }
  if (view["type"] !== expected) {
    c.add("/view/type", expected === "home" ? "must be home" : "must be a valid enum value");
    return c.problems;
  }
  blockList(c, view["blocks"], "/view/blocks", expected);
  optionalString(c, view, "private_metadata", BLOCK_LIMITS.privateMetadata, "/view");
  optionalString(c, view, "callback_id", BLOCK_LIMITS.callbackId, "/view");
  optionalString(c, view, "external_id", BLOCK_LIMITS.externalId, "/view");
  if (expected === "modal") {
    textObject(c, view["title"], "/view/title", { limit: BLOCK_LIMITS.modalTitle, plainOnly: true });
    for (const key of ["submit", "close"] as const) {
      if (view[key] !== undefined) {
        textObject(c, view[key], `/view/${key}`, { limit: BLOCK_LIMITS.modalButton, plainOnly: true });
      }
    }
    const blocks = view["blocks"];
    const hasInput = Array.isArray(blocks) && blocks.some((b) => isJsonObject(b) && b["type"] === "input");
    if (hasInput && view["submit"] === undefined) {
      c.add("/view/submit", "must provide submit when the view has input blocks");
    }
  }
  return c.problems;
}
