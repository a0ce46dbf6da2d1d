/**
 * The one place where anything thrown becomes a message for a person (errors.ts: `userFacingMessage`). Replies
 * are ephemeral: only the person who asked sees an error. Error texts are plain text: they are escaped for mrkdwn
 * here, except user and user-group mentions (`<@U…>`, `<!subteam^S…>`), which refusals use to name who may act.
 */
import { ApprovalRequired, ChatOpsError, PermissionDenied, UsageError, userFacingMessage } from "../errors.js";
import { escapeMrkdwn, type MessageBlock, type Reply } from "../commands/message.js";

/** Escapes mrkdwn but keeps mentions of users and user groups. */
export function escapeKeepingMentions(text: string): string {
  return escapeMrkdwn(text)
    .replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, "<@$1>")
    .replace(/&lt;!subteam\^(S[A-Z0-9]+)&gt;/g, "<!subteam^$1>");
}

function icon(err: unknown): string {
  if (err instanceof PermissionDenied) return ":no_entry:";
  if (err instanceof ApprovalRequired) return ":lock:";
  if (err instanceof UsageError) return ":grey_question:";
  return ":warning:";
}

export function errorReply(err: unknown): Reply {
  const blocks: MessageBlock[] = [];
  let text: string;
  if (err instanceof UsageError) {
    text = err.message;
    blocks.push({ type: "text", text: `${icon(err)} ${escapeKeepingMentions(err.message)}` });
    if (err.usage) blocks.push({ type: "context", text: `Usage: \`${escapeMrkdwn(err.usage)}\` · \`/pve help\` lists the commands` });
  } else {
    text = userFacingMessage(err);
    blocks.push({ type: "text", text: `${icon(err)} ${escapeKeepingMentions(text)}` });
    if (err instanceof ChatOpsError && !(err instanceof PermissionDenied) && !(err instanceof ApprovalRequired)) {
      blocks.push({ type: "context", text: `code ${err.code}` });
    }
  }
  return { visibility: "ephemeral", text: text.replace(/<!subteam\^(S[A-Z0-9]+)>/g, "@$1").replace(/<@([A-Z0-9]+)>/g, "@$1"), blocks };
}
