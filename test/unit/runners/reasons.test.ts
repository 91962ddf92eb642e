import { describe, expect, it } from "vitest";
import {
  ansibleMissing,
  cloneFailureReason,
  gitErrorDetail,
  hostList,
  layerFailureReason,
  parseRecap,
} from "../../../src/runners/steps/index.js";
import { layer } from "../../helpers/ansible-fixtures.js";

const layer1 = layer(1, { clone_url: "/r", commit: "a".repeat(40), playbook: "site.yml" });
const noRecap = parseRecap("");

function recapOf(lines: string[]): ReturnType<typeof parseRecap> {
  return parseRecap(["PLAY RECAP ***", ...lines].join("\n"));
}

describe("layerFailureReason", () => {
  it("names the failed hosts", () => {
    const recap = recapOf([
      "nid000001 : ok=0 failed=1",
      "nid000002 : ok=1 failed=1",
      "nid000003 : ok=2 failed=0",
    ]);
    expect(layerFailureReason(layer1, { exitCode: 2, signal: null }, recap, "")).toBe(
      "layer 1 (site.yml) failed on 2 hosts: nid000001, nid000002",
    );
  });

  it("names failed and unreachable hosts", () => {
    const recap = recapOf(["a : failed=1", "b : unreachable=1"]);
    expect(layerFailureReason(layer1, { exitCode: 4, signal: null }, recap, "")).toBe(
      "layer 1 (site.yml) failed on 1 host: a; could not reach 1 host: b",
    );
  });

  it("quotes ansible's error when no host failed", () => {
    const output = "$ ansible-playbook ...\nERROR! the playbook: layer1/site.yml could not be found\n";
    expect(layerFailureReason(layer1, { exitCode: 1, signal: null }, noRecap, output)).toBe(
      "layer 1 (site.yml) failed: ansible-playbook exited with code 1: the playbook: layer1/site.yml could not be found",
    );
  });

  it("says when ansible-playbook was killed", () => {
    expect(layerFailureReason(layer1, { exitCode: null, signal: "SIGKILL" }, noRecap, "")).toBe(
      "layer 1 (site.yml) failed: ansible-playbook was stopped by SIGKILL",
    );
  });
});

describe("hostList", () => {
  it("lists at most ten hosts", () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `n${i}`);
    expect(hostList(hosts)).toBe("12 hosts: n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 2 more");
    expect(hostList(["a"])).toBe("1 host: a");
  });
});

describe("clone failures", () => {
  it("quote git's fatal line without credentials", () => {
    const output =
      "Cloning into 'layer0'...\nfatal: unable to access 'https://user:s3cret@git.example.org/x.git/': boom\n";
    const detail = gitErrorDetail(output);
    expect(detail).toBe("unable to access 'https://***@git.example.org/x.git/': boom");
    const reason = cloneFailureReason({
      step: "git-clone-0",
      url: "https://user:s3cret@git.example.org/x.git",
      action: "clone",
      detail,
    });
    expect(reason).toBe(
      "git-clone-0: could not clone https://***@git.example.org/x.git: unable to access 'https://***@git.example.org/x.git/': boom",
    );
    expect(reason).not.toContain("s3cret");
  });

  it("say so when git gave no message", () => {
    expect(gitErrorDetail("")).toBe("git gave no error message");
  });
});

describe("ansibleMissing", () => {
  it("says where it looked and how to install ansible-core", () => {
    expect(ansibleMissing()).toBe(
      "ansible-playbook was not found on PATH; install it with `apt-get install ansible-core` or `pipx install ansible-core`",
    );
    expect(ansibleMissing("/opt/ansible/bin/ansible-playbook")).toContain(
      "not found at /opt/ansible/bin/ansible-playbook;",
    );
  });
});
