/**
 * Names noted as changed since a reader last took them ("all" until the first take after a
 * whole reload): the controller keeps one per reader of its session records (the source state's
 * unread files, the planner's quiet sessions), so each looks again only at what changed for it.
 */
export class ChangedNames {
  private noted: Set<string> | "all" = "all";

  /** Notes one changed name. */
  note(name: string): void {
    if (this.noted !== "all") this.noted.add(name);
  }

  /** Every name may have changed (the records were read whole). */
  noteAll(): void {
    this.noted = "all";
  }

  /** The names noted since the last take, and starts noting afresh. */
  take(): ReadonlySet<string> | "all" {
    const noted = this.noted;
    this.noted = new Set();
    return noted;
  }
}
