/**
 * Terminal styling for the chat console: ANSI SGR sequences when the output is a terminal, nothing otherwise
 * (piped output stays plain text that scripts and tests can read).
 */
export interface Style {
  readonly color: boolean;
  bold(s: string): string;
  italic(s: string): string;
  strike(s: string): string;
  code(s: string): string;
  dim(s: string): string;
  link(s: string): string;
  /** Button styles as Slack paints them: primary green, danger red, default plain. */
  primary(s: string): string;
  danger(s: string): string;
  header(s: string): string;
  accent(s: string): string;
  error(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function makeStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { color, bold: id, italic: id, strike: id, code: id, dim: id, link: id, primary: id, danger: id, header: id, accent: id, error: id };
  }
  return {
    color,
    bold: sgr(1, 22),
    italic: sgr(3, 23),
    strike: sgr(9, 29),
    code: sgr(36, 39),
    dim: sgr(2, 22),
    link: sgr(4, 24),
    primary: (s) => `\x1b[1;42;30m${s}\x1b[0m`,
    danger: (s) => `\x1b[1;41;97m${s}\x1b[0m`,
    header: (s) => `\x1b[1;4m${s}\x1b[0m`,
    accent: sgr(35, 39),
    error: sgr(31, 39),
  };
}

/** Removes ANSI escape sequences (for width calculations and plain copies). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
