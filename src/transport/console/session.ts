/**
 * The chat console: a terminal conversation with the real Slack app through the Slack stand-in. Input lines are
 * what a user would do in Slack — `/pve …` becomes a signed slash command, a number or `/click <n|label>` a signed
 * block_actions click, a modal is filled field by field and submitted as a view_submission — and output is what
 * Slack would show: channel messages, in-place updates, thread replies, ephemerals and modals, read back from
 * the stand-in's recorded state and rendered from their Block Kit.
 *
 * Console commands: /help /user <id> /users /click <n|label> [yes] /wait /home /cancel /quit; `# comment` lines.
 */
import type { Store } from "../../adapters/store/types.js";
import type { SlackDriver, SlackStandIn, StoredEphemeral, StoredMessage, StoredView } from "../../devkit/slack/index.js";
import type { JsonObject, SubmittedValues } from "../../devkit/slack/index.js";
import { isJsonObject } from "../../devkit/slack/types.js";
import { renderBlockKit, type ChoiceSpec, type RenderContext } from "./render.js";
import { stripAnsi, type Style } from "./style.js";

/** First texts of the error replies src/transport/render-error.ts builds: a script that sees one fails. */
const ERROR_ICONS = [":warning:", ":no_entry:", ":grey_question:", ":lock:", ":x:"];

export interface ConsoleSessionOptions {
  standIn: SlackStandIn;
  driver: SlackDriver;
  store: Store;
  /** Resolves when the app has shown every job event (ProgressReporter.idle). */
  reporterIdle: () => Promise<void>;
  channel: string;
  user: string;
  style: Style;
  /** Writes finished lines (the caller adds newlines, prompts, colours). */
  write: (lines: string[]) => void;
  /** Interactive terminal: updates are redrawn in place when they are the last thing shown. */
  redrawInPlace?: boolean;
  /** Replaces the block written last (only with redrawInPlace). */
  rewrite?: (lines: string[]) => void;
  /** No change for this long counts as quiet (scripts wait for quiet after each command). Default 400 ms. */
  quietMs?: number;
  /** Longest wait for jobs in `/wait` and after a scripted command. Default 10 minutes. */
  settleTimeoutMs?: number;
  /** Users `/user` may switch to (listed by `/users`). */
  knownUsers?: KnownUser[];
}

interface Choice extends ChoiceSpec {
  n: number;
  where: { channel: string; ts: string } | { viewId: string };
}

interface Shown {
  version: number;
  lines: string[];
}

interface FormState {
  viewId: string;
  hash: string;
  /** Input blocks still to ask, in order. */
  queue: JsonObject[];
  values: SubmittedValues;
  /** Block ids answered or skipped (a view update re-asks only new fields). */
  asked: Set<string>;
  current: JsonObject | undefined;
}

