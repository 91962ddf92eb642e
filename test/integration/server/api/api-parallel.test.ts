/**
 * 100 creates sent at once by 10 callers (within the default write rate) end as 100 sessions: none
 * lost, none duplicated, in fewer commits than creates (the write queue commits the creates that
 * wait together as one commit), each answer true: its commit holds its manifest and is authored by
 * its caller, or by the API with a `Cfs-Requested-By` trailer naming the caller when the commit
 * holds several callers' creates; a name sent twice is created once (one 201, one 409) and a
 * create naming no configuration gets its own 400, without failing the creates batched with it.
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

interface Request {
  caller: (typeof callers)[number];
  name: string;
  configuration: string;
}

const create = ({ caller, name, configuration }: Request) =>
  h.call({
    method: "POST",
    path: "/apis/cfs/v3/sessions",
    token: caller.token,
    body: {
      name,
      configuration_name: configuration,
      target: { definition: "dynamic", groups: [], image_map: [] },
      tags: { by: caller.name },
    },
  });

it("answers each of 100 parallel creates from 10 callers truly and ends with exactly those sessions in fewer commits", async () => {
  const before = git(h.repo.path, ["rev-parse", "main"]);
  const unique: Request[] = callers.flatMap((caller, c) =>
    Array.from({ length: 10 }, (_, i) => ({ caller, name: `par-${c}-${i}`, configuration: "site" })),
  );
  // par-1-3 and par-4-4 sent again by other callers (and par-6-6 twice by its own); one bad create.
  const again: Request[] = [
    { caller: callers[2]!, name: "par-1-3", configuration: "site" },
    { caller: callers[7]!, name: "par-4-4", configuration: "site" },
    { caller: callers[6]!, name: "par-6-6", configuration: "site" },
  ];
  const bad: Request = { caller: callers[3]!, name: "par-bad", configuration: "nope" };
  const requests = [...unique, ...again, bad];
  const started = performance.now();
  const answers = await Promise.all(requests.map(create));
  // Printed, not asserted: the figure depends on the machine's load.
  console.log(`104 parallel creates: ${Math.round(performance.now() - started)} ms wall`);

  const statusOf = (name: string) =>
    requests.flatMap((r, i) => (r.name === name ? [answers[i]!.status] : []));
  for (const { name } of again) expect(statusOf(name).sort()).toEqual([201, 409]);
  expect(answers.filter((a) => a.status === 409).map((a) => a.json.detail as string)).toEqual(
    expect.arrayContaining(again.map(({ name }) => `A session with the name ${name} already exists`)),
  );
  expect(statusOf("par-bad")).toEqual([400]);
  expect(answers[requests.indexOf(bad)]!.json.detail).toBe("No configurations exist named nope");
  expect(answers.filter((a) => a.status === 201)).toHaveLength(100);
  expect(answers.filter((a) => ![201, 400, 409].includes(a.status))).toEqual([]);

  const files = git(h.repo.path, ["ls-tree", "--name-only", "main", "sessions/"]).split("\n");
  expect(files.sort()).toEqual(unique.map((r) => `sessions/${r.name}.yaml`).sort());
  const commits = Number(git(h.repo.path, ["rev-list", "--count", `${before}..main`]));
  console.log(`100 sessions in ${commits} commits`);
  expect(commits).toBeLessThan(100);
  for (const [i, answer] of answers.entries()) {
    if (answer.status !== 201) continue;
    const { caller, name } = requests[i]!;
    const commit = answer.json.status.source.commit as string;
    const author = git(h.repo.path, ["log", "-1", "--format=%an", commit]);
    const message = git(h.repo.path, ["log", "-1", "--format=%B", commit]);
    if (author !== caller.name) {
      expect(author).toBe("cfs-gitops REST API");
      expect(message.split("\n")).toContain(`Cfs-Requested-By: ${caller.name}`);
    }
    const listed = message.includes(`\n- ${name}: Configuration site, target dynamic, by ${caller.name}\n`);
    const alone =
      message.startsWith(`Add session ${name}\n`) && message.includes(`Created by ${caller.name} `);
    expect(listed || alone, message).toBe(true);
    const manifest = git(h.repo.path, ["show", `${commit}:sessions/${name}.yaml`]);
    expect(manifest).toContain(`name: ${name}`);
    expect(manifest).toContain(`by: ${caller.name}`);
    expect(message).toContain("Cfs-Via: rest-api");
  }
  const list = await h.call({ path: "/v3/sessions", token: callers[0]!.token });
  expect((list.json.sessions as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(
    unique.map((r) => r.name).sort(),
  );
}, 120_000);
