/**
 * Session creates that waited together in the API's write queue, committed as one commit: authored
 * by the caller when they are all one caller's, else by the API with a `Cfs-Requested-By: <name>`
 * trailer for every caller. Each create is checked on its own, exactly as a lone create is (the
 * CLI's assertCreatable on the tree with the new files laid over it); the refused ones get their
 * own 409 / 400 and the others are committed without them. If the commit itself fails (the branch
 * moved and a file of the batch changed there), each create is tried again alone, so every caller
 * still gets the answer a lone create would have had.
 */
import { jobName, type SessionManifest, type SessionRecord } from "../../api/index.js";
import { assertCreatable } from "../../cli/session-writes.js";
import type { ManifestTree } from "../../cli/repo-tree.js";
import { manifestYaml, sessionPath } from "../../cli/session-flags.js";
import { StatusReader } from "../../cli/status-reader.js";
import { commitChange, readBase, type WriteContext } from "../../cli/write-change.js";
import { hashBlob } from "../../git/fast-import.js";
import { newSessionRecord } from "../../plan/index.js";
import { ApiError } from "./api-error.js";
import type { Batched } from "./api-repo.js";
import { API_TRAILER, explainRefusal } from "./write-answers.js";
import { settle, type Settled } from "./write-queue.js";

/** One session to create, serialized before it waits in the queue. */
export interface SessionToCreate {
  manifest: SessionManifest;
  path: string;
  content: Buffer;
}

/** The trailer naming each caller of a commit that holds several callers' creates. */
export const REQUESTED_BY_TRAILER = "Cfs-Requested-By";

type Item = Batched<SessionToCreate>;
type Outcomes = Map<Item, Settled<SessionRecord>>;

/** The file a create commits. */
export function sessionToCreate(manifest: SessionManifest): SessionToCreate {
  return { manifest, path: sessionPath(manifest.name), content: Buffer.from(manifestYaml(manifest)) };
}

/** Creates `items` in as few commits as their checks allow; one outcome per item, in order. */
export async function createSessions(input: {
  context: WriteContext;
  items: readonly Item[];
}): Promise<Array<Settled<SessionRecord>>> {
  const { context, items } = input;
  const outcomes: Outcomes = new Map();
  const reader = await StatusReader.open(context.status);
  const names = new Set<string>();
  for (const item of items) {
    const name = item.item.manifest.name;
    if (reader.hasSession(name) || names.has(name)) outcomes.set(item, { ok: false, error: exists(name) });
    names.add(name);
  }
  const checked = await checkCreatable(
    context,
    items.filter((item) => !outcomes.has(item)),
  );
  for (const [item, error] of checked.refused) outcomes.set(item, { ok: false, error });
  if (checked.tree !== null) {
    const committed = await commitCreates({ context, items: checked.ok, tree: checked.tree });
    for (const [item, outcome] of committed) outcomes.set(item, outcome);
  }
  return items.map((item) => outcomes.get(item) ?? { ok: false, error: new Error("no answer") });
}

/** The items that pass every check together (the tree they pass on), and why the others were refused. */
async function checkCreatable(
  context: WriteContext,
  items: readonly Item[],
): Promise<{ ok: Item[]; refused: Map<Item, unknown>; tree: ManifestTree | null }> {
  const refused = new Map<Item, unknown>();
  let ok = [...items];
  while (ok.length > 0) {
    const tree = await readBase(context, changesOf(ok));
    for (const item of ok) {
      const error = refusal(tree, item.item);
      if (error !== null) refused.set(item, error);
    }
    if (ok.every((item) => !refused.has(item))) return { ok, refused, tree };
    ok = ok.filter((item) => !refused.has(item));
  }
  return { ok, refused, tree: null };
}

/** Why `item` cannot be created on `tree` (as its caller is told), or null. */
function refusal(tree: ManifestTree, item: SessionToCreate): unknown {
  try {
    assertCreatable({ tree, name: item.manifest.name, path: item.path });
    return null;
  } catch (error) {
    return explainRefusal(error);
  }
}