export interface LineResult {
  /** The line asked to end the session (/quit). */
  quit: boolean;
  /** Something the line did failed (an error reply, a refused click, a bad console command). */
  failed: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ConsoleSession {
  user: string;
  readonly channel: string;
  readonly #o: ConsoleSessionOptions;
  readonly #style: Style;
  readonly #shown = new Map<string, Shown>();
  readonly #choices: Choice[] = [];
  readonly #choiceKeys = new Map<string, number>();
  #lastKey: string | undefined;
  #form: FormState | undefined;
  #pendingConfirm: Choice | undefined;
  #lastChangeAt = Date.now();
  #changeCount = 0;
  #renderScheduled = false;
  #watching = false;
  readonly #startedAt = new Date();
  /** Error replies seen for the acting user since the last check. */
  #errorsSeen = 0;

  constructor(opts: ConsoleSessionOptions) {
    this.#o = opts;
    this.#style = opts.style;
    this.user = opts.user;
    this.channel = opts.standIn.channel(opts.channel)?.id ?? opts.channel;
  }

  /** Starts following the stand-in: everything already there is shown once, then every change. */
  start(): void {
    if (this.#watching) return;
    this.#watching = true;
    this.#renderPass();
    void this.#watch();
  }

  stop(): void {
    this.#watching = false;
    this.#renderPass();
  }

  /** The prompt for the next line: who acts, or which field of a modal is asked. */
  prompt(): string {
    if (this.#pendingConfirm) return `${this.#pendingConfirm.confirm?.confirm ?? "Confirm"}? [y/N] `;
    if (this.#form?.current) return `${fieldLabel(this.#form.current)}: `;
    const name = this.#o.standIn.user(this.user)?.name ?? this.user;
    const channel = this.#o.standIn.channel(this.channel)?.name ?? this.channel;
    return `${name}@#${channel}> `;
  }

  get inForm(): boolean {
    return this.#form !== undefined || this.#pendingConfirm !== undefined;
  }

  // ------------------------------------------------------------------------------------------------- input

  /** Handles one input line. Scripted callers then `settle()`; interactive ones just read the next line. */
  async handleLine(raw: string): Promise<LineResult> {
    const line = raw.trim();
    const ok: LineResult = { quit: false, failed: false };
    // The typed line now sits below the last output: never redraw above it.
    this.#lastKey = undefined;
    if (this.#pendingConfirm) return this.#answerConfirm(line);
    if (this.#form) return this.#answerField(line);
    if (line === "" || line.startsWith("#")) return ok;
    if (/^\d+$/.test(line)) return this.#click(line, false);
    const [head = "", ...rest] = line.split(/\s+/);
    const arg = rest.join(" ");
    switch (head.toLowerCase()) {
      case "/pve":
        return this.#command(arg);
      case "/click": {
        const yes = /\s(y|yes|-y|--yes)$/i.test(arg);
        return this.#click(yes ? arg.replace(/\s+(y|yes|-y|--yes)$/i, "") : arg, yes);
      }
      case "/user":
        return this.#switchUser(arg);
      case "/users":
        this.#info(this.#usersText());
        return ok;
      case "/wait":
        await this.settle();
        return ok;
      case "/home":
        return this.#home();
      case "/help":
      case "/?":
        this.#o.write(HELP.split("\n"));
        return ok;
      case "/quit":
      case "/exit":
        return { quit: true, failed: false };
      default:
        this.#problem(`Not a command: "${line}". Type /pve help for the bot's commands, /help for the console's.`);
        return { quit: false, failed: true };
    }
  }

  async #command(text: string): Promise<LineResult> {
    const before = this.#changeCount;
    const errorsBefore = this.#errorsSeen;
    const res = await this.#o.driver.postCommand({ user: this.user, channel: this.channel, text });
    if (res.status !== 200) {
      this.#problem(res.timedOut ? "The app did not acknowledge within 3 seconds (Slack would show “operation_timeout”)." : `The app answered HTTP ${res.status}.`);
      return { quit: false, failed: true };
    }
    // The reply comes after the ack (through the response_url), so wait for the first thing to appear.
    await this.#waitForChange(before, 30_000);
    await this.#quiet();
    return { quit: false, failed: this.#errorsSeen > errorsBefore };
  }

  #findChoice(ref: string): Choice | undefined {
    if (/^\d+$/.test(ref)) return this.#choices.find((c) => c.n === Number(ref));
    const want = ref.toLowerCase();
    // The newest element with this label (e.g. the Approve button of the latest card).
    for (let i = this.#choices.length - 1; i >= 0; i--) {
      const c = this.#choices[i]!;
      if (c.label.toLowerCase() === want || c.actionId.toLowerCase() === want) return c;
    }
    for (let i = this.#choices.length - 1; i >= 0; i--) if (this.#choices[i]!.label.toLowerCase().startsWith(want)) return this.#choices[i];
    return undefined;
  }

  async #click(ref: string, confirmed: boolean): Promise<LineResult> {
    const choice = ref.trim() === "" ? undefined : this.#findChoice(ref.trim());
    if (!choice) {
      this.#problem(`No button "${ref}". Buttons show as [n Label]; type the number or /click <label>.`);
      return { quit: false, failed: true };
    }
    if (choice.confirm && !confirmed) {
      this.#pendingConfirm = choice;
      const c = choice.confirm;
      this.#o.write([this.#style.bold(c.title), ...stripMrkdwnLines(c.text, this.#style), this.#style.dim(`(y = ${c.confirm}, anything else = ${c.deny})`)]);
      return { quit: false, failed: false };
    }
    return this.#deliverClick(choice);
  }

  async #answerConfirm(line: string): Promise<LineResult> {
    const choice = this.#pendingConfirm!;
    this.#pendingConfirm = undefined;
    if (!/^(y|yes)$/i.test(line)) {
      this.#info(`${choice.confirm?.deny ?? "Cancelled"}: nothing was clicked.`);
      return { quit: false, failed: false };
    }
    return this.#deliverClick(choice);
  }

  async #deliverClick(choice: Choice): Promise<LineResult> {
    const before = this.#changeCount;
    const errorsBefore = this.#errorsSeen;
    let value = choice.value;
    if (choice.elementType !== "button" && choice.options.length > 0 && value === undefined) value = choice.options[0]!.value;
    try {
      const res = await this.#o.driver.clickButton({
        user: this.user,
        ...("viewId" in choice.where ? { viewId: choice.where.viewId } : { channel: choice.where.channel, messageTs: choice.where.ts }),
        actionId: choice.actionId,
        ...(choice.blockId !== undefined ? { blockId: choice.blockId } : {}),
        ...(value !== undefined ? { value } : {}),
      });
      if (res.status !== 200) {
        this.#problem(res.timedOut ? "The app did not acknowledge the click within 3 seconds." : `The app answered the click with HTTP ${res.status}.`);
        return { quit: false, failed: true };
      }
    } catch (err) {
      // The driver throws when the button is gone (the message was updated since it was shown).
      this.#problem(`That button is not there any more (${(err as Error).message.replace(/^driver: /, "")}).`);
      return { quit: false, failed: true };
    }
    this.#info(`${this.#nameOf(this.user)} clicked “${choice.label}”.`);
    await this.#waitForChange(before, 5_000);
    await this.#quiet();
    return { quit: false, failed: this.#errorsSeen > errorsBefore };
  }

  #switchUser(id: string): LineResult {
    const wanted = id.trim().replace(/^@/, "");
    const found = this.#o.standIn.user(wanted) ?? this.#o.standIn.user(wanted.toUpperCase()) ?? this.#knownUsers().find((u) => u.name === wanted);
    if (!found) {
      this.#problem(`No user "${id}". ${this.#usersText()}`);
      return { quit: false, failed: true };
    }
    this.user = found.id;
    this.#info(`You are now ${found.realName ?? found.name} (${found.id}).`);
    return { quit: false, failed: false };
  }

  #knownUsers() {
    return this.#o.knownUsers ?? [];
  }

