/** The command line parser's errors as the CLI's other errors are: one line on stderr, `cfs-gitops: ...`. Pure. */

/** `error: unknown option '--colour'\n(Did you mean --color?)` -> `cfs-gitops: unknown option '--colour' (did you mean --color?); see --help`. */
export function oneLineParseError(text: string): string {
  const parts = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const [first = "", ...rest] = parts;
  const message = [
    first.replace(/^error:\s*/, ""),
    ...rest.map((line) => line.replace(/^\(Did/, "(did")),
  ].join(" ");
  return `cfs-gitops: ${message}; see --help\n`;
}
