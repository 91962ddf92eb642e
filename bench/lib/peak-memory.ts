/** The peak resident memory of this process. */
import { readFileSync } from "node:fs";

/**
 * Peak resident set size of this process in KiB: `VmHWM` of /proc/self/status where there is one.
 * Not getrusage's maxrss: Linux carries over into it the RSS of the process that forked us (the
 * bench itself, hundreds of MiB), so a small child would report its parent's size.
 */
export function peakRssKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match?.[1]) return Number(match[1]);
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS;
}
