/**
 * Fault: a controller holding three secrets (the git password of its remote, the webhook secret,
 * an IMS token) runs a playbook that dumps its environment (`env` into the committed log, and the
 * environ of every ancestor process up to the controller), gets a badly signed webhook and a spell
 * of rejected credentials. Required: no secret anywhere: controller log lines and error messages,
 * every object on the status branch, the step environments, the controller's data directory, the
 * HTTP answers. A second layer is cloned from a URL with a password in it: that password is in no
 * log line, HTTP answer nor object of the status branch (session, configuration records, logs).
 */
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigRepo, configurationYaml, git, makeLayerRepo, sessionYaml } from "../helpers/config-repo.js";
import { startGitHttpServer } from "../helpers/git-http-server.js";
import { basicAuthSecrets, describeHit, scanForSecrets } from "../helpers/scan-for-secrets.js";
import { pollUntil, sleep, startControllerProcess } from "./controller-process.js";
import { startScenario } from "./scenario.js";
import { reachableObjectsText, tipRecords } from "./status-history.js";

const SECRETS = {
  "git password": "fault-Git-Secret-Pa55w0rd",
  "webhook secret": "fault-Webhook-Secret-9f8e7d",
  "IMS token": "fault-Ims-Token-eyJhbGciOi",
};
/**
 * The password of a layer whose clone URL carries it (`http://layer-bot:<it>@host/private.git`):
 * the run needs it, so it is on the controller's host (the manifest on the watched branch, the run
 * directory), but never on the status branch nor in the logs.
 */
const URL_SECRET = { "clone URL password": "fault-Url-Secret-7c6b5a43" };

const scenario = startScenario("secrets");
afterAll(() => scenario.cleanup());

/** A playbook that puts its environment into its log and the environ of its ancestors into `out`. */
function envDumpPlaybook(out: string): string {
  const walk =
    'p=$$; while [ "$p" -gt 1 ]; do c=$(cat /proc/$p/comm); [ "$c" = node ] && break; ' +
    `echo "== $p $c" >> ${out}/environ.txt; tr '\\0' '\\n' < /proc/$p/environ >> ${out}/environ.txt; ` +
    "p=$(awk '{print $4}' /proc/$p/stat); done";
  return `- hosts: all
  gather_facts: false
  tasks:
    - name: dump the environment
      ansible.builtin.shell: env
      register: dumped
    - name: show it in the log
      ansible.builtin.debug:
        var: dumped.stdout_lines
    - name: dump the environ of every ancestor up to the controller
      ansible.builtin.shell: ${JSON.stringify(walk)}
`;
}

function post(input: {
  port: number;
  path: string;
  body: string;
  headers: Record<string, string>;
}): Promise<string> {
  return new Promise((done) => {
    const req = request(
      { host: "127.0.0.1", port: input.port, path: input.path, method: "POST", headers: input.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done(`${res.statusCode ?? 0} ${Buffer.concat(chunks).toString("utf8")}`));
      },
    );
    req.on("error", (error) => done(`error ${error.message}`));
    req.end(input.body);
  });
}

function get(port: number, path: string): Promise<string> {
  return new Promise((done) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done(Buffer.concat(chunks).toString("utf8")));
    })
      .on("error", (error) => done(`error ${error.message}`))
      .end();
  });
}

