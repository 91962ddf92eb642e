import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecapCounts } from "../../../src/api/index.js";
import { emptyCounts, parseRecap } from "../../../src/runners/steps/index.js";

const KEYS = ["ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"] as const;

/** A recap line the way ansible's default callback prints it (host padded to 26, counts padded). */
function recapLine(host: string, counts: RecapCounts, colour = false): string {
  const paint = (text: string): string => (colour ? `\u001b[0;32m${text}\u001b[0m` : text);
  const cells = KEYS.map((key) => paint(`${key}=${counts[key]}`.padEnd(4 + String(counts[key]).length)));
  return `${paint(host.padEnd(26))} : ${cells.join(" ")}  `;
}

function counts(partial: Partial<RecapCounts>): RecapCounts {
  return { ...emptyCounts(), ...partial };
}

const SUCCESS = `
PLAY [all] *********************************************************************

TASK [write the marker] ********************************************************
changed: [localhost]

PLAY [all] *********************************************************************

TASK [ansible.builtin.debug] ***************************************************
ok: [localhost] => {
    "msg": "x"
}

PLAY RECAP *********************************************************************
localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   

`;

const FAILED = `
TASK [fail on purpose] *********************************************************
fatal: [nid000001]: FAILED! => {"changed": false, "msg": "failing on purpose"}
fatal: [nid000002]: FAILED! => {"changed": false, "msg": "failing on purpose"}
fatal: [nid000003]: UNREACHABLE! => {"changed": false, "unreachable": true}

PLAY RECAP *********************************************************************
nid000001                  : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   
nid000002                  : ok=3    changed=1    unreachable=0    failed=1    skipped=2    rescued=0    ignored=0   
nid000003                  : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0   
nid000004                  : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=1    ignored=1   

Playbook run took 0 days, 0 hours, 0 minutes, 2 seconds
`;

describe("parseRecap", () => {
  it.each([
    {
      what: "a successful run of two plays",
      text: SUCCESS,
      hosts: { localhost: counts({ ok: 2, changed: 1 }) },
      failed: [],
      unreachable: [],
    },
    {
      what: "failed and unreachable hosts, followed by other output",
      text: FAILED,
      hosts: {
        nid000001: counts({ failed: 1 }),
        nid000002: counts({ ok: 3, changed: 1, failed: 1, skipped: 2 }),
        nid000003: counts({ unreachable: 1 }),
        nid000004: counts({ ok: 1, rescued: 1, ignored: 1 }),
      },
      failed: ["nid000001", "nid000002"],
      unreachable: ["nid000003"],
    },
    {
      what: "colour codes and CRLF line ends",
      text: `PLAY RECAP ****\r\n${recapLine("web01", counts({ ok: 4, failed: 2 }), true)}\r\n\r\n`,
      hosts: { web01: counts({ ok: 4, failed: 2 }) },
      failed: ["web01"],
      unreachable: [],
    },
    {
      what: "an IPv6 host name with colons",
      text: `PLAY RECAP ****\n${recapLine("fe80::1", counts({ ok: 1 }))}\n`,
      hosts: { "fe80::1": counts({ ok: 1 }) },
      failed: [],
      unreachable: [],
    },
    {
      what: "older ansible without rescued and ignored",
      text: "PLAY RECAP ****\nnode1 : ok=1 changed=1 unreachable=0 failed=0\n",
      hosts: { node1: counts({ ok: 1, changed: 1 }) },
      failed: [],
      unreachable: [],
    },
  ])("reads $what", ({ text, hosts, failed, unreachable }) => {
    const recap = parseRecap(text);
    expect(recap.found).toBe(true);
    expect(recap.hosts).toEqual(hosts);
    expect(recap.failedHosts).toEqual(failed);
    expect(recap.unreachableHosts).toEqual(unreachable);
  });

  it("adds up a host listed in two recap blocks", () => {
    const text = [
      "PLAY RECAP ***",
      recapLine("a", counts({ ok: 1 })),
      "",
      "PLAY RECAP ***",
      recapLine("a", counts({ ok: 2, failed: 1 })),
      recapLine("b", counts({ ok: 1 })),
    ].join("\n");
    expect(parseRecap(text).hosts).toEqual({ a: counts({ ok: 3, failed: 1 }), b: counts({ ok: 1 }) });
    expect(parseRecap(text).failedHosts).toEqual(["a"]);
  });

  it("says no recap was found when ansible stopped before printing one", () => {
    const text = "ERROR! the playbook: layer0/missing.yml could not be found\n";
    expect(parseRecap(text)).toEqual({ found: false, hosts: {}, failedHosts: [], unreachableHosts: [] });
    expect(parseRecap("").found).toBe(false);
  });

  it("does not read host-like lines outside a recap block", () => {
    const text = `TASK [x] ***\nnode1 : ok=1 changed=0\nPLAY RECAP ***\n${recapLine("node2", counts({ ok: 1 }))}\n\nnode3 : ok=9\n`;
    expect(Object.keys(parseRecap(text).hosts)).toEqual(["node2"]);
  });

  it("keeps a host named __proto__ as a plain key", () => {
    const recap = parseRecap(`PLAY RECAP ***\n${recapLine("__proto__", counts({ failed: 1 }))}\n`);
    expect(Object.keys(recap.hosts)).toEqual(["__proto__"]);
    expect(recap.failedHosts).toEqual(["__proto__"]);
  });

  const hostName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,30}$/);
  const count = fc.nat({ max: 100_000 });
  const recapCounts = fc.record({
    ok: count,
    changed: count,
    unreachable: count,
    failed: count,
    skipped: count,
    rescued: count,
    ignored: count,
  });

  it("reads back any recap ansible prints, with or without colour, after any task output", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(hostName, recapCounts), { selector: ([host]) => host, maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.string({ unit: "grapheme-ascii" }).filter((line) => !line.startsWith("PLAY RECAP"))),
        (hosts, colour, before) => {
          const text = [
            ...before,
            "PLAY RECAP ****",
            ...hosts.map(([host, c]) => recapLine(host, c, colour)),
            "",
          ].join("\n");
          const recap = parseRecap(text);
          expect(recap.found).toBe(true);
          expect(recap.hosts).toEqual(Object.fromEntries(hosts));
          expect(recap.failedHosts).toEqual(hosts.filter(([, c]) => c.failed > 0).map(([host]) => host));
          expect(recap.unreachableHosts).toEqual(
            hosts.filter(([, c]) => c.unreachable > 0).map(([host]) => host),
          );
        },
      ),
    );
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const recap = parseRecap(text);
        expect(recap.failedHosts.every((host) => host in recap.hosts)).toBe(true);
        if (!text.includes("PLAY RECAP")) expect(recap.found).toBe(false);
      }),
    );
  });
});
