/**
 * Reading and writing Java `.properties` text, the daemon's configuration
 * format (pure functions).
 *
 * @module
 */

/** One entry read from a properties file. */
export interface PropertyEntry {
  /** The key. */
  readonly key: string;
  /** The value, escapes resolved, trailing spaces trimmed. */
  readonly value: string;
  /** The 1-based line where the entry starts. */
  readonly line: number;
}

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escape: string) => {
    if (escape.length === 5) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ESCAPES[escape] ?? escape;
  });
}

/**
 * Parses properties text as `java.util.Properties.load` does: `#` and `!`
 * comments, `=`, `:` or white space between key and value, a trailing `\`
 * continues the line, `\uXXXX` and the usual escapes. Unlike Java, trailing
 * white space of values is trimmed (the daemon would keep it, e.g. in a
 * stream name).
 *
 * @param text The file's text.
 * @returns The entries in file order (a repeated key appears twice).
 */
export function parseProperties(text: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, "");
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    let keyEnd = 0;
    while (keyEnd < logical.length) {
      const c = logical[keyEnd]!;
      if (c === "\\") {
        keyEnd += 2;
        continue;
      }
      if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
      keyEnd++;
    }
    let rest = logical.slice(keyEnd).replace(/^[ \t\f]*/, "");
    if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]*/, "");
    entries.push({
      key: unescape(logical.slice(0, keyEnd)),
      value: unescape(rest).replace(/[ \t\f]+$/, ""),
      line: start,
    });
  }
  return entries;
}

function endsWithContinuation(line: string): boolean {
  let slashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) slashes++;
  return slashes % 2 === 1;
}

function escapeText(text: string, isKey: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (c === "\\") out += "\\\\";
    else if (c === "\t") out += "\\t";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\f") out += "\\f";
    else if (c === " " && (isKey || i === 0)) out += "\\ ";
    else if (isKey && (c === "=" || c === ":" || c === "#" || c === "!")) out += "\\" + c;
    else if (code < 0x20 || code > 0x7e) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += c;
  }
  return out;
}

/**
 * Writes properties as text that `java.util.Properties.load` reads back
 * exactly: ASCII only, every special character escaped.
 *
 * @param properties The keys and values, in the order to write them.
 * @param comments Optional comment per key, written above it.
 * @returns The text, one `key = value` line per entry.
 */
export function renderProperties(
  properties: Iterable<readonly [string, string]>,
  comments: ReadonlyMap<string, string> = new Map(),
): string {
  let out = "";
  for (const [key, value] of properties) {
    const comment = comments.get(key);
    if (comment) out += `# ${escapeText(comment, false).replaceAll("\\n", " ")}\n`;
    out += `${escapeText(key, true)} = ${escapeText(value, false)}\n`;
  }
  return out;
}