describe("secrets scan", () => {
  it("finds the git password, the webhook secret and the IMS token nowhere", async () => {
    const { dir } = scenario;
    const out = join(dir, "env-dumps");
    mkdirSync(out, { recursive: true });
    const tokenFile = join(dir, "ims-token");
    writeFileSync(tokenFile, SECRETS["IMS token"]);
    const served = join(dir, "served");
    const bare = join(served, "config.git");
    git(dir, ["init", "-q", "--bare", "-b", "main", bare]);
    const credentials = { username: "cfs-bot", password: SECRETS["git password"] };
    const server = await startGitHttpServer({ root: served, auth: credentials });
    const layer = makeLayerRepo(dir, "envdump", { "site.yml": envDumpPlaybook(out) });
    const privateLayer = makeLayerRepo(dir, "private", {
      "site.yml": "- hosts: all\n  gather_facts: false\n  tasks: []\n",
    });
    const layerServer = await startGitHttpServer({
      root: dirname(privateLayer),
      auth: { username: "layer-bot", password: URL_SECRET["clone URL password"] },
    });
    const privateUrl = layerServer
      .url(basename(privateLayer))
      .replace("://", `://layer-bot:${URL_SECRET["clone URL password"]}@`);
    const work = new ConfigRepo(join(dir, "work"));
    work.commit({
      "configurations/envdump.yaml": configurationYaml("envdump", [
        { name: "envdump", url: layer },
        { name: "private", url: privateUrl },
      ]),
      "sessions/dump.yaml": sessionYaml("dump", "envdump"),
    });
    git(work.path, ["push", "-q", bare, "main"]);
    const dataDir = join(dir, "data");
    const controller = startControllerProcess({
      repo: server.url("config.git"),
      dataDir,
      args: ["--poll-interval", "1s", "--listen", "127.0.0.1:0", "--log-level", "debug"],
      env: {
        CFS_GITOPS_GIT_USERNAME: credentials.username,
        CFS_GITOPS_GIT_PASSWORD: credentials.password,
        CFS_GITOPS_WEBHOOK_SECRET: SECRETS["webhook secret"],
        CFS_GITOPS_IMAGE_SERVICE: "ims",
        CFS_GITOPS_IMS_URL: "http://127.0.0.1:9/apis/ims",
        CFS_GITOPS_IMS_TOKEN_FILE: tokenFile,
      },
    });
    const answers: string[] = [];
    try {
      const port = await controller.listenPort();
      const done = await pollUntil(
        () => tipRecords(bare, { sessions: ["dump"] }).get("dump")?.status.session.status === "complete",
        { timeoutMs: 120_000, everyMs: 500 },
      );
      const body = JSON.stringify({ ref: "refs/heads/main", after: "0".repeat(40) });
      const good = `sha256=${createHmac("sha256", SECRETS["webhook secret"]).update(body).digest("hex")}`;
      const bad = `sha256=${createHmac("sha256", "wrong").update(body).digest("hex")}`;
      for (const signature of [good, bad]) {
        answers.push(
          await post({
            port,
            path: "/hooks/git",
            body,
            headers: {
              "content-type": "application/json",
              "x-github-event": "push",
              "x-hub-signature-256": signature,
            },
          }),
        );
      }
      // A spell of rejected credentials: the errors it logs must not carry the password either.
      server.setAuth({ username: credentials.username, password: "rotated-elsewhere" });
      await sleep(3_000);
      answers.push(await get(port, "/readyz"), await get(port, "/metrics"));
      server.setAuth(credentials);
      const crashed = controller.end() !== null;
      await controller.stop("SIGTERM");

      const record = tipRecords(bare, { sessions: ["dump"] }).get("dump");
      const hits = scanForSecrets({
        secrets: { ...SECRETS, ...basicAuthSecrets("git password", credentials) },
        logText: controller.lines,
        texts: { "HTTP answers": answers.join("\n") },
        repoDir: bare,
        dirs: [out, dataDir],
      });
      const urlHits = scanForSecrets({
        secrets: URL_SECRET,
        logText: controller.lines,
        texts: {
          "HTTP answers": answers.join("\n"),
          "objects of cfs-status": reachableObjectsText(bare),
          "env dumps": readDumps(out),
        },
      });
      const recordedUrl = record?.status.layers.find((l) => l.name === "private")?.clone_url ?? "";
      const environ = join(out, "environ.txt");
      const environDumped = existsSync(environ) && readFileSync(environ, "utf8").includes("== ");
      if (!done) scenario.notes.push("the env-dumping session did not complete");
      scenario.notes.push(...hits.map(describeHit), ...urlHits.map(describeHit));
      const unmet = scenario.report([
        {
          name: "env-dumping session succeeded",
          value: record?.status.session.succeeded === "true",
          required: true,
        },
        { name: "ancestor environments dumped", value: environDumped, required: true },
        { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
        { name: "places a secret was found", value: hits.length, required: 0 },
        {
          name: "git password found",
          value: hits.filter((h) => h.secret.startsWith("git")).length,
          required: 0,
        },
        {
          name: "webhook secret found",
          value: hits.filter((h) => h.secret.startsWith("webhook")).length,
          required: 0,
        },
        {
          name: "clone URL password found (status branch, logs, answers)",
          value: urlHits.length,
          required: 0,
        },
        {
          name: "the layer cloned with it recorded as http://***@",
          value: recordedUrl.includes("://***@"),
          required: true,
        },
        {
          name: "IMS token found",
          value: hits.filter((h) => h.secret.startsWith("IMS")).length,
          required: 0,
        },
      ]);
      expect(unmet, scenario.notes.join("\n")).toEqual([]);
    } finally {
      await controller.stop("SIGKILL");
      await server.close();
      await layerServer.close();
    }
  });
});

/** The text of every file the playbook dumped (its environment and its ancestors'). */
function readDumps(out: string): string {
  return readdirSync(out)
    .map((name) => readFileSync(join(out, name), "utf8"))
    .join("\n");
}
