/** Reads the PLAY RECAP that ansible-playbook prints at the end of a run. */
import type { RecapCounts } from "../../api/index.js";

/** What a PLAY RECAP says. */
export interface Recap {
  /** Whether any PLAY RECAP block was found (false when ansible-playbook stopped before printing one). */
  found: boolean;
  /** Counts per host; a host listed in several blocks has the counts added up. */
  hosts: Record<string, RecapCounts>;
  /** Hosts with `failed` above 0, in the order the recap lists them. */
  failedHosts: string[];
  /** Hosts with `unreachable` above 0, in the order the recap lists them. */
  unreachableHosts: string[];
}

const COUNT_KEYS = ["ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"] as const;
type CountKey = (typeof COUNT_KEYS)[number];

/** ANSI colour and cursor sequences (ansible colours the recap when ANSIBLE_FORCE_COLOR is on). */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const RECAP_HEADER = /^PLAY RECAP\b/;
/** `host : ok=1 changed=0 ...`; the host is lazy so names with colons (IPv6) still parse. */
const HOST_LINE = /^(\S.*?)\s*:\s*((?:[a-z]+=\d+\s*)+)$/;
const PAIR = /([a-z]+)=(\d+)/g;

/** The counts of one host, all zero. */
export function emptyCounts(): RecapCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

/**
 * Parses every PLAY RECAP block in the output of ansible-playbook. Colour codes and `\r\n` are
 * ignored; a block ends at the first line after its hosts that is not a host line. Output without a recap (ansible
 * crashed, or a syntax error) gives `found: false` and no hosts.
 */
export function parseRecap(stdoutText: string): Recap {
  const hosts = new Map<string, RecapCounts>();
  let found = false;
  /** Host lines read in the current block; null outside a block. */
  let inBlock: number | null = null;
  for (const rawLine of stdoutText.replace(ANSI, "").split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (RECAP_HEADER.test(line)) {
      found = true;
      inBlock = 0;
      continue;
    }
    if (inBlock === null || (line === "" && inBlock === 0)) continue;
    const match = HOST_LINE.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      addCounts(hosts, match[1], match[2]);
      inBlock += 1;
    } else {
      inBlock = null;
    }
  }
  const entries = [...hosts.entries()];
  return {
    found,
    hosts: Object.fromEntries(entries),
    failedHosts: entries.filter(([, c]) => c.failed > 0).map(([host]) => host),
    unreachableHosts: entries.filter(([, c]) => c.unreachable > 0).map(([host]) => host),
  };
}

function addCounts(hosts: Map<string, RecapCounts>, host: string, pairs: string): void {
  const counts = hosts.get(host) ?? emptyCounts();
  for (const [, key, value] of pairs.matchAll(PAIR)) {
    if (isCountKey(key)) counts[key] += Number(value);
  }
  hosts.set(host, counts);
}

function isCountKey(key: string | undefined): key is CountKey {
  return (COUNT_KEYS as readonly (string | undefined)[]).includes(key);
}
