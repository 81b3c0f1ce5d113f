/** One problem in a configuration file. Line and column are 1-based, where known. */
export interface ConfigIssue {
  /** Absolute path of the file, when the problem is in a file. */
  file?: string;
  /** The path as shown in messages (relative to cwd when under it). */
  displayFile?: string;
  line?: number;
  column?: number;
  /** e.g. "rules.require-concurent-index", "readers.paths[2]"; absent for whole-file problems. */
  keyPath?: string;
  /** The problem, without location or key path. */
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  let loc = i.displayFile ?? i.file ?? '';
  if (loc && i.line !== undefined) loc += `:${i.line}${i.column !== undefined ? `:${i.column}` : ''}`;
  const what = i.keyPath ? `${i.keyPath}: ${i.message}` : i.message;
  return loc ? `${loc}: ${what}` : what;
}

/**
 * An invalid or unreadable configuration. `message` has one line per issue,
 * `file:line:column: key.path: problem`; the fields describe the first issue.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly keyPath: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue | readonly ConfigIssue[], options?: { cause?: unknown }) {
    const list = Array.isArray(issues) ? (issues as readonly ConfigIssue[]) : [issues as ConfigIssue];
    super(list.map(formatIssue).join('\n'), options);
    const first = list[0];
    this.file = first?.file;
    this.line = first?.line;
    this.column = first?.column;
    this.keyPath = first?.keyPath;
    this.issues = list;
  }
}
