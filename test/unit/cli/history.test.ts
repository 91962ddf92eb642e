import { describe, expect, it } from "vitest";
import {
  buildTimeline,
  parseManifestLog,
  parseMerge,
  parseStatusLog,
  timelineRows,
  type StatusCommit,
} from "../../../src/cli/history.js";

const RS = "\x1e";
const US = "\x1f";
const GS = "\x1d";

describe("parseManifestLog", () => {
  it("reads commits with their A/M/D changes (git log --name-status, newest first)", () => {
    const text = [
      `${RS}c2${US}p2${US}Bob <bob@x>${US}2026-11-22T10:00:00Z${US}Remove s\n\nD\tsessions/s.yaml\n`,
      `${RS}c1${US}p0 p1${US}Jane <jane@x>${US}2026-11-21T09:00:00+01:00${US}Add s\n\nA\tsessions/s.yaml\n`,
    ].join("");
    expect(parseManifestLog(text)).toEqual([
      {
        commit: "c2",
        parents: ["p2"],
        author: "Bob <bob@x>",
        time: "2026-11-22T10:00:00Z",
        subject: "Remove s",
        changes: [{ status: "D", path: "sessions/s.yaml" }],
      },
      {
        commit: "c1",
        parents: ["p0", "p1"],
        author: "Jane <jane@x>",
        time: "2026-11-21T09:00:00+01:00",
        subject: "Add s",
        changes: [{ status: "A", path: "sessions/s.yaml" }],
      },
    ]);
  });
});

describe("parseStatusLog", () => {
  it("takes the session's state from its Cfs-Session trailer, and 'deleted' from a removal", () => {
    const body = (trailers: string) => `status: 1 running\n\nCfs-Source-Commit: abc\n${trailers}\n`;
    const text = [
      `${RS}s3${US}2026-11-21T12:03:00Z${US}${body("Cfs-Session: other running\nCfs-Session: s complete succeeded=false")}${GS}\nM\tsessions/s.json\n`,
      `${RS}s2${US}2026-11-21T12:02:00Z${US}status: cleanup\n${GS}\nD\tsessions/s.json\n`,
      `${RS}s1${US}2026-11-21T12:01:00Z${US}${body("Cfs-Session: s running")}${GS}\nA\tsessions/s.json\n`,
    ].join("");
    expect(parseStatusLog(text, "s")).toEqual([
      { commit: "s3", time: "2026-11-21T12:03:00Z", state: "complete succeeded=false", source: "abc" },
      { commit: "s2", time: "2026-11-21T12:02:00Z", state: "deleted", source: null },
      { commit: "s1", time: "2026-11-21T12:01:00Z", state: "running", source: "abc" },
    ]);
  });

  it("does not confuse a session whose name is a prefix of another", () => {
    const text = `${RS}s1${US}2026-11-21T12:01:00Z${US}x\n\nCfs-Session: s-long running\nCfs-Session: s pending\n${GS}\n`;
    expect(parseStatusLog(text, "s")[0]?.state).toBe("pending");
  });
});

describe("buildTimeline", () => {
  const status = (time: string, state: string): StatusCommit => ({
    commit: `st-${time}`,
    time,
    state,
    source: null,
  });

  it("orders manifest commits, merges and status transitions by time, and collapses repeated states", () => {
    const manifest = parseManifestLog(
      `${RS}c1${US}p0${US}Jane <jane@x>${US}2026-11-21T09:00:00Z${US}Add s\n\nA\tsessions/s.yaml\n`,
    );
    const merge = parseMerge(`m1${US}Bob <bob@x>${US}2026-11-21T10:00:00Z${US}Merge pull request #7\n`);
    const events = buildTimeline({
      manifest,
      merges: new Map([["c1", merge]]),
      status: [
        status("2026-11-21T10:05:00Z", "complete succeeded=true"),
        status("2026-11-21T10:02:00Z", "running"),
        status("2026-11-21T10:01:30Z", "running"),
        status("2026-11-21T10:01:00Z", "pending"),
      ],
    });
    expect(events.map((e) => [e.kind, e.time])).toEqual([
      ["manifest", "2026-11-21T09:00:00Z"],
      ["merge", "2026-11-21T10:00:00Z"],
      ["status", "2026-11-21T10:01:00Z"],
      ["status", "2026-11-21T10:01:30Z"],
      ["status", "2026-11-21T10:05:00Z"],
    ]);
    expect(timelineRows(events)).toEqual([
      ["2026-11-21T09:00:00Z", "added", "c1", "sessions/s.yaml by Jane <jane@x>: Add s"],
      ["2026-11-21T10:00:00Z", "merged", "m1", "brought c1 in, by Bob <bob@x>: Merge pull request #7"],
      ["2026-11-21T10:01:00Z", "pending", "st-2026-11-2", "status"],
      ["2026-11-21T10:01:30Z", "running", "st-2026-11-2", "status"],
      ["2026-11-21T10:05:00Z", "complete", "st-2026-11-2", "status, succeeded=true"],
    ]);
  });

  it("keeps transitions committed within the same second in the order they happened", () => {
    const events = buildTimeline({
      manifest: [],
      merges: new Map(),
      status: [status("2026-11-21T10:00:00Z", "running"), status("2026-11-21T10:00:00Z", "pending")],
    });
    expect(events.map((e) => (e.kind === "status" ? e.state : e.kind))).toEqual(["pending", "running"]);
  });

  it("prints times in UTC whatever the committer's zone", () => {
    const manifest = parseManifestLog(
      `${RS}c1${US}${US}J <j@x>${US}2026-11-21T09:00:00+02:00${US}Add\n\nA\tsessions/s.yaml\n`,
    );
    expect(timelineRows(buildTimeline({ manifest, merges: new Map(), status: [] }))[0]?.[0]).toBe(
      "2026-11-21T07:00:00Z",
    );
  });
});
