/**
 * bench/results.md, one section per scenario. A run of some scenarios (`--only=...`) replaces
 * their sections and keeps every other scenario's section as it was, with the date, machine and
 * load it was measured at, so a partial run never wipes the rows it did not measure.
 */
import { machineLines, type Machine } from "./machine.js";

/** What one scenario measured in this run, ready to be written. */
export interface ScenarioSection {
  name: string;
  /** The markdown table of its rows. */
  table: string;
  machine: Machine;
  loadAtEnd: number[];
  seconds: number;
  quick: boolean;
}

const HEADER = [
  "# Benchmark results",
  "",
  "Written by `npm run bench`, one section per scenario: a run of some scenarios (`--only=...`)",
  "replaces theirs and keeps the others with the date, machine and load they were measured at.",
  "Medians and spread of repeated runs; each baseline ran in the same run, on the same data.",
  "Reproduce and read the method in README.md, section Performance. The machine is shared with",
  "other engineers' builds and tests: a load average well above 0 means the figures are noisy",
  "(higher and wider than on an idle machine).",
  "",
].join("\n");

const OPEN = /^<!-- bench:scenario=([a-z0-9-]+) -->$/;
const CLOSE = "<!-- /bench -->";

/** The markdown of one scenario's section, between markers that `mergeResults` finds again. */
export function renderSection(section: ScenarioSection): string {
  const command = `npm run bench -- --only=${section.name}${section.quick ? " --quick" : ""}`;
  return [
    `<!-- bench:scenario=${section.name} -->`,
    `## ${section.name}`,
    "",
    `\`${command}\` (${section.seconds} s)`,
    "",
    ...machineLines(section.machine, section.loadAtEnd),
    "",
    section.table,
    CLOSE,
  ].join("\n");
}

/** The sections of a results file by scenario name (a file of another format has none). */
export function parseSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | null = null;
  let lines: string[] = [];
  for (const line of text.split("\n")) {
    const open = OPEN.exec(line);
    if (open) {
      name = open[1]!;
      lines = [line];
    } else if (name !== null) {
      lines.push(line);
      if (line === CLOSE) {
        sections.set(name, lines.join("\n"));
        name = null;
      }
    }
  }
  return sections;
}

/**
 * The new results file: for each scenario in `order`, this run's section if it ran, else the one
 * `previous` had (if any). Sections of scenarios no longer in `order` are dropped.
 */
export function mergeResults(input: {
  previous: string | null;
  ran: readonly ScenarioSection[];
  order: readonly string[];
}): string {
  const kept = parseSections(input.previous ?? "");
  const fresh = new Map(input.ran.map((section) => [section.name, renderSection(section)]));
  const sections = input.order.flatMap((name) => {
    const text = fresh.get(name) ?? kept.get(name);
    return text === undefined ? [] : [text];
  });
  return `${HEADER}\n${sections.join("\n\n")}\n`;
}