/** One commit of all `items`; if it fails, each item alone (its own answer). */
async function commitCreates(input: {
  context: WriteContext;
  items: readonly Item[];
  tree: ManifestTree;
}): Promise<Outcomes> {
  const { context, items, tree } = input;
  const outcomes: Outcomes = new Map();
  const together = await settle(() =>
    commitChange(context, {
      changes: changesOf(items),
      ...commitMessage(items, context.identity.name),
      check: (rebased) => {
        for (const { item } of items)
          assertCreatable({ tree: rebased, name: item.manifest.name, path: item.path });
      },
    }),
  );
  if (together.ok) {
    const commit = together.value.commit;
    for (const item of items)
      outcomes.set(item, { ok: true, value: pendingRecord({ item: item.item, tree, commit }) });
    return outcomes;
  }
  const [only] = items;
  if (items.length === 1 && only) {
    outcomes.set(only, { ok: false, error: explainRefusal(together.error) });
    return outcomes;
  }
  for (const item of items) outcomes.set(item, await createAlone({ context, item }));
  return outcomes;
}

/** A create on its own (after a batch's commit failed): checked on the tree now, committed alone. */
async function createAlone(input: { context: WriteContext; item: Item }): Promise<Settled<SessionRecord>> {
  const { context, item } = input;
  const checked = await checkCreatable(context, [item]);
  const error = checked.refused.get(item);
  if (error !== undefined || checked.tree === null) return { ok: false, error };
  const outcomes = await commitCreates({ context, items: [item], tree: checked.tree });
  return outcomes.get(item) ?? { ok: false, error: new Error("no answer") };
}

/**
 * A lone create's message as before; a batch lists its sessions and who asked for each. Every
 * caller is named in a trailer when the commit's author is not that one caller (the API authors
 * a batch of several callers' creates, even when the checks left one caller's).
 */
function commitMessage(items: readonly Item[], author: string): { subject: string; body: string } {
  const describe = ({ manifest }: SessionToCreate): string =>
    `Configuration ${manifest.configuration.name}, target ${manifest.target?.definition ?? "dynamic"}`;
  const callers = [...new Set(items.map((i) => i.caller))];
  const own = callers.length === 1 && callers[0]?.replace(/[<>\n\r]/g, "") === author;
  const trailers = own ? [] : callers.map((c) => `${REQUESTED_BY_TRAILER}: ${c}`);
  const [only] = items;
  if (items.length === 1 && only)
    return {
      subject: `Add session ${only.item.manifest.name}`,
      body: `${describe(only.item)}.\nCreated by ${only.caller} with: POST /v3/sessions\n\n${[API_TRAILER, ...trailers].join("\n")}`,
    };
  const lines = items.map(({ item, caller }) => `- ${item.manifest.name}: ${describe(item)}, by ${caller}`);
  const by = callers.length === 1 ? `by ${callers.join("")} ` : "";
  return {
    subject: `Add ${items.length} sessions`,
    body: `${lines.join("\n")}\n\nCreated ${by}with: POST /v3/sessions (${items.length} requests in one commit)\n\n${[API_TRAILER, ...trailers].join("\n")}`,
  };
}

function pendingRecord(input: { item: SessionToCreate; tree: ManifestTree; commit: string }): SessionRecord {
  const { item, tree, commit } = input;
  const blob = hashBlob(item.content);
  return newSessionRecord({
    session: item.manifest,
    source: { path: item.path, commit, blob },
    job: jobName(item.manifest.name, blob),
    options: tree.desired.options,
  });
}

function changesOf(items: readonly Item[]): Map<string, Buffer | null> {
  return new Map(items.map(({ item }) => [item.path, item.content]));
}

function exists(name: string): ApiError {
  return new ApiError(409, "Conflict", `A session with the name ${name} already exists`);
}