  #usersText(): string {
    const users = this.#knownUsers();
    return users.length ? `Users: ${users.map((u) => `${u.id} (${u.name}${u.note ? `, ${u.note}` : ""})`).join(", ")}.` : "";
  }

  async #home(): Promise<LineResult> {
    const before = this.#changeCount;
    const res = await this.#o.driver.openHome(this.user);
    if (res.status !== 200) {
      this.#problem(`The app answered app_home_opened with HTTP ${res.status}.`);
      return { quit: false, failed: true };
    }
    await this.#waitForChange(before, 3_000).catch(() => undefined);
    await this.#quiet();
    const home = this.#o.standIn.homeView(this.user);
    if (!home) this.#info("The app has no App Home for you (it published nothing).");
    return { quit: false, failed: false };
  }

  // -------------------------------------------------------------------------------------------------- modals

  #startForm(view: StoredView): void {
    const inputs = blocksOf(view.view).filter((b) => b["type"] === "input");
    this.#form = { viewId: view.id, hash: view.hash, queue: inputs, values: {}, asked: new Set(), current: undefined };
    this.#nextField();
  }

  #nextField(): void {
    const form = this.#form;
    if (!form) return;
    form.current = form.queue.shift();
    if (!form.current) return;
    const el = elementOf(form.current);
    const options = optionsOf(el);
    const lines = [`${this.#style.bold(fieldLabel(form.current))}${form.current["optional"] === true ? this.#style.dim(" (optional, empty to skip)") : ""}`];
    if (options.length) lines.push(...options.map((o, i) => `  ${i + 1}) ${o.label}`));
    const multi = isMulti(el);
    if (options.length) lines.push(this.#style.dim(multi ? "  numbers or labels, comma-separated" : "  a number or a label"));
    this.#o.write(lines);
  }

  async #answerField(line: string): Promise<LineResult> {
    const form = this.#form!;
    if (line === "/cancel") {
      this.#form = undefined;
      this.#info("Modal closed without submitting.");
      return { quit: false, failed: false };
    }
    const block = form.current;
    if (!block) return { quit: false, failed: false };
    const el = elementOf(block);
    const blockId = typeof block["block_id"] === "string" ? block["block_id"] : "";
    const actionId = typeof el["action_id"] === "string" ? el["action_id"] : "";
    const optional = block["optional"] === true;
    const options = optionsOf(el);
    if (line === "") {
      if (!optional) {
        this.#problem("This field is required.");
        this.#nextFieldAgain(block);
        return { quit: false, failed: false };
      }
    } else if (options.length) {
      const picks = (isMulti(el) ? line.split(",") : [line]).map((p) => pickOption(options, p.trim()));
      if (picks.some((p) => p === undefined)) {
        this.#problem(`Pick one of: ${options.map((o, i) => `${i + 1}) ${o.label}`).join(", ")}.`);
        this.#nextFieldAgain(block);
        return { quit: false, failed: false };
      }
      const values = picks.map((p) => p!.value);
      form.values[blockId] = { [actionId]: isMulti(el) ? values : values[0]! };
    } else {
      form.values[blockId] = { [actionId]: line };
    }
    form.asked.add(blockId);
    const chosen = form.values[blockId]?.[actionId];
    if (block["dispatch_action"] === true && typeof chosen === "string") {
      // Slack sends a block_actions for an input with dispatch_action when it changes (the app may update the
      // modal, e.g. show the static-network fields); the next render pass picks up the new fields.
      const before = this.#changeCount;
      await this.#o.driver.clickButton({ user: this.user, viewId: form.viewId, actionId, blockId, value: chosen }).catch(() => undefined);
      await this.#waitForChange(before, 3_000);
      await this.#quiet();
    }
    this.#nextField();
    if (form.current) return { quit: false, failed: false };
    return this.#submitForm();
  }

  #nextFieldAgain(block: JsonObject): void {
    this.#form!.queue.unshift(block);
    this.#nextField();
  }

  async #submitForm(): Promise<LineResult> {
    const form = this.#form!;
    const before = this.#changeCount;
    const res = await this.#o.driver.submitView({ user: this.user, viewId: form.viewId, values: form.values });
    if (res.status !== 200) {
      this.#form = undefined;
      this.#problem(res.timedOut ? "The app did not acknowledge the submission within 3 seconds." : `The app answered the submission with HTTP ${res.status}.`);
      return { quit: false, failed: true };
    }
    if (res.responseAction === "errors" && res.errors) {
      this.#problem("The form has errors:");
      this.#o.write(Object.entries(res.errors).map(([field, msg]) => `  • ${field}: ${msg}`));
      const view = this.#o.standIn.view(form.viewId);
      const blocks = blocksOf(view?.view ?? {}).filter((b) => b["type"] === "input" && typeof b["block_id"] === "string" && res.errors![b["block_id"]] !== undefined);
      form.queue = blocks;
      this.#nextField();
      return { quit: false, failed: false };
    }
    this.#form = undefined;
    if (res.responseAction === "update" || res.responseAction === "push") {
      // The next render pass sees the new view and starts its form.
      this.#shown.delete(`v:${form.viewId}`);
      this.#filledViews.delete(form.viewId);
    } else this.#info("Submitted.");
    await this.#waitForChange(before, 5_000).catch(() => undefined);
    await this.#quiet();
    return { quit: false, failed: false };
  }

  // ---------------------------------------------------------------------------------------------- waiting

  /** Waits until nothing changes for a moment, no job is queued or running, and every job event is shown. */
  async settle(timeoutMs = this.#o.settleTimeoutMs ?? 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.#quiet(deadline);
      const active = await this.#o.store.listJobs({ states: ["queued", "running"], limit: 1 });
      if (active.length === 0) {
        const before = this.#changeCount;
        await this.#o.reporterIdle();
        await this.#quiet(deadline);
        if (this.#changeCount === before) return;
      } else {
        await sleep(100);
      }
      if (Date.now() > deadline) {
        this.#problem(`Still busy after ${Math.round(timeoutMs / 1000)} s; going on.`);
        return;
      }
    }
  }

  async #quiet(deadline = Date.now() + 60_000): Promise<void> {
    const quietMs = this.#o.quietMs ?? 400;
    while (Date.now() - this.#lastChangeAt < quietMs && Date.now() < deadline) await sleep(Math.max(20, quietMs - (Date.now() - this.#lastChangeAt)));
    this.#renderPass();
  }

  async #waitForChange(before: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#changeCount === before && Date.now() < deadline) await sleep(20);
  }

  /** Jobs started during this session that failed (for a script's exit code). */
  async failedJobs(): Promise<string[]> {
    const jobs = await this.#o.store.listJobs({ states: ["failed"], limit: 500 });
    return jobs.filter((j) => j.createdAt >= this.#startedAt && j.channel === this.channel).map((j) => j.id);
  }

  // ------------------------------------------------------------------------------------------------ output

  async #watch(): Promise<void> {
    while (this.#watching) {
      // waitFor calls the probe once at once (not a change), then after every change of the stand-in's state.
      let initial = true;
      const waiting = this.#o.standIn
        .waitFor(
          () => {
            if (initial) return this.#watching ? undefined : true;
            this.#lastChangeAt = Date.now();
            this.#changeCount++;
            this.#scheduleRender();
            return this.#watching ? undefined : true;
          },
          1000,
          "console watch",
        )
        .catch(() => undefined);
      initial = false;
      await waiting;
    }
  }

  #scheduleRender(): void {
    if (this.#renderScheduled) return;
    this.#renderScheduled = true;
    setImmediate(() => {
      this.#renderScheduled = false;
      this.#renderPass();
    });
  }

  /** Shows what is new or changed in the channel since the last pass, oldest first. */
  #renderPass(): void {
    const s = this.#o.standIn;
    type Item = { at: number; key: string; version: number; show: () => void };
    const items: Item[] = [];
    const consider = (key: string, version: number, at: number, show: (prev: Shown | undefined) => string[]) => {
      const prev = this.#shown.get(key);
      if (prev && prev.version === version) return;
      items.push({ at, key, version, show: () => this.#emit(key, version, prev, show(prev)) });
    };
    for (const m of s.messages(this.channel)) {
      consider(`m:${m.ts}`, m.edits.length, editTime(m), (prev) => this.#messageLines(m, prev, undefined));
      for (const r of s.thread(this.channel, m.ts)) consider(`m:${r.ts}`, r.edits.length, editTime(r), (prev) => this.#messageLines(r, prev, m));
    }
    for (const e of s.ephemerals(this.channel)) consider(`e:${e.ts}`, e.edits.length, editTime(e), (prev) => this.#ephemeralLines(e, prev));
    for (const v of s.views()) {
      if (v.type !== "modal" || v.closed) continue;
      consider(`v:${v.id}`, v.history.length, v.openedAt, () => this.#viewLines(v));
    }
    items.sort((a, b) => a.at - b.at);
    for (const item of items) item.show();
    const hasInputs = (v: StoredView) => blocksOf(v.view).some((b) => b["type"] === "input");
    if (this.#form) {
      // The app changed the modal while it is being filled (views.update, e.g. static-network fields appearing):
      // ask the new fields too, keep the answers given.
      const form = this.#form;
      const view = s.view(form.viewId);
      if (view && view.hash !== form.hash) {
        form.hash = view.hash;
        const asked = new Set([...form.asked, String(form.current?.["block_id"] ?? "")]);
        form.queue = blocksOf(view.view).filter((b) => b["type"] === "input" && !asked.has(String(b["block_id"] ?? "")));
        if (!form.current) this.#nextField();
      }
    } else {
      // A modal for the acting user that is not being filled yet: ask its fields (once it has any; a
      // "loading" placeholder view gets its inputs with views.update).
      const open = s.views().find((v) => v.type === "modal" && !v.closed && v.user === this.user && this.#shown.has(`v:${v.id}`) && !this.#filledViews.has(v.id) && hasInputs(v));
      if (open) {
        this.#filledViews.add(open.id);
        this.#startForm(open);
      }
    }
  }

  readonly #filledViews = new Set<string>();
  /** The last rendered body of each message, to show only what an update changed. */
  readonly #bodies = new Map<string, string[]>();
  /** What a message is about (its first line as first shown), to label its updates and thread replies. */
  readonly #titles = new Map<string, string>();

  #emit(key: string, version: number, prev: Shown | undefined, lines: string[]): void {
    this.#shown.set(key, { version, lines });
    if (lines.length === 0) return;
    if (prev && this.#o.redrawInPlace && this.#o.rewrite && this.#lastKey === key) {
      this.#o.rewrite(lines);
      return;
    }
    this.#write(lines, key);
  }

  #write(lines: string[], key?: string): void {
    this.#o.write(lines);
    this.#lastKey = key;
  }

  #info(text: string): void {
    this.#write([this.#style.dim(`· ${text}`)]);
  }

  #problem(text: string): void {
    this.#write([this.#style.error(`! ${text}`)]);
  }

  #nameOf(id: string): string {
    return this.#o.standIn.user(id)?.name ?? id;
  }

  #ctx(where: Choice["where"]): RenderContext {
    return {
      style: this.#style,
      userName: (id) => this.#o.standIn.user(id)?.name,
      onChoice: (spec) => {
        const k = `${JSON.stringify(where)}|${spec.blockId ?? ""}|${spec.actionId}|${spec.value ?? ""}|${spec.label}`;
        const known = this.#choiceKeys.get(k);
        if (known !== undefined) return known;
        const n = this.#choices.length + 1;
        this.#choices.push({ ...spec, n, where });
        this.#choiceKeys.set(k, n);
        return n;
      },
    };
  }

  #body(m: { text: string; blocks: JsonObject[] | undefined }, where: Choice["where"]): string[] {
    return renderBlockKit(m.blocks, m.text, this.#ctx(where));
  }

  #messageLines(m: StoredMessage, prev: Shown | undefined, parent: StoredMessage | undefined): string[] {
    const st = this.#style;
    const who = m.user === this.#o.standIn.botUserId ? "pve-bot" : this.#nameOf(m.user);
    const body = this.#body(m, { channel: this.channel, ts: m.ts });
    const prevBody = this.#bodies.get(m.ts) ?? [];
    this.#bodies.set(m.ts, body);
    if (!this.#titles.has(m.ts)) this.#titles.set(m.ts, titleOf(body, m.text));
    const time = new Date(Number(m.ts.split(".")[0]) * 1000).toTimeString().slice(0, 8);
    if (parent) {
      const about = this.#titles.get(parent.ts) ?? firstLine(parent, st);
      const head = prev ? `  ↳ ${st.dim(`reply in “${about}” updated`)}` : `  ↳ ${st.bold(who)} ${st.dim(`in thread “${about}” · ${time}`)}`;
      return [head, ...body.map((l) => `    ${st.dim("│")} ${l}`)];
    }
    if (prev) {
      const changed = body.filter((l) => !prevBody.some((p) => stripAnsi(p) === stripAnsi(l)));
      if (!this.#o.redrawInPlace && changed.length === 0) return [];
      if (!this.#o.redrawInPlace && changed.length <= 3) {
        return [`  ${st.dim(`✎ “${this.#titles.get(m.ts) ?? firstLine(m, st)}” updated:`)}`, ...changed.map((l) => `    ${l}`)];
      }
      return [`${st.dim(`✎ ${who} · #${this.#channelName()} · ${time} (edited)`)}`, ...body.map((l) => `  ${l}`)];
    }
    return [`${st.bold(who)} ${st.dim(`· #${this.#channelName()} · ${time}`)}`, ...body.map((l) => `  ${l}`)];
  }

  #ephemeralLines(e: StoredEphemeral, prev: Shown | undefined): string[] {
    const st = this.#style;
    if (e.user === this.user && isErrorReply(e)) this.#errorsSeen++;
    const body = this.#body(e, { channel: this.channel, ts: e.ts });
    const to = e.user === this.user ? "you" : `@${this.#nameOf(e.user)}`;
    return [`${st.bold("pve-bot")} ${st.dim(`· only visible to ${to}${prev ? " (edited)" : ""}`)}`, ...body.map((l) => `  ${l}`)];
  }

  #viewLines(v: StoredView): string[] {
    const st = this.#style;
    const title = textOf(v.view["title"]);
    const submit = textOf(v.view["submit"]);
    const body = renderBlockKit(blocksOf(v.view), "", this.#ctx({ viewId: v.id }));
    return [
      `┌ ${st.bold(`modal: ${title}`)} ${st.dim(`for @${this.#nameOf(v.user)}`)}`,
      ...body.map((l) => `│ ${l}`),
      `└ ${st.dim(submit ? `answer the fields below, then it is submitted (“${submit}”); /cancel closes it` : "close with /cancel")}`,
    ];
  }

  #channelName(): string {
    return this.#o.standIn.channel(this.channel)?.name ?? this.channel;
  }
}

// ------------------------------------------------------------------------------------------------------ helpers

export interface KnownUser {
  id: string;
  name: string;
  realName?: string;
  /** What this user may do in the demo, e.g. "approver". */
  note?: string;
}

const HELP = `Console commands:
  /pve <command>       what you would type in Slack (/pve help lists the bot's commands)
  <n> or /click <n>    click button n (or /click <label>, e.g. /click Approve); add "yes" to skip its confirm dialog
  /user <id|name>      act as another user (e.g. /user U0BOB to approve as a second person); /users lists them
  /home                open the App Home tab
  /wait                wait until every job is finished and shown
  /cancel              close the modal being filled
  /quit                leave (Ctrl-D too)
Lines starting with # are comments (for scripts).`;

function editTime(m: { postedAt: number; edits: Array<{ replacedAt: number }> }): number {
  return m.edits.length ? m.edits[m.edits.length - 1]!.replacedAt : m.postedAt;
}

function textOf(t: unknown): string {
  return isJsonObject(t as JsonObject) && typeof (t as JsonObject)["text"] === "string" ? ((t as JsonObject)["text"] as string) : "";
}

function blocksOf(view: JsonObject): JsonObject[] {
  const b = view["blocks"];
  return Array.isArray(b) ? b.filter(isJsonObject) : [];
}

function elementOf(block: JsonObject): JsonObject {
  return isJsonObject(block["element"]) ? block["element"] : {};
}

function fieldLabel(block: JsonObject): string {
  return textOf(block["label"]) || (typeof block["block_id"] === "string" ? block["block_id"] : "field");
}

function optionsOf(el: JsonObject): Array<{ label: string; value: string }> {
  const list = Array.isArray(el["options"]) ? el["options"] : [];
  const groups = Array.isArray(el["option_groups"]) ? el["option_groups"].flatMap((g) => (isJsonObject(g) && Array.isArray(g["options"]) ? g["options"] : [])) : [];
  return [...list, ...groups].filter(isJsonObject).map((o) => ({ label: textOf(o["text"]), value: typeof o["value"] === "string" ? o["value"] : "" }));
}

function isMulti(el: JsonObject): boolean {
  return el["type"] === "checkboxes" || (typeof el["type"] === "string" && el["type"].startsWith("multi_"));
}

function pickOption(options: Array<{ label: string; value: string }>, answer: string): { label: string; value: string } | undefined {
  if (/^\d+$/.test(answer)) return options[Number(answer) - 1];
  const a = answer.toLowerCase();
  return options.find((o) => o.value.toLowerCase() === a || o.label.toLowerCase() === a) ?? options.find((o) => o.label.toLowerCase().startsWith(a));
}

function isErrorReply(m: { text: string; blocks: JsonObject[] | undefined }): boolean {
  const first = m.blocks?.find((b) => b["type"] === "section");
  const text = first ? textOf(first["text"]) : m.text;
  return ERROR_ICONS.some((i) => text.startsWith(i));
}

/** The first line of a message as plain text, for "reply in …" labels. */
function firstLine(m: { text: string }, style: Style): string {
  void style;
  const t = m.text.split("\n")[0] ?? "";
  const plain = t.replace(/<([^|>]+)\|([^>]+)>/g, "$2").replace(/[*_~`]/g, "");
  return plain.length > 60 ? `${plain.slice(0, 59)}…` : plain;
}

function titleOf(body: string[], fallback: string): string {
  const first = stripAnsi(body.find((l) => stripAnsi(l).trim() !== "") ?? fallback.split("\n")[0] ?? "").trim();
  return first.length > 60 ? `${first.slice(0, 59)}…` : first;
}

function stripMrkdwnLines(text: string, style: Style): string[] {
  return text.split("\n").map((l) => style.dim(l.replace(/[*_~`]/g, "")));
}
