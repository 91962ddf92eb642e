import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PASSTHROUGH_FLAGS } from "../../../src/api/index.js";
import {
  extraVarsFiles,
  isExtraVarsFlag,
  parsePassthrough,
  quotePassthroughWord,
} from "../../../src/manifest/index.js";

describe("parsePassthrough", () => {
  it.each<[string, string[]]>([
    ["", []],
    ["   \t\n ", []],
    ["-e foo=bar", ["-e", "foo=bar"]],
    ["--extra-vars 'a=1 b=2'", ["--extra-vars", "a=1 b=2"]],
    ['--extra-vars "{\\"k\\": \\"v\\"}"', ["--extra-vars", '{"k": "v"}']],
    ["-e '{\"k\": [1, 2]}'", ["-e", '{"k": [1, 2]}']],
    ["--extra-vars=@layer0/vars.yml", ["--extra-vars=@layer0/vars.yml"]],
    ["-e @layer12/group_vars/all.yml", ["-e", "@layer12/group_vars/all.yml"]],
    ["-e@hosts/vars.json", ["-e@hosts/vars.json"]],
    ["-e @layer0/../hosts/x.yml", ["-e", "@layer0/../hosts/x.yml"]],
    ["-e user@example.org", ["-e", "user@example.org"]],
    ["-efoo=bar", ["-efoo=bar"]],
    ["-f 10 -t a,b --skip-tags c", ["-f", "10", "-t", "a,b", "--skip-tags", "c"]],
    ["--forks=5", ["--forks=5"]],
    ["--start-at-task 'Write the motd'", ["--start-at-task", "Write the motd"]],
    ["--tags=web  -t   db", ["--tags=web", "-t", "db"]],
    ["-e a\\ b", ["-e", "a b"]],
    ["-e 'it'\"'\"'s'", ["-e", "it's"]],
    ['-e "a\\nb"', ["-e", "a\\nb"]],
    ["-e ''x", ["-e", "x"]],
  ])("splits %j into allowed argv", (text, argv) => {
    expect(parsePassthrough(text)).toEqual({ ok: true, argv });
  });

  it.each<[string, string]>([
    ["--become", 'flag "--become" is not allowed'],
    ["-e x=1 -b", 'flag "-b" is not allowed'],
    ["-vvv", 'flag "-vvv" is not allowed'],
    ["-K", 'flag "-K" is not allowed'],
    ["--extra-vars=x --become-user=root", 'flag "--become-user" is not allowed'],
    ["--extra", 'flag "--extra" is not allowed'],
    ["-e x -- other.yml", 'flag "--" is not allowed'],
    ["-i hosts", 'flag "-i" is not allowed'],
    ["--inventory=/etc/hosts", 'flag "--inventory" is not allowed'],
    ["site.yml", '"site.yml" is not a flag'],
    ["-e a=1 b=2", '"b=2" is not a flag'],
    ["-t web -", '"-" is not a flag'],
    ["-e", 'flag "-e" needs a value'],
    ["--tags", 'flag "--tags" needs a value'],
    ["-e ''", 'flag "-e" needs a value'],
    ["-t --become", 'flag "-t" needs a value'],
    ["-f many", 'flag "-f" needs a whole number of forks (got "many")'],
    ["--forks=0", 'flag "--forks" needs a whole number of forks (got "0")'],
    ["-e 'unclosed", "the ' at character 4 is never closed"],
    ['-e "unclosed', 'the " at character 4 is never closed'],
    ["-e x\\", "the backslash at the end escapes nothing"],
  ])("rejects %j", (text, message) => {
    const result = parsePassthrough(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it.each<[string, string]>([
    ["-e @/etc/passwd", '"@/etc/passwd"'],
    ["--extra-vars=@/etc/shadow", '"@/etc/shadow"'],
    ["--extra-vars @/x.yml", '"@/x.yml"'],
    ["-e@/x", '"@/x"'],
    ["-e=@/x", '"@/x"'],
    ["-e '@~/.ssh/id_rsa'", '"@~/.ssh/id_rsa"'],
    ["-e @vars.yml", '"@vars.yml"'],
    ["-e @layer0", '"@layer0"'],
    ["-e @layer0/../../../etc/passwd", '"@layer0/../../../etc/passwd"'],
    ["-e @hosts/../../x", '"@hosts/../../x"'],
    [`-e "@'/etc/passwd'"`, `"@'/etc/passwd'"`],
    ["-e a=1 -e @/etc/passwd", '"@/etc/passwd"'],
  ])("refuses the @file of %j: it is not inside the session's clones", (text, shown) => {
    const result = parsePassthrough(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(
        `reads ${shown}: an @file must be a relative path inside the session's clones`,
      );
      expect(result.message).toContain('write "@layer<i>/<file>"');
    }
  });

  it("finds the files of -e @ forms, and knows the abbreviations of --extra-vars", () => {
    expect(
      extraVarsFiles(["-e", "@a", "--extra-vars=@b", "-e@c", "-e", "x=@d", "--tags", "@e", "--ex", "@f"]),
    ).toEqual(["a", "b", "c", "f"]);
    expect(["-e", "--extra-vars", "--extra", "--ex", "--e"].every(isExtraVarsFlag)).toBe(true);
    expect(["--", "-", "--extra-vars-x", "-f", "--skip-tags"].some(isExtraVarsFlag)).toBe(false);
  });

  it("names every allowed flag when it rejects one", () => {
    const result = parsePassthrough("--check");
    expect(result).toEqual({
      ok: false,
      message:
        'flag "--check" is not allowed (allowed: -e/--extra-vars, -f/--forks, --skip-tags, --start-at-task and -t/--tags)',
    });
  });
});

const allowedFlag = fc.constantFrom(...PASSTHROUGH_FLAGS);
const anyText = fc.string({ unit: "binary", maxLength: 20 });
const value = (flag: string): fc.Arbitrary<string> =>
  flag === "-f" || flag === "--forks"
    ? fc.integer({ min: 1, max: 500 }).map(String)
    : // An -e @file outside the session's clones is refused on purpose (tested above).
      anyText.filter((v) => v !== "" && !v.startsWith("-") && !(v.startsWith("@") && isExtraVarsFlag(flag)));
const pair = allowedFlag.chain((flag) => value(flag).map((v) => [flag, v] as const));

describe("parsePassthrough (properties)", () => {
  it("reads back any list of allowed flags with quoted values", () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), fc.constantFrom(" ", "  ", "\t", "\n"), (pairs, gap) => {
        const argv = pairs.flatMap(([flag, v]) => [flag, v]);
        const text = argv.map(quotePassthroughWord).join(gap);
        expect(parsePassthrough(text)).toEqual({ ok: true, argv });
      }),
    );
  });

  it("reads back the --flag=value form", () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        const longOnly = pairs.filter(([flag]) => flag.startsWith("--"));
        const argv = longOnly.map(([flag, v]) => `${flag}=${v}`);
        expect(parsePassthrough(argv.map(quotePassthroughWord).join(" "))).toEqual({ ok: true, argv });
      }),
    );
  });

  it("rejects any other flag, and names it", () => {
    const otherFlag = fc
      .string({ minLength: 1, maxLength: 12 })
      .map((s) => s.replace(/[\s'"\\=]/g, "x"))
      .chain((s) => fc.constantFrom(`-${s}`, `--${s}`))
      .filter((flag) => {
        const allowed: readonly string[] = PASSTHROUGH_FLAGS;
        if (allowed.includes(flag)) return false;
        return !["-e", "-f", "-t"].some((short) => flag.startsWith(short) && !flag.startsWith("--"));
      });
    fc.assert(
      fc.property(
        fc.array(pair, { maxLength: 3 }),
        otherFlag,
        fc.array(pair, { maxLength: 3 }),
        (before, flag, after) => {
          const argv = [...before.flat(), flag, "value", ...after.flat()];
          const result = parsePassthrough(argv.map(quotePassthroughWord).join(" "));
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.message).toContain(JSON.stringify(flag));
        },
      ),
    );
  });

  it("never throws, and what it accepts it accepts again once quoted", () => {
    const shellish = fc
      .array(
        fc.constantFrom("-e", "-t", "--tags=", "x", "1", " ", "'", '"', "\\", "\n", "-", "--", "=", "a b"),
        {
          maxLength: 12,
        },
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.oneof(shellish, fc.string({ unit: "binary", maxLength: 200 })), (text) => {
        const result = parsePassthrough(text);
        if (!result.ok) {
          expect(result.message.length).toBeGreaterThan(0);
          return;
        }
        expect(parsePassthrough(result.argv.map(quotePassthroughWord).join(" "))).toEqual(result);
      }),
    );
  });
});
