/**
 * 100 creates sent at once by 10 callers (within the default write rate) end as 100 sessions: none lost, none duplicated, each
 * answer true (its commit holds its manifest, authored by its caller), and a list right after
 * shows them all.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { git } from "../../../helpers/config-repo.js";
import { startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;
const callers = Array.from({ length: 10 }, (_, i) => ({
  name: `caller-${i}`,
  token: `tok-${i}-0123456789abcdef`,
}));

beforeAll(async () => {
  h = await startApiHarness({ writeRate: 10 }); // the controller's default rate
  writeFileSync(h.tokensFile, callers.map((c) => `${c.token} write ${c.name}`).join("\n"));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("answers 201 to each of 100 parallel creates from 10 callers and ends with exactly those 100 sessions", async () => {
  const before = git(h.repo.path, ["rev-parse", "main"]);
  const requests = callers.flatMap((caller, c) =>
    Array.from({ length: 10 }, (_, i) => ({ caller, name: `par-${c}-${i}` })),
  );
  const started = performance.now();
  const answers = await Promise.all(
    requests.map(({ caller, name }) =>
      h.call({
        method: "POST",
        path: "/apis/cfs/v3/sessions",
        token: caller.token,
        body: {
          name,
          configuration_name: "site",
          target: { definition: "dynamic", groups: [], image_map: [] },
        },
      }),
    ),
  );
  // Printed, not asserted: the figure depends on the machine's load.
  console.log(`100 parallel creates: ${Math.round(performance.now() - started)} ms wall`);
  expect(answers.map((a) => a.status)).toEqual(requests.map(() => 201));
  const files = git(h.repo.path, ["ls-tree", "--name-only", "main", "sessions/"]).split("\n");
  expect(files.sort()).toEqual(requests.map((r) => `sessions/${r.name}.yaml`).sort());
  expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`])).toBe("100");
  for (const [i, answer] of answers.entries()) {
    const { caller, name } = requests[i]!;
    const commit = answer.json.status.source.commit as string;
    expect(git(h.repo.path, ["log", "-1", "--format=%an", commit])).toBe(caller.name);
    expect(git(h.repo.path, ["show", `${commit}:sessions/${name}.yaml`])).toContain(`name: ${name}`);
  }
  const list = await h.call({ path: "/v3/sessions", token: callers[0]!.token });
  expect((list.json.sessions as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(
    requests.map((r) => r.name).sort(),
  );
}, 120_000);
